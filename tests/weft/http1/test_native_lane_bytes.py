"""The C fast lane writes byte for byte what the Python methods write.

One in-process connection per configuration, fed the same byte stream cut
into the same reads: once with every C twin installed (the normal build),
once with the Python specifications put back on the classes (parser fast
path, encoder, connection loop, router). Streams mix simple GETs, requests
the fast path declines (bodies, HTTP/1.0, Connection: close, odd headers),
routes with parameters, missing routes, failing handlers and malformed
heads; the bytes written, whether the connection closed, and the server's
counters must be the same.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from weft import reactor
from weft.connection import ConnectionContext, Http1Connection
from weft.connection import http1 as conn_mod
from weft.errors import BadRequest
from weft.http_types import Request, Response
from weft.protocols.http1 import Http1Limits, Http1Parser
from weft.protocols.http1 import parser as parser_mod
from weft.protocols.http1 import serializer as ser_mod
from weft.protocols.http1.serializer import DateClock, ResponseSerializer
from weft.router import Router
from weft.router import router as router_mod

pytestmark = pytest.mark.skipif(os.environ.get("WEFT_NATIVE") == "off",
                                reason="WEFT_NATIVE=off: only the Python code is installed")

PY_METHODS = [
    (Http1Connection, "data_received", conn_mod.py_data_received),
    (Http1Connection, "_pump", conn_mod.py_pump),
    (Http1Parser, "next_request", parser_mod.py_next_request),
    (ResponseSerializer, "encode", ser_mod.py_encode),
    (Router, "eager", router_mod.py_eager),
]


class _Transport:
    def __init__(self) -> None:
        self.out = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out += data

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...


async def _hello(req: Request) -> str:
    return "Hello, World!"


async def _name(req: Request) -> str:
    return f"Hello, {req.path_params['name']}!"


async def _json(req: Request) -> Response:
    return Response(201, [("content-type", "application/json"), ("x-a", "1")], b'{"a":1}')


async def _fails(req: Request) -> str:
    raise RuntimeError("boom")


async def _rejects(req: Request) -> str:
    raise BadRequest("no")


def _plain(req: Request) -> bytes:
    return req.body


def _router() -> Router:
    return (Router().get("/", _hello).get("/hello/:name", _name).get("/j", _json)
            .get("/fail", _fails).get("/bad", _rejects).post("/echo", _plain))


def _serve(data: bytes, cuts: list[int]) -> tuple[bytes, bool, tuple[int, int, int]]:
    loop = reactor.new_event_loop()
    clock = DateClock()
    clock.tick(1_700_000_000)
    ctx = ConnectionContext(_router(), Http1Limits(), loop, 10, clock=clock)
    conn = Http1Connection(ctx)
    transport = _Transport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    try:
        start = 0
        for end in [*sorted({c for c in cuts if 0 < c < len(data)}), len(data)]:
            if transport.closed:
                break
            conn.data_received(data[start:end])
            start = end
        stats = ctx.stats
        return bytes(transport.out), transport.closed, (stats.requests_total, stats.bytes_in,
                                                        stats.bytes_out)
    finally:
        conn.connection_lost(None)
        loop.close()


def _both(data: bytes, cuts: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    native = _serve(data, cuts)
    with monkeypatch.context() as m:
        for cls, name, fn in PY_METHODS:
            m.setattr(cls, name, fn)
        python = _serve(data, cuts)
    assert native == python


REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /hello/ada?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /j HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /fail HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /bad HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n",
    b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX:  \xff v \t\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
    b"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
]


@pytest.mark.parametrize("request_bytes", REQUESTS)
@pytest.mark.parametrize("cut", [None, 1, 7])
def test_each_request_alone_and_pipelined(request_bytes: bytes, cut: int | None,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for data in (request_bytes, request_bytes * 3, REQUESTS[0] + request_bytes + REQUESTS[1]):
        cuts = [] if cut is None else list(range(cut, len(data), cut))
        _both(data, cuts, monkeypatch)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(REQUESTS), min_size=1, max_size=8),
       st.lists(st.integers(1, 400), max_size=6))
def test_random_streams(requests: list[bytes], cuts: list[int]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both(b"".join(requests), cuts, monkeypatch)
