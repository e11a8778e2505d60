"""Eager start and the nursery, driven through an `Http1Connection` with an
in-memory transport (no sockets): services that suspend 0, 1 and many
times, raise before or after suspending, or get cancelled."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from weft.connection import ConnectionContext, Http1Connection, Nursery
from weft.http_types import Request, Response
from weft.protocols.http1 import Http1Limits
from weft.types import Service


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.reading = True

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 4242) if name == "peername" else default

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    @property
    def data(self) -> bytes:
        return b"".join(self.writes)


def open_conn(service: Service, **limits: Any) -> tuple[Http1Connection, FakeTransport, ConnectionContext]:
    ctx = ConnectionContext(service, Http1Limits(**limits), asyncio.get_running_loop(), 100)
    conn = Http1Connection(ctx)
    transport = FakeTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, transport, ctx


GET = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"


async def settle(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_sync_handler_answers_inline_without_a_task() -> None:
    async def svc(req: Request) -> Response:
        assert req.peer == ("127.0.0.1", 4242)
        return Response(200, [], b"inline")

    conn, tr, _ = open_conn(svc)
    before = len(asyncio.all_tasks())
    conn.data_received(GET * 3)
    # Written before any loop iteration, in a single write for all three.
    assert len(tr.writes) == 1 and tr.data.count(b"inline") == 3
    assert len(asyncio.all_tasks()) == before and len(conn.nursery) == 0


@pytest.mark.parametrize("suspensions", [1, 2, 50])
async def test_suspending_handler_is_driven_to_completion(suspensions: int) -> None:
    async def svc(req: Request) -> Response:
        for i in range(suspensions):
            await asyncio.sleep(0 if i % 2 else 0.001)
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(fut.set_result, "done")
        return Response(200, [], (await fut).encode())

    conn, tr, ctx = open_conn(svc)
    conn.data_received(GET + GET)
    assert tr.data == b""
    assert ctx.stats.requests_in_flight == 1
    for _ in range(200):
        if tr.data.count(b"done") == 2:
            break
        await asyncio.sleep(0.002)
    assert tr.data.count(b"done") == 2
    assert ctx.stats.requests_in_flight == 0
    assert len(conn.nursery) == 0


async def test_exception_before_suspending_is_a_500_and_keep_alive_survives(
        caplog: pytest.LogCaptureFixture) -> None:
    async def svc(req: Request) -> Response:
        if req.path == "/boom":
            raise ValueError("early")
        return Response(200, [], b"fine")

    conn, tr, _ = open_conn(svc)
    with caplog.at_level(logging.ERROR, logger="weft"):
        conn.data_received(b"GET /boom HTTP/1.1\r\nHost: t\r\n\r\n" + GET)
    assert tr.data.startswith(b"HTTP/1.1 500 ")
    assert b"application/problem+json" in tr.data and b"fine" in tr.data
    assert not tr.closed
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [ValueError]


async def test_exception_after_suspending_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    async def svc(req: Request) -> Response:
        await asyncio.sleep(0)
        raise KeyError("late")

    conn, tr, _ = open_conn(svc)
    with caplog.at_level(logging.ERROR, logger="weft"):
        conn.data_received(GET)
        await settle()
    assert tr.data.startswith(b"HTTP/1.1 500 ")
    assert len([r for r in caplog.records if r.exc_info]) == 1
    assert not tr.closed


async def test_handler_that_cancels_itself_gets_a_500() -> None:
    async def svc(req: Request) -> Response:
        await asyncio.sleep(0)
        raise asyncio.CancelledError

    conn, tr, _ = open_conn(svc)
    conn.data_received(GET)
    await settle()
    assert tr.data.startswith(b"HTTP/1.1 500 ")


async def test_connection_loss_cancels_a_suspended_handler() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def svc(req: Request) -> Response:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Response(200)

    conn, _tr, ctx = open_conn(svc)
    conn.data_received(GET)
    await started.wait()
    tasks = set(conn.nursery.tasks)
    assert len(tasks) == 1
    conn.connection_lost(None)
    await asyncio.wait_for(cancelled.wait(), 2)
    await settle()
    assert all(t.done() for t in tasks)
    assert not (tasks & asyncio.all_tasks())
    assert ctx.stats.requests_in_flight == 0 and ctx.stats.connections_open == 0
    with pytest.raises(RuntimeError):
        conn.nursery.start(asyncio.sleep(0))


async def test_cancel_before_the_task_ever_ran_reaches_the_handler() -> None:
    seen: list[str] = []

    async def svc(req: Request) -> Response:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return Response(200)

    conn, _, _ = open_conn(svc)
    conn.data_received(GET)
    conn.connection_lost(None)  # same loop step: the task has not started
    await settle()
    assert seen == ["cancelled"]


async def test_non_coroutine_awaitable_service() -> None:
    def svc(req: Request) -> asyncio.Future[Response]:
        fut: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.001, fut.set_result, Response(201))
        return fut

    conn, tr, _ = open_conn(svc)
    conn.data_received(GET)
    for _ in range(100):
        if tr.data:
            break
        await asyncio.sleep(0.002)
    assert tr.data.startswith(b"HTTP/1.1 201 ")


async def test_non_response_return_is_a_500() -> None:
    async def svc(req: Request) -> Any:
        return "not a response"

    conn, tr, _ = open_conn(svc)
    conn.data_received(GET)
    assert tr.data.startswith(b"HTTP/1.1 500 ")


async def test_nursery_children_die_with_it() -> None:
    nursery = Nursery(asyncio.get_running_loop())
    tasks = [nursery.start(asyncio.sleep(3600)) for _ in range(5)]
    assert len(nursery) == 5
    nursery.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert all(t.cancelled() for t in tasks) and len(nursery) == 0
    coro = asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        nursery.start(coro)


async def test_connection_accepted_during_shutdown_is_served_once_then_closed() -> None:
    """Regression: a connection the kernel accepted just before shutdown
    phase 1 closed the listener used to get a 503; it must get its answer,
    with `connection: close`, like any in-flight client."""

    async def svc(req: Request) -> Response:
        return Response(200, [], b"late but served")

    ctx = ConnectionContext(svc, Http1Limits(), asyncio.get_running_loop(), 100)
    ctx.accepting = False
    conn = Http1Connection(ctx)
    tr = FakeTransport()
    conn.connection_made(tr)  # type: ignore[arg-type]
    conn.data_received(GET)
    await settle()
    assert tr.data.startswith(b"HTTP/1.1 200 ")
    assert b"connection: close" in tr.data.lower()
    assert b"late but served" in tr.data
    assert tr.closed
    assert ctx.stats.connections_rejected == 0
