"""Per-request cost of weft's HTTP/1.1 path without sockets or noise.

    python bench/http1/inproc.py [--app router|raw] [--requests 20000] [--pipeline 1|16]
    valgrind --tool=callgrind python bench/http1/inproc.py --requests 2000 --warm 500

Drives one `Http1Connection` with a fake transport: each `data_received`
carries `--pipeline` copies of wrk's request (`GET /`, `Host`), exactly as
the benchmark's reads arrive. It prints the CPU time per request
(`time.process_time`), which on a shared machine is far steadier than
requests/s; under callgrind, instructions for the measured section divided
by the request count are the instruction-level truth. `--warm` requests run
first so caches (serializer blocks, the Date line) are filled as in a
running server; callgrind's `--toggle-collect=*measured*` limits counting to
the timed loop.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.append(str(Path(__file__).resolve().parents[2]))

from weft import reactor
from weft.connection import ConnectionContext, Http1Connection
from weft.http_types import Request, Response
from weft.protocols.http1 import Http1Limits

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"


class FakeTransport:
    """Collects writes; answers `get_extra_info` like a plain TCP socket."""

    def __init__(self) -> None:
        self.written = 0
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)
        self.writes += 1

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        raise RuntimeError("the benchmark connection closed")

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...


def _service(app: str) -> Any:
    if app == "router":
        from examples.python.hello import make_app
        return make_app()._service  # the Router the example serves
    body = b"Hello, World!"

    async def hello(request: Request) -> Response:
        return Response(200, [("content-type", "text/plain")], body)
    return hello


def measured(conn: Http1Connection, data: bytes, rounds: int) -> None:
    """The section callgrind counts (`--toggle-collect=*measured*`)."""
    feed = conn.data_received
    for _ in range(rounds):
        feed(data)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", choices=("router", "raw"), default="router")
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--pipeline", type=int, default=1)
    p.add_argument("--warm", type=int, default=2000)
    args = p.parse_args(argv)
    loop = reactor.new_event_loop()  # uvloop, as the server runs
    ctx = ConnectionContext(_service(args.app), Http1Limits(), loop, 10)
    conn = Http1Connection(ctx)
    transport = FakeTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    data = REQUEST * args.pipeline
    measured(conn, data, max(1, args.warm // args.pipeline))
    rounds = max(1, args.requests // args.pipeline)
    before = transport.written
    t0 = time.process_time()
    measured(conn, data, rounds)
    cpu = time.process_time() - t0
    n = rounds * args.pipeline
    per = (transport.written - before) / n
    print(f"{args.app}, pipeline {args.pipeline}: {n} requests, {cpu / n * 1e6:.2f} µs CPU "
          f"per request, {per:.0f} response bytes each")
    conn.connection_lost(None)
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
