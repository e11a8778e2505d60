"""Run the HTTP/1.1 benchmark: every server, every workload, N runs; write
bench/http1/results.json and the HTTP/1.1 section of bench/RESULTS.md.

    python bench/http1/run.py [--quick] [--servers a,b] [--duration S] [--runs N]

Runs are ordered run-major (run 1 of every server, then run 2 ...), and each
server is restarted for each run, so slow drift of the machine spreads over
all servers instead of landing on whichever ran last. See README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.http1 import procs, report, wrkrun
from bench.http1.idle_conns import raise_nofile
from bench.http1.servers import REPO, SERVERS, SUBJECTS, ServerSpec, unavailable_reason

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SERVER_CPU, CLIENT_CPU = "0", "1"
PROBE = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
BODY = b"Hello, World!"


@dataclass(frozen=True, slots=True)
class Config:
    duration_s: int
    runs: int
    warmup_s: int
    idle_conns: int
    idle_settle_s: float
    quick: bool
    quiet_threshold: float = 0.15
    quiet_timeout_s: float = 0.0
    server_cpu: str = SERVER_CPU
    client_cpu: str = CLIENT_CPU


class ServerFailed(RuntimeError):
    """A server did not start, answered wrongly, or died mid-run."""


# ------------------------------------------------------------ server life

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _probe(port: int, timeout: float = 2.0) -> bytes:
    """One raw GET /; returns the whole response (headers + 13-byte body)."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(PROBE)
        data = b""
        while not (b"\r\n\r\n" in data and data.endswith(BODY)):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


@dataclass(frozen=True, slots=True)
class Running:
    pid: int
    port: int
    response: bytes


@contextmanager
def running(spec: ServerSpec, log_dir: Path, startup_timeout: float = 30.0) -> Iterator[Running]:
    """Start `spec` pinned to the server core; yield once it answers; kill its tree."""
    port = _free_port()
    log = (log_dir / f"{spec.name}.log").open("ab")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(spec.cwd), str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *spec.command(HOST, port)],
                            cwd=spec.cwd, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise ServerFailed(f"exited with {proc.returncode} during startup; "
                                   f"log: {_tail(log_dir / f'{spec.name}.log')}")
            try:
                response = _probe(port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerFailed(f"no answer on port {port} within {startup_timeout} s") from None
                time.sleep(0.1)
        if not (response.startswith(b"HTTP/1.1 200") and response.endswith(b"\r\n\r\n" + BODY)):
            raise ServerFailed(f"unexpected response {response!r}")
        yield Running(proc.pid, port, response)
        if proc.poll() is not None:
            raise ServerFailed(f"exited with {proc.returncode} during the run")
    finally:
        procs.kill_tree(proc.pid)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent
            proc.kill()
            proc.wait()
        log.close()


def _tail(path: Path, n: int = 600) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-n:].strip() or "(empty)"


def _describe_response(raw: bytes) -> dict[str, object]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return {"bytes": len(raw), "status_line": head[0],
            "headers": [line.split(":", 1)[0].lower() for line in head[1:]]}


# ------------------------------------------------------------ measurements

def _wrk(server: Running, workload: report.Workload, duration_s: int) -> dict[str, object]:
    """One wrk run, plus the server tree's CPU share over the same interval."""
    pids = procs.tree_pids(server.pid)
    (busy0, steal0), cpu0, t0 = procs.machine_busy_seconds(), procs.cpu_seconds(pids), time.monotonic()
    r = wrkrun.run(f"http://{HOST}:{server.port}/", workload.connections, duration_s,
                   pipeline=workload.pipeline, cpu=CLIENT_CPU)
    wall = time.monotonic() - t0
    server_cpu = (procs.cpu_seconds(pids) - cpu0) / wall
    busy1, steal1 = procs.machine_busy_seconds()
    return {"rps": r.requests_per_s, "requests": r.requests, "p50_ms": r.p50_ms,
            "p99_ms": r.p99_ms, "errors": r.errors, "client_cpu": r.client_cpu,
            "server_cpu": server_cpu,
            # Cores' worth of CPU used by anything else (other jobs, the harness).
            "other_cpu": max(0.0, (busy1 - busy0) / wall - server_cpu - r.client_cpu),
            "steal_cpu": (steal1 - steal0) / wall}


