"""The HTTP/1.1 connection over real sockets: every limit, deadline and
smuggling shape gets its status and a closed connection (never a hang: all
sockets have timeouts), keep-alive, pipelining, chunked both ways,
100-continue, HTTP/1.0, streaming with backpressure, handler failures."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable

import pytest
from weft.http_types import Request, Response
from weft.protocols.http1 import Http1Limits

from tests.weft.helpers import ResponseReader, RunningServer, connect, exchange
from tests.weft.http1.test_http1_parser import REJECTED

Start = Callable[..., RunningServer]


async def echo(req: Request) -> Response:
    if req.path == "/slow":
        await asyncio.sleep(0.2)
    if req.path == "/sleepy":
        await asyncio.sleep(0.01)
    body = json.dumps({"method": req.method, "path": req.path, "query": req.raw_query,
                       "len": len(req.body), "version": req.http_version}).encode()
    if req.path == "/body":
        body = req.body
    return Response(200, [("content-type", "application/json")], body)


def status_and_closed(port: int, data: bytes) -> tuple[int, bytes]:
    with connect(port) as s:
        s.sendall(data)
        r = ResponseReader(s)
        reply = r.read()
        assert r.closed(), "connection must close after a protocol error"
        return reply.status, reply.body


@pytest.mark.parametrize(("name", "data", "status"), REJECTED, ids=[r[0] for r in REJECTED])
def test_smuggling_shapes_over_the_wire(weft_server: Start, name: str, data: bytes,
                                        status: int, caplog: pytest.LogCaptureFixture) -> None:
    srv = weft_server(echo)
    with caplog.at_level(logging.WARNING, logger="weft"):
        got, body = status_and_closed(srv.port, data)
    assert got == status, name
    assert json.loads(body)["status"] == status
    assert not [r for r in caplog.records if r.exc_info], "malformed input must not log tracebacks"


def test_error_after_a_good_pipelined_request_keeps_order(weft_server: Start) -> None:
    srv = weft_server(echo)
    with connect(srv.port) as s:
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nBad Header : x\r\n\r\n")
        r = ResponseReader(s)
        assert r.read().status == 200
        assert r.read().status == 400
        assert r.closed()


@pytest.mark.parametrize(("limits", "data", "status"), [
    ({"max_request_line": 64}, b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    ({"max_header_bytes": 256}, b"GET / HTTP/1.1\r\nHost: t\r\nX: " + b"a" * 300 + b"\r\n\r\n", 431),
    ({"max_header_count": 3}, b"GET / HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431),
    ({"max_body_bytes": 8}, b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\n123456789", 413),
    ({"max_body_bytes": 8}, b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n", 413),
    ({"max_chunk_line": 16}, b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"1;" + b"e" * 40 + b"\r\nx\r\n0\r\n\r\n", 400),
    ({"max_trailer_bytes": 16}, b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\nX: " + b"t" * 40 + b"\r\n\r\n", 431),
], ids=["request-line", "header-bytes", "header-count", "body-cl", "body-chunked", "chunk-line",
        "trailers"])
def test_every_limit(weft_server: Start, limits: dict[str, int], data: bytes, status: int) -> None:
    srv = weft_server(echo, limits=Http1Limits(**limits))
    assert status_and_closed(srv.port, data)[0] == status


def test_header_deadline_slowloris_gets_408(weft_server: Start) -> None:
    srv = weft_server(echo, limits=Http1Limits(header_timeout=0.3))
    with connect(srv.port) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
        for _ in range(3):  # keeps trickling; the deadline does not move
            time.sleep(0.05)
            s.sendall(b"X: y\r\n")
        r = ResponseReader(s)
        assert r.read().status == 408
        assert r.closed()


def test_body_deadline_gets_408(weft_server: Start) -> None:
    srv = weft_server(echo, limits=Http1Limits(body_timeout=0.3))
    with connect(srv.port) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345")
        r = ResponseReader(s)
        assert r.read().status == 408
        assert r.closed()


def test_idle_keepalive_connection_is_closed(weft_server: Start) -> None:
    srv = weft_server(echo, limits=Http1Limits(keepalive_timeout=0.3))
    with connect(srv.port) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        r = ResponseReader(s)
        assert r.read().status == 200
        assert r.closed()  # no response, just a close, once idle too long
    assert srv.wait_for(lambda: srv.stats.connections_open == 0)


def test_keep_alive_and_pipelining_in_order(weft_server: Start) -> None:
    srv = weft_server(echo)
    with connect(srv.port) as s:
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"GET /fast HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"POST /sleepy HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                  + b"GET /p HTTP/1.1\r\nHost: t\r\n\r\n" * 16)
        r = ResponseReader(s)
        paths = [json.loads(r.read().body)["path"] for _ in range(19)]
        assert paths == ["/slow", "/fast", "/sleepy"] + ["/p"] * 16
        s.sendall(b"GET /again HTTP/1.1\r\nHost: t\r\n\r\n")
        assert json.loads(r.read().body)["path"] == "/again"


def test_pipeline_queue_pauses_reading_and_still_answers_all(weft_server: Start) -> None:
    srv = weft_server(echo, limits=Http1Limits(max_pipeline=2))
    with connect(srv.port, timeout=10) as s:
        s.sendall(b"GET /sleepy HTTP/1.1\r\nHost: t\r\n\r\n" * 40)
        r = ResponseReader(s)
        assert [r.read().status for _ in range(40)] == [200] * 40


def test_chunked_request_and_chunked_streamed_response(weft_server: Start) -> None:
    async def stream(req: Request) -> Response:
        async def gen() -> AsyncIterator[bytes]:
            for part in req.body.split(b" "):
                await asyncio.sleep(0)
                yield part + b"|"
        return Response(200, [("content-type", "text/plain")], stream=gen())

    srv = weft_server(stream)
    with connect(srv.port) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"4\r\na bc\r\n3;ext=1\r\n de\r\n0\r\nTrailer: x\r\n\r\n")
        r = ResponseReader(s)
        reply = r.read()
        assert reply.header("transfer-encoding") == "chunked"
        assert reply.body == b"a|bc|de|"
        # keep-alive continues after a streamed response
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nx y")
        assert r.read().body == b"x|y|"


def test_streamed_response_with_content_length_and_http10(weft_server: Start) -> None:
    async def stream(req: Request) -> Response:
        async def gen() -> AsyncIterator[bytes]:
            yield b"hello "
            yield b"world"
        headers = [("content-length", "11")] if req.path == "/cl" else []
        return Response(200, headers, stream=gen())

    srv = weft_server(stream)
    with connect(srv.port) as s:
        s.sendall(b"GET /cl HTTP/1.1\r\nHost: t\r\n\r\n")
        reply = ResponseReader(s).read()
        assert reply.header("content-length") == "11" and reply.body == b"hello world"
    data = exchange(srv.port, b"GET / HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"\r\n\r\nhello world")
    assert b"transfer-encoding" not in data


def test_stream_backpressure(weft_server: Start) -> None:
    produced: list[int] = []
    chunk = b"x" * 65536

    async def big(req: Request) -> Response:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(200):  # 12.5 MiB
                produced.append(i)
                yield chunk
        return Response(200, [], stream=gen())

    srv = weft_server(big)
    with connect(srv.port, timeout=20) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        time.sleep(0.5)
        # The client reads nothing: the producer must be held back, far
        # from having produced everything.
        assert len(produced) < 150
        reply = ResponseReader(s).read()
        assert len(reply.body) == 200 * len(chunk)


def test_expect_100_continue(weft_server: Start) -> None:
    srv = weft_server(echo, limits=Http1Limits(max_body_bytes=100))
    with connect(srv.port) as s:
        s.sendall(b"POST /body HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        r = ResponseReader(s)
        interim = r.read()
        assert interim.status == 100
        s.sendall(b"hello")
        final = r.read()
        assert final.status == 200 and final.body == b"hello"
    # Too large: 413 at once, no 100, the body is never read.
    with connect(srv.port) as s:
        s.sendall(b"POST /body HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 500\r\n\r\n")
        r = ResponseReader(s)
        assert r.read().status == 413
        assert r.closed()


def test_100_continue_waits_for_its_turn(weft_server: Start) -> None:
    srv = weft_server(echo)
    with connect(srv.port) as s:
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"POST /body HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        r = ResponseReader(s)
        assert r.read().status == 200  # the slow one first, then the interim
        assert r.read().status == 100
        s.sendall(b"ok")
        assert r.read().body == b"ok"


def test_http10_closes_unless_keep_alive(weft_server: Start) -> None:
    srv = weft_server(echo)
    data = exchange(srv.port, b"GET /a HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 ") and b"connection: close" in data
    with connect(srv.port) as s:
        s.sendall(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = ResponseReader(s)
        reply = r.read()
        assert reply.header("connection") == "keep-alive"
        s.sendall(b"GET /b HTTP/1.0\r\n\r\n")
        assert json.loads(r.read().body)["version"] == "1.0"
        assert r.closed()


def test_connection_close_is_honoured(weft_server: Start) -> None:
    srv = weft_server(echo)
    with connect(srv.port) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\nHost: t\r\n\r\n")
        r = ResponseReader(s)
        assert r.read().header("connection") == "close"
        assert r.closed()


def test_head_has_length_but_no_body(weft_server: Start) -> None:
    srv = weft_server(echo)
    with connect(srv.port) as s:
        s.sendall(b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\n\r\n")
        r = ResponseReader(s)
        head = r.read(head_only=True)
        assert int(head.header("content-length") or 0) > 0
        got = r.read()
        assert json.loads(got.body)["path"] == "/x"


def test_handler_exception_is_500_logged_once_connection_reusable(
        weft_server: Start, caplog: pytest.LogCaptureFixture) -> None:
    async def svc(req: Request) -> Response:
        if req.path == "/boom":
            raise RuntimeError("kaboom")
        return Response(200, [], b"ok")

    srv = weft_server(svc)
    with caplog.at_level(logging.ERROR, logger="weft"), connect(srv.port) as s:
        s.sendall(b"GET /boom HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        r = ResponseReader(s)
        err = r.read()
        assert err.status == 500 and err.header("content-type") == "application/problem+json"
        assert json.loads(err.body)["status"] == 500 and b"kaboom" not in err.body
        assert r.read().body == b"ok"
    tracebacks = [rec for rec in caplog.records if rec.exc_info]
    assert len(tracebacks) == 1 and "kaboom" in str(tracebacks[0].exc_info[1])  # type: ignore[index]


def test_failing_stream_closes_the_connection(weft_server: Start) -> None:
    async def svc(req: Request) -> Response:
        async def gen() -> AsyncIterator[bytes]:
            yield b"partial"
            raise RuntimeError("stream broke")
        return Response(200, [], stream=gen())

    srv = weft_server(svc)
    data = exchange(srv.port, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 ") and b"partial" in data
    assert not data.endswith(b"0\r\n\r\n")  # truncated, not a complete message


def test_no_task_outlives_its_connection(weft_server: Start) -> None:
    async def hang(req: Request) -> Response:
        await asyncio.sleep(3600)
        return Response(200)

    srv = weft_server(hang)
    for _ in range(5):
        s = connect(srv.port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert srv.wait_for(lambda: srv.stats.requests_in_flight >= 1)
        s.close()
        assert srv.wait_for(lambda: srv.stats.connections_open == 0)

    def only_server_tasks() -> bool:
        names = [t.get_coro() for t in asyncio.all_tasks()]
        return all(getattr(c, "__qualname__", "").startswith(("RunningServer", "poll"))
                   or "poll" in repr(c) for c in names)
    assert srv.wait_for(only_server_tasks)
    assert srv.stats.requests_in_flight == 0


def test_ten_thousand_raising_requests_leak_nothing(weft_server: Start) -> None:
    logger = logging.getLogger("weft")
    old = logger.level
    logger.setLevel(logging.CRITICAL)  # 10,000 tracebacks would only slow the test

    async def svc(req: Request) -> Response:
        if req.path == "/ok":
            return Response(200, [], b"healthy")
        if req.path == "/late":
            await asyncio.sleep(0)
        raise RuntimeError("always")

    try:
        srv = weft_server(svc, limits=Http1Limits(max_pipeline=64))
        batch = (b"GET /early HTTP/1.1\r\nHost: t\r\n\r\nGET /late HTTP/1.1\r\nHost: t\r\n\r\n") * 50
        total = 0
        for _ in range(20):  # 20 connections x 500 requests
            with connect(srv.port, timeout=30) as s:
                r = ResponseReader(s)
                for _ in range(5):
                    s.sendall(batch)
                    for _ in range(100):
                        assert r.read().status == 500
                        total += 1
        assert total == 10_000
        assert srv.wait_for(lambda: srv.stats.connections_open == 0)
        assert srv.stats.requests_in_flight == 0
        with connect(srv.port) as s:
            s.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            assert ResponseReader(s).read().body == b"healthy"
        assert srv.wait_for(lambda: srv.stats.connections_open == 0)
        assert srv.stats.requests_total == 10_001
        assert srv.sync(lambda: len(asyncio.all_tasks())) <= 2
    finally:
        logger.setLevel(old)

