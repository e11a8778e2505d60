"""WebSocket fan-out benchmark (issue 6, item 5): many subscribers, one
message a second, delivery latency from the server's send to the client's
receive, weft's `Broadcast` against the `websockets` library's `broadcast()`.

    python bench/h2/fanout.py            # full: 1,000 subscribers, 15 messages
    python bench/h2/fanout.py --quick    # 200 subscribers, 5 messages
    python bench/h2/fanout.py client --url ws://127.0.0.1:P/ --subscribers N --messages M

Each server (apps/ws_fanout.py) runs pinned to core 0; the client, one
asyncio process pinned to core 1, opens every subscriber connection, waits
until each has been told it is subscribed, then keeps the next M messages per
connection whose send stamp is after that moment. Latency is the receive
`time.time_ns()` minus the stamp in the message (same machine, same clock),
so it includes the server's fan-out loop and the client's own scheduling of
N sockets on one core. Writes the section between `<!-- wsfanout:begin -->`
and `<!-- wsfanout:end -->` at the end of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.results_md import replace_section

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
APP = HERE / "apps" / "ws_fanout.py"
RESULTS_MD = REPO / "bench" / "RESULTS.md"
BEGIN, END = "<!-- wsfanout:begin -->", "<!-- wsfanout:end -->"
SERVER_CORE, CLIENT_CORE = "0", "1"
SUBSCRIBED = "subscribed"
CONNECT_CONCURRENCY = 50
SERVERS = (("weft", "weft.connection.websocket.Broadcast.publish"),
           ("websockets", "websockets.asyncio.server.broadcast()"))


# -------------------------------------------------------------------- client


@dataclass(frozen=True, slots=True)
class FanoutResult:
    subscribers: int
    messages: int
    expected: int
    delivered: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    connect_s: float


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(ordered: list[int], q: float) -> int:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def run_client(url: str, subscribers: int, messages: int) -> FanoutResult:
    """Subscribe `subscribers` connections, then gather `messages` deliveries each."""
    from websockets.asyncio.client import ClientConnection, connect

    latencies: list[int] = []
    all_ready = asyncio.Event()
    ready_ns = 0
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    conns: list[ClientConnection] = []

    async def subscribe() -> ClientConnection:
        async with gate:
            ws = await connect(url, compression=None, ping_interval=None, open_timeout=30,
                               close_timeout=2, max_queue=None)
            first = await asyncio.wait_for(ws.recv(), 30)
            if first != SUBSCRIBED:
                raise RuntimeError(f"expected {SUBSCRIBED!r} first, got {first!r}")
            return ws

    async def listen(ws: ClientConnection) -> None:
        got = 0
        await all_ready.wait()
        while got < messages:
            message = await ws.recv()
            now = time.time_ns()
            assert isinstance(message, str)
            _, stamp = message.split()
            sent = int(stamp)
            if sent < ready_ns:
                continue  # published while others were still subscribing
            latencies.append(now - sent)
            got += 1

    start = time.perf_counter()
    conns = list(await asyncio.gather(*(subscribe() for _ in range(subscribers))))
    connect_s = time.perf_counter() - start
    listeners = [asyncio.ensure_future(listen(ws)) for ws in conns]
    ready_ns = time.time_ns()
    all_ready.set()
    # one message a second: allow the run plus a few seconds' slack, then count
    _, pending = await asyncio.wait(listeners, timeout=messages + 5.0)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    ordered = sorted(latencies)
    if not ordered:
        raise RuntimeError("no message was delivered")
    return FanoutResult(subscribers, messages, subscribers * messages, len(ordered),
                        percentile(ordered, 0.50) / 1e6, percentile(ordered, 0.99) / 1e6,
                        ordered[-1] / 1e6, connect_s)


def client_main(url: str, subscribers: int, messages: int) -> int:
    raise_nofile()
    try:
        import uvloop
        result = uvloop.run(run_client(url, subscribers, messages))
    except ImportError:
        result = asyncio.run(run_client(url, subscribers, messages))
    json.dump(asdict(result), sys.stdout)
    return 0


# ------------------------------------------------------------------- driver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pinned(core: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", core, *argv] if shutil.which("taskset") else argv


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@contextlib.contextmanager
def running(server: str) -> Iterator[int]:
    """Start one fan-out server on a free port pinned to the server core."""
    port = free_port()
    cmd = [sys.executable, str(APP), server, "--bind", f"127.0.0.1:{port}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO / "runtime"), os.environ.get("PYTHONPATH", "")) if p)}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(pinned(SERVER_CORE, cmd), cwd=HERE / "apps", stdout=log,
                                stderr=log, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while True:
                with contextlib.suppress(OSError), socket.create_connection(
                        ("127.0.0.1", port), 0.5):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{server} did not start: {log.read()[-2000:]!r}")
                time.sleep(0.1)
            yield port
        finally:
            stop(proc)


def measure(server: str, subscribers: int, messages: int) -> dict[str, Any]:
    with running(server) as port:
        argv = [sys.executable, str(Path(__file__).resolve()), "client", "--url",
                f"ws://127.0.0.1:{port}/", "--subscribers", str(subscribers),
                "--messages", str(messages)]
        out = subprocess.run(pinned(CLIENT_CORE, argv), capture_output=True, text=True,
                             timeout=messages + 90, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"client failed: {out.stderr[-1500:]}")
        result: dict[str, Any] = json.loads(out.stdout)
        return result


def render(meta: dict[str, Any], rows: dict[str, dict[str, Any]]) -> str:
    lines = [BEGIN, "## WebSocket fan-out (bench/h2/fanout.py)", "",
             f"{meta['mode']} run, {meta['date']}, {meta['machine']}. "
             f"{meta['subscribers']:,} subscribers on one client process (asyncio + "
             f"`websockets` client, core {CLIENT_CORE}), server on core {SERVER_CORE}; one "
             f"message a second carrying its send `time.time_ns()`, {meta['messages']} "
             "messages kept per subscriber after all are subscribed. Latency = receive "
             "time - send stamp (includes the fan-out loop and client scheduling); lower "
             "is better. No compression, no keep-alive pings.", "",
             "| server | fan-out helper | delivered / expected | p50 ms | p99 ms | max ms |"
             " connect all s |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, helper in SERVERS:
        row = rows[name]
        if "error" in row:
            lines.append(f"| {name} | `{helper}` | error | | | | {row['error'][:100]} |")
            continue
        lines.append(f"| {name} | `{helper}` | {row['delivered']:,} / {row['expected']:,} | "
                     f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['max_ms']:.2f} | "
                     f"{row['connect_s']:.2f} |")
    lines += ["", END]
    return "\n".join(lines)


def write_section(section: str) -> None:
    replace_section(section, BEGIN, END, RESULTS_MD)


def bench_main(quick: bool, write: bool) -> int:
    subscribers, messages = (200, 5) if quick else (1_000, 15)
    meta = {"mode": "quick" if quick else "full", "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}",
            "subscribers": subscribers, "messages": messages}
    rows: dict[str, dict[str, Any]] = {}
    for name, _ in SERVERS:
        try:
            row = measure(name, subscribers, messages)
        except (RuntimeError, subprocess.SubprocessError, ValueError) as exc:
            rows[name] = {"error": str(exc)[:500]}
            print(f"{name:10} error: {exc}", flush=True)
            continue
        rows[name] = row
        print(f"{name:10} delivered {row['delivered']}/{row['expected']}  p50 "
              f"{row['p50_ms']:.2f} ms  p99 {row['p99_ms']:.2f} ms  max {row['max_ms']:.2f} ms"
              f"  (connect {row['connect_s']:.2f} s)", flush=True)
    section = render(meta, rows)
    if write:
        write_section(section)
        print(f"wrote the wsfanout section of {RESULTS_MD}")
    else:
        print(section)
    return 0


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["client"]:
        cp = argparse.ArgumentParser(prog="fanout.py client")
        cp.add_argument("--url", required=True)
        cp.add_argument("--subscribers", type=int, required=True)
        cp.add_argument("--messages", type=int, required=True)
        c = cp.parse_args(args_in[1:])
        return client_main(c.url, c.subscribers, c.messages)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 subscribers, 5 messages")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args(args_in)
    return bench_main(args.quick, not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