def _idle(server: Running, cfg: Config) -> dict[str, object]:
    cmd = ["taskset", "-c", CLIENT_CPU, sys.executable, str(HERE / "idle_conns.py"),
           "--host", HOST, "--port", str(server.port), "--server-pid", str(server.pid),
           "--conns", str(cfg.idle_conns), "--settle", str(cfg.idle_settle_s)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise ServerFailed(f"idle_conns.py exited {out.returncode}: {out.stderr.strip()[-600:]}")
    result: dict[str, object] = json.loads(out.stdout)
    return result


def measure_once(spec: ServerSpec, cfg: Config, log_dir: Path) -> tuple[dict[str, object], Running]:
    """One run of one server: fresh start, idle memory, warm-up, each workload."""
    with running(spec, log_dir) as server:
        run: dict[str, object] = {"idle": _idle(server, cfg)}
        if cfg.warmup_s:
            wrkrun.run(f"http://{HOST}:{server.port}/", 64, cfg.warmup_s, cpu=CLIENT_CPU)
        for w in report.WORKLOADS:
            run[w.key] = _wrk(server, w, cfg.duration_s)
        run["affinity"] = procs.cpus_allowed(server.pid)
    return run, server


# ------------------------------------------------------------ orchestration

def wait_for_quiet(cfg: Config) -> dict[str, float]:
    """Wait (up to cfg.quiet_timeout_s) until the rest of the machine is idle.

    On a shared machine other jobs steal the pinned cores; starting a run
    only when everything else together uses under cfg.quiet_threshold cores
    keeps them out of most measurements. Returns the wait and the last load.
    """
    started = time.monotonic()
    while True:
        busy0, _ = procs.machine_busy_seconds()
        t0 = time.monotonic()
        time.sleep(1.0)
        busy1, _ = procs.machine_busy_seconds()
        load = (busy1 - busy0) / (time.monotonic() - t0)
        waited = time.monotonic() - started
        if load <= cfg.quiet_threshold or waited >= cfg.quiet_timeout_s:
            return {"waited_s": round(waited, 1), "background_cores": round(load, 3)}
        print(f"  machine busy ({load:.2f} cores), waiting ...", file=sys.stderr, flush=True)
        time.sleep(2.0)


def _machine() -> dict[str, object]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    packages = {}
    for dist in ("uvicorn", "httptools", "uvloop", "granian", "hypercorn", "starlette"):
        try:
            packages[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            packages[dist] = "absent"
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "python": platform.python_version(),
            "wrk": (wrk_v.stdout or wrk_v.stderr).split("[")[0].strip() or "wrk",
            "packages": packages}


def benchmark(names: list[str], cfg: Config, log_dir: Path) -> dict[str, object]:
    servers: dict[str, dict[str, object]] = {}
    runs: dict[str, list[dict[str, object]]] = {}
    for name in names:
        spec = SERVERS[name]
        reason = unavailable_reason(spec)
        servers[name] = {"label": spec.label, "note": spec.note,
                         "command": spec.command(HOST, 0), "available": reason is None,
                         "reason": reason, "failures": []}
        runs[name] = []
    for run_idx in range(cfg.runs):
        for name in names:
            entry = servers[name]
            if not entry["available"]:
                continue
            print(f"[run {run_idx + 1}/{cfg.runs}] {name} ...", file=sys.stderr, flush=True)
            quiet = wait_for_quiet(cfg)
            try:
                run, server = measure_once(SERVERS[name], cfg, log_dir)
            except (ServerFailed, wrkrun.WrkError, subprocess.TimeoutExpired) as exc:
                failures = entry["failures"]
                assert isinstance(failures, list)
                failures.append(f"run {run_idx + 1}: {exc}")
                print(f"  failed: {exc}", file=sys.stderr, flush=True)
                continue
            entry["response"] = _describe_response(server.response)
            run["quiet"] = quiet
            runs[name].append(run)
            print("  " + ", ".join(f"{w.key} {run[w.key]['rps']:,.0f} req/s"  # type: ignore[index]
                                   for w in report.WORKLOADS), file=sys.stderr, flush=True)
    all_medians: dict[str, report.Json] = {}
    for name in names:
        servers[name]["runs"] = runs[name]
        med = report.medians(runs[name]) if runs[name] else {}
        servers[name]["median"] = med
        all_medians[name] = med
    return {
        "version": 1,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "config": asdict(cfg),
        "servers": servers,
        "ratios": {s: report.ratios(all_medians, s) for s in SUBJECTS if s in names},
        "targets": report.evaluate_targets(all_medians),
    }


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke mode: 1 s runs, 1 run, no warm-up, 200 idle connections")
    p.add_argument("--servers", default=",".join(SERVERS),
                   help=f"comma-separated subset of: {', '.join(SERVERS)}")
    p.add_argument("--duration", type=int, help="seconds per wrk run (default 5, quick 1)")
    p.add_argument("--runs", type=int, help="runs per server (default 3, quick 1)")
    p.add_argument("--warmup", type=int, help="warm-up seconds per run (default 2, quick 0)")
    p.add_argument("--idle-conns", type=int, help="idle connections (default 2000, quick 200)")
    p.add_argument("--quiet-timeout", type=float,
                   help="before each run, wait up to S seconds for other processes to use "
                        "< 0.15 cores (default 60, quick 0)")
    p.add_argument("--out-json", type=Path, default=HERE / "results.json")
    p.add_argument("--results-md", type=Path, default=HERE.parent / "RESULTS.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    names = [n.strip() for n in str(args.servers).split(",") if n.strip()]
    unknown = [n for n in names if n not in SERVERS]
    if unknown:
        print(f"unknown server(s): {', '.join(unknown)}; choose from {', '.join(SERVERS)}",
              file=sys.stderr)
        return 2
    missing = [t for t in ("wrk", "taskset") if shutil.which(t) is None]
    if missing:
        print(f"missing tool(s): {', '.join(missing)} (apt-get install wrk util-linux)",
              file=sys.stderr)
        return 2
    if (os.cpu_count() or 1) < 2:
        print("needs 2 cores: one for the server, one for wrk", file=sys.stderr)
        return 2
    quick = bool(args.quick)
    cfg = Config(
        duration_s=args.duration or (1 if quick else 5),
        runs=args.runs or (1 if quick else 3),
        warmup_s=args.warmup if args.warmup is not None else (0 if quick else 2),
        idle_conns=args.idle_conns or (200 if quick else 2000),
        idle_settle_s=0.3 if quick else 1.0,
        quick=quick,
        quiet_timeout_s=args.quiet_timeout if args.quiet_timeout is not None else (
            0.0 if quick else 60.0))
    raise_nofile()  # servers inherit it: 2,000 idle sockets exceed the usual 1,024
    with tempfile.TemporaryDirectory(prefix="weft-bench-") as tmp:
        results = benchmark(names, cfg, Path(tmp))
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(results, indent=2) + "\n")
    md_path: Path = args.results_md
    old = md_path.read_text() if md_path.exists() else ""
    md_path.write_text(report.splice(old, report.render(results)))
    print(report.render(results))
    servers = results["servers"]
    assert isinstance(servers, dict)
    failed = [n for n, s in servers.items() if s["available"] and s["failures"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
