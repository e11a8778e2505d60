"""HTTP/2, TLS and WebSocket benchmarks: weft against the servers a user
would pick instead, side by side in one run.

    python bench/h2/run.py            # full: h2load -n 200000, 3 runs each
    python bench/h2/run.py --quick    # proves the harness works (small counts)
    python bench/h2/run.py --h2c-only -n 20000   # only 1.; 2. and 3. kept from
                                                 # the last results.json
    python bench/h2/run.py --h2c-only --dry      # print only; write no file

1. h2c throughput: `h2load -c 16 -m 32 -n N` (prior knowledge) against weft
   (examples/python/hello.py), hypercorn (uvloop worker, its per-connection
   request cap `keep_alive_max_requests` raised, see hypercorn.toml) and
   granian (`--http 2`, 1 worker, 1 runtime thread). Each server is pinned
   to core 0 with `taskset -c 0`, h2load to core 1; median of the runs.
   Also the server's CPU time per request (user + system, summed over every
   process of the server's session, from /proc): unlike req/s it does not
   depend on how much of its core the server got on a shared machine.
2. TLS 1.3 latency: connect + handshake time, full and resumed (session
   ticket), median of `clients.py tls` samples (client on core 1).
3. WebSocket echo round trip p50/p99: weft's `/ws/echo` against the
   `websockets` library's own server (apps/ws_echo.py); neither compresses.

Writes bench/h2/results.json and the section between `<!-- h2:begin -->`
and `<!-- h2:end -->` in bench/RESULTS.md (markers appended if absent).
Run it on a quiet machine: numbers from a busy one are not comparable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results_md import replace_section

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS_MD = REPO / "bench" / "RESULTS.md"
BEGIN, END = "<!-- h2:begin -->", "<!-- h2:end -->"
SERVER_CORE, CLIENT_CORE = "0", "1"


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    note: str
    #: argv for cleartext (h2c) and for TLS; {py} {host} {port} {cert} {key} {repo}
    h2c: tuple[str, ...] | None
    tls: tuple[str, ...] | None
    cwd: Path = HERE / "apps"


_GRANIAN = ("{py}", "-m", "granian", "--interface", "asgi", "--host", "{host}", "--port",
            "{port}", "--workers", "1", "--runtime-threads", "1", "--loop", "uvloop",
            "--no-access-log", "--log-level", "warning")
_HYPERCORN = ("{py}", "-m", "hypercorn", "--worker-class", "uvloop", "--workers", "1",
              "--bind", "{host}:{port}", "--config", str(HERE / "hypercorn.toml"))
_WEFT = ("{py}", "{repo}/examples/python/hello.py", "--bind", "{host}:{port}")

PEERS = (
    Peer("weft", "examples/python/hello.py (router), HTTP/1.1 + h2c + TLS on one port",
         _WEFT, (*_WEFT, "--tls-cert", "{cert}", "--tls-key", "{key}")),
    Peer("hypercorn", "uvloop worker, keep_alive_max_requests raised (hypercorn.toml)",
         (*_HYPERCORN, "asgi_hello:app"),
         (*_HYPERCORN, "--certfile", "{cert}", "--keyfile", "{key}", "asgi_hello:app")),
    Peer("granian", "--http 2 (h2c) / --http auto (TLS), 1 worker, 1 runtime thread",
         (*_GRANIAN, "--http", "2", "asgi_hello:app"),
         (*_GRANIAN, "--http", "auto", "--ssl-certificate", "{cert}", "--ssl-keyfile", "{key}",
          "asgi_hello:app")),
)
WS_PEERS = (
    ("weft", (*_WEFT,), "/ws/echo"),
    ("websockets", ("{py}", "ws_echo.py", "--bind", "{host}:{port}"), "/"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pinned(core: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", core, *argv] if shutil.which("taskset") else argv


def session_cpu(sid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of
    session `sid` (the server and any workers it forked); 0.0 without /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # fields after "comm": state ppid pgrp session ...
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running(argv: tuple[str, ...], cwd: Path, certs: tuple[str, str]) -> Iterator[tuple[int, int]]:
    """Start a server on a free port (pinned to the server core); yield the
    port and the server's session id (see `session_cpu`)."""
    port = free_port()
    cmd = [a.format(py=sys.executable, host="127.0.0.1", port=port, repo=REPO,
                    cert=certs[0], key=certs[1]) for a in argv]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(pinned(SERVER_CORE, cmd), cwd=cwd, stdout=log, stderr=log,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"{cmd[:4]} did not start: {log.read()[-2000:]!r}")
            time.sleep(0.1)
        time.sleep(0.3)
        yield port, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


