"""The C fast lane keeps no references it should not: memory stays flat.

Each case serves the same request through one in-process connection (a
fake transport) many times, on every path the C code takes or hands over:
a str answer, a Response, a handler exception, a WeftError, a handler that
suspends, a route only the Python router finds, and pipelined batches.
tracemalloc sees every object the C code allocates (they come from
CPython's allocator); a reference kept per request would grow the heap
linearly, so the growth between a short and a ten-times-longer run must
stay small. A memory bound, not a timing one.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from weft import reactor
from weft.connection import ConnectionContext, Http1Connection
from weft.errors import BadRequest
from weft.http_types import Request, Response
from weft.protocols.http1 import Http1Limits
from weft.router import Router

from bench.http1.inproc import FakeTransport


async def _text(req: Request) -> str:
    return "Hello, World!"


async def _response(req: Request) -> Response:
    return Response(200, [("x-a", "1")], b"body")


async def _raises(req: Request) -> str:
    raise RuntimeError("handler failed")


async def _rejects(req: Request) -> str:
    raise BadRequest("no")


async def _suspends(req: Request) -> str:
    await asyncio.sleep(0)
    return "later"


async def _param(req: Request) -> str:
    return req.path_params["name"]


def _router() -> Router:
    return (Router().get("/", _text).get("/r", _response).get("/raise", _raises)
            .get("/reject", _rejects).get("/wait", _suspends).get("/p/:name", _param))


def _head(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()


Serve = Callable[[int], None]


@contextmanager
def _server(data: bytes, suspends: bool) -> Iterator[Serve]:
    loop = reactor.new_event_loop()
    conn = Http1Connection(ConnectionContext(_router(), Http1Limits(), loop, 10))
    conn.connection_made(FakeTransport())  # type: ignore[arg-type]

    def serve(rounds: int) -> None:
        for _ in range(rounds):
            conn.data_received(data)
            if suspends:
                loop.run_until_complete(asyncio.sleep(0))
                loop.run_until_complete(asyncio.sleep(0))
    try:
        yield serve
    finally:
        # Give the ticket back: the process-wide open-connection gauge that
        # other tests read counts every live server's connections.
        conn.connection_lost(None)
        loop.close()


def _growth(serve: Serve, short: int, long: int) -> int:
    serve(200)  # warm caches (date line, response blocks, interned strs)
    gc.collect()
    tracemalloc.start()
    try:
        serve(short)
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        serve(long)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("path", "pipeline", "suspends"), [
    ("/", 1, False), ("/", 16, False), ("/r", 1, False), ("/raise", 1, False),
    ("/reject", 1, False), ("/p/x", 1, False), ("/missing", 1, False), ("/wait", 1, True),
])
def test_memory_stays_flat(path: str, pipeline: int, suspends: bool,
                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL")  # the failing handler logs every request
    rounds = 300 if suspends else 2000
    with _server(_head(path) * pipeline, suspends) as serve:
        grew = _growth(serve, rounds // 10, rounds)
    # A leaked request alone is several hundred bytes: a leak per request
    # would be hundreds of KB here.
    assert grew < 64 * 1024, f"{grew} bytes retained over {rounds * pipeline} requests"
