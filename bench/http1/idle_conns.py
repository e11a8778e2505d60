"""Memory per idle keep-alive connection: open N connections to a server, send
one request on each (so the server has built its per-connection state), and
report how much the server's resident memory grew, per connection.

Run as the client process, pinned to the client core:

    python bench/http1/idle_conns.py --port 8000 --server-pid 1234 --conns 2000

`--server-pid` names the root of the server's process tree; RSS is summed
over the root and all its descendants (granian and hypercorn serve from a
worker process). Prints one JSON object. Kernel socket buffers are not part
of any process's RSS and so are not counted for any server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.http1 import procs

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@dataclass(frozen=True, slots=True)
class IdleReport:
    conns: int
    rss_before_kib: int
    rss_after_kib: int
    kib_per_conn: float
    still_open: int  # connections the server had not closed when RSS was read
    pids: int  # processes summed over


async def _one_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send one GET and read exactly its response (content-length framed)."""
    writer.write(REQUEST)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200") or body != b"Hello, World!":
        raise RuntimeError(f"unexpected response: {head!r} {body!r}")


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    await _one_request(reader, writer)
    return reader, writer


async def measure(host: str, port: int, server_pid: int, conns: int,
                  settle_s: float = 1.0, batch: int = 100) -> IdleReport:
    """Open `conns` idle keep-alive connections and read the server's RSS growth."""
    # Warm the connection path first so one-off allocations are not counted.
    reader, writer = await asyncio.open_connection(host, port)
    for _ in range(50):
        await _one_request(reader, writer)
    writer.close()
    await asyncio.sleep(settle_s)
    pids = procs.tree_pids(server_pid)
    before = procs.rss_kib(pids)
    held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    # Batches stay under every server's listen backlog.
    for start in range(0, conns, batch):
        n = min(batch, conns - start)
        held += await asyncio.gather(*(_open(host, port) for _ in range(n)))
    await asyncio.sleep(settle_s)
    pids = procs.tree_pids(server_pid)
    after = procs.rss_kib(pids)
    await asyncio.sleep(0)  # let the loop deliver any EOF that has arrived
    still_open = sum(1 for r, _ in held if not r.at_eof())
    for _, w in held:
        w.close()
    return IdleReport(conns, before, after, (after - before) / conns, still_open, len(pids))


def raise_nofile() -> None:
    """Lift the soft open-files limit to the hard one (2,000 sockets need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--conns", type=int, default=2000)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds to wait before reading RSS")
    args = parser.parse_args()
    raise_nofile()
    started = time.monotonic()
    report = asyncio.run(measure(args.host, args.port, args.server_pid, args.conns, args.settle))
    print(json.dumps({**asdict(report), "elapsed_s": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main()