_FINISHED = re.compile(r"finished in [\d.]+m?s, ([\d.]+) req/s")
_REQS = re.compile(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed")


def h2load(port: int, n: int) -> dict[str, float]:
    out = subprocess.run(pinned(CLIENT_CORE, ["h2load", "-c", "16", "-m", "32", "-n", str(n),
                                              f"http://127.0.0.1:{port}/"]),
                         capture_output=True, text=True, timeout=600, check=False).stdout
    rate, reqs = _FINISHED.search(out), _REQS.search(out)
    if rate is None or reqs is None:
        raise RuntimeError(f"unexpected h2load output:\n{out}")
    return {"rps": float(rate.group(1)), "succeeded": int(reqs.group(1)),
            "failed": int(reqs.group(2))}


def client(*args: str) -> dict[str, Any]:
    out = subprocess.run(pinned(CLIENT_CORE, [sys.executable, str(HERE / "clients.py"), *args]),
                         capture_output=True, text=True, timeout=600, check=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def make_certs(folder: Path) -> tuple[str, str]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def bench_h2c(certs: tuple[str, str], n: int, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for peer in PEERS:
        if peer.h2c is None:
            continue
        samples = []
        try:
            with running(peer.h2c, peer.cwd, certs) as (port, sid):
                h2load(port, max(n // 10, 500))  # warm-up
                for _ in range(runs):
                    before = session_cpu(sid)
                    sample = h2load(port, n)
                    sample["cpu_us"] = (session_cpu(sid) - before) * 1e6 / n
                    samples.append(sample)
        except (RuntimeError, subprocess.SubprocessError) as exc:
            out[peer.name] = {"error": str(exc)[:500]}
            continue
        rps = [s["rps"] for s in samples]
        cpu = [s["cpu_us"] for s in samples]
        out[peer.name] = {"rps_median": statistics.median(rps), "rps": rps,
                          "cpu_us_median": statistics.median(cpu), "cpu_us": cpu,
                          "failed": sum(int(s["failed"]) for s in samples), "note": peer.note}
        print(f"h2c {peer.name:10} {statistics.median(rps):10.0f} req/s  {rps}  "
              f"{statistics.median(cpu):.1f} us CPU/request", flush=True)
    return out


def bench_tls(certs: tuple[str, str], count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for peer in PEERS:
        if peer.tls is None:
            continue
        try:
            with running(peer.tls, peer.cwd, certs) as (port, _):
                client("tls", "--port", str(port), "--count", str(max(count // 10, 5)))  # warm-up
                result = client("tls", "--port", str(port), "--count", str(count))
        except (RuntimeError, subprocess.SubprocessError) as exc:
            out[peer.name] = {"error": str(exc)[:500]}
            continue
        out[peer.name] = result
        print(f"tls {peer.name:10} full {result['full_ms_p50']:.3f} ms  resumed "
              f"{result['resumed_ms_p50']:.3f} ms  ({result['resumed']}/{result['handshakes']} "
              "resumed)", flush=True)
    return out


def bench_ws(certs: tuple[str, str], count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, argv, path in WS_PEERS:
        cwd = REPO if name == "weft" else HERE / "apps"
        try:
            with running(argv, cwd, certs) as (port, _):
                result = client("ws", "--url", f"ws://127.0.0.1:{port}{path}",
                                "--count", str(count))
        except (RuntimeError, subprocess.SubprocessError) as exc:
            out[name] = {"error": str(exc)[:500]}
            continue
        out[name] = result
        print(f"ws  {name:10} p50 {result['p50_us']:.1f} us  p99 {result['p99_us']:.1f} us",
              flush=True)
    return out


def _ratio(value: float | None, base: float | None) -> str:
    if not value or not base:
        return "n/a"
    return f"{value / base:.2f}x"


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [BEGIN, "## HTTP/2, TLS and WebSocket (bench/h2/run.py)", "",
             f"{meta['mode']} run, {meta['date']}, {meta['machine']}; servers on core "
             f"{SERVER_CORE}, clients on core {CLIENT_CORE}. Ratios are weft / peer "
             "(> 1 means weft is faster for throughput)."
             + (f" Load average (1/5/15 min) {meta['load_before']} before, "
                f"{meta['load_after']} after: other work shared the machine."
                if meta.get("load_before") else ""), "",
             f"### h2c throughput: `h2load -c 16 -m 32 -n {meta['n']}`, median of {meta['runs']}",
             "", "Server CPU µs/request is user + system time of the server's processes "
             "divided by requests (lower is better; it does not depend on how much of its "
             "core the server got). The weft / server ratio is req/s over req/s, then "
             "CPU over CPU.", "",
             "| server | req/s (median) | runs | failed | CPU µs/request | weft / server | setup |",
             "|---|---:|---|---:|---:|---:|---|"]
    h2c = results["h2c"]
    weft_rps = h2c.get("weft", {}).get("rps_median")
    weft_cpu = h2c.get("weft", {}).get("cpu_us_median")
    for name, row in h2c.items():
        if "error" in row:
            lines.append(f"| {name} | error | | | | | {row['error'][:80]} |")
            continue
        cpu = row.get("cpu_us_median")
        cpu_text = f"{cpu:.1f}" if cpu else "n/a"
        lines.append(f"| {name} | {row['rps_median']:.0f} | {', '.join(f'{r:.0f}' for r in row['rps'])}"
                     f" | {row['failed']} | {cpu_text} | {_ratio(weft_rps, row['rps_median'])}, "
                     f"{_ratio(cpu, weft_cpu)} CPU | {row['note']} |")
    if meta.get("kept_from"):
        lines += ["", f"TLS and WebSocket below: kept from the {meta['kept_from']} run "
                  "(this one was `--h2c-only`)."]
    lines += ["", f"### TLS 1.3 connect + handshake latency (median of {meta['tls_count']}; "
              "lower is better)", "",
              "| server | full handshake ms | resumed ms | resumed / attempted |",
              "|---|---:|---:|---:|"]
    for name, row in results["tls"].items():
        if "error" in row:
            lines.append(f"| {name} | error | | {row['error'][:80]} |")
            continue
        lines.append(f"| {name} | {row['full_ms_p50']:.3f} | {row['resumed_ms_p50']:.3f} | "
                     f"{row['resumed']}/{row['handshakes']} |")
    lines += ["", f"### WebSocket echo round trip ({meta['ws_count']} sequential 16-byte "
              "messages, no compression; lower is better)", "",
              "| server | p50 µs | p99 µs |", "|---|---:|---:|"]
    for name, row in results["websocket"].items():
        if "error" in row:
            lines.append(f"| {name} | error | {row['error'][:80]} |")
            continue
        lines.append(f"| {name} | {row['p50_us']:.1f} | {row['p99_us']:.1f} |")
    lines += ["", END]
    return "\n".join(lines)


def write_section(section: str) -> None:
    replace_section(section, BEGIN, END, RESULTS_MD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, one run")
    parser.add_argument("-n", type=int, default=None, help="h2load requests per run")
    parser.add_argument("--h2c-only", action="store_true",
                        help="run only the h2load comparison; keep TLS and WebSocket "
                             "results from the last results.json")
    parser.add_argument("--runs", type=int, default=None, help="h2load runs per server")
    parser.add_argument("--dry", action="store_true",
                        help="print the results; write neither results.json nor RESULTS.md")
    args = parser.parse_args(argv)
    for tool in ("h2load", "openssl"):
        if shutil.which(tool) is None:
            print(f"{tool} is needed", file=sys.stderr)
            return 2
    n = args.n or (5_000 if args.quick else 200_000)
    runs = args.runs or (1 if args.quick else 3)
    previous: dict[str, Any] = {}
    if args.h2c_only:
        previous = json.loads((HERE / "results.json").read_text())
    tls_count = 30 if args.quick else 300
    ws_count = 300 if args.quick else 5_000
    with tempfile.TemporaryDirectory() as tmp:
        certs = make_certs(Path(tmp))
        results: dict[str, Any] = {
            "meta": {"mode": "quick" if args.quick else "h2c-only" if args.h2c_only else "full",
                     "load_before": [round(x, 2) for x in os.getloadavg()],
                     "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                                f"Python {platform.python_version()}",
                     "n": n, "runs": runs, "tls_count": tls_count, "ws_count": ws_count},
            "h2c": bench_h2c(certs, n, runs),
        }
        if args.h2c_only:
            meta = results["meta"]
            meta["kept_from"] = previous["meta"].get("kept_from") or previous["meta"]["date"]
            meta["tls_count"] = previous["meta"]["tls_count"]
            meta["ws_count"] = previous["meta"]["ws_count"]
            results["tls"], results["websocket"] = previous["tls"], previous["websocket"]
        else:
            results["tls"] = bench_tls(certs, tls_count)
            results["websocket"] = bench_ws(certs, ws_count)
    results["meta"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.dry:
        print(json.dumps(results["meta"]))
        return 0
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_section(render(results))
    print(f"wrote {HERE / 'results.json'} and the h2 section of {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
