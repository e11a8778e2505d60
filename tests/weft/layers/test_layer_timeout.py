"""TimeoutLayer: deadline propagation, cancellation, nesting, eager start."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

import pytest
from layer_support import drive_eagerly, ok, request, run
from weft.http_types import Request, Response
from weft.layers.timeout import DEADLINE_KEY, TimeoutLayer, remaining


class Sleeper:
    """A handler that sleeps far past any test deadline and notes its fate."""

    def __init__(self, seconds: float = 30.0) -> None:
        self.seconds = seconds
        self.cancelled = False
        self.seen_remaining: float | None = None
        self.seen_deadline: float | None = None

    async def __call__(self, req: Request) -> Response:
        self.seen_remaining = remaining(req)
        self.seen_deadline = req.extensions.get(DEADLINE_KEY)
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return Response(200)


def test_constructors() -> None:
    assert TimeoutLayer.ms(5000).seconds == 5.0
    assert TimeoutLayer.secs(2).seconds == 2.0
    with pytest.raises(ValueError):
        TimeoutLayer(0)
    with pytest.raises(ValueError):
        TimeoutLayer.ms(-5)


def test_fast_handler_passes_and_sees_its_deadline() -> None:
    handler = Sleeper(0.0)
    svc = TimeoutLayer(5).wrap(handler)
    req = request()

    async def main() -> tuple[Response, float]:
        before = asyncio.get_running_loop().time()
        return await svc(req), before

    resp, before = run(main())
    assert resp.status == 200
    assert handler.seen_deadline is not None
    assert before + 5 <= handler.seen_deadline
    assert handler.seen_remaining is not None and 0 < handler.seen_remaining <= 5
    assert DEADLINE_KEY not in req.extensions  # restored after the call
    assert remaining(req) is None


def test_slow_handler_is_cancelled_with_504_problem() -> None:
    handler = Sleeper()
    svc = TimeoutLayer.ms(30).wrap(handler)
    resp = run(svc(request()))
    assert resp.status == 504
    assert resp.header("content-type") == "application/problem+json"
    doc = json.loads(resp.body)
    assert doc["status"] == 504 and doc["title"] == "Gateway Timeout"
    assert handler.cancelled


def test_handler_that_swallows_cancellation_keeps_its_answer() -> None:
    async def stubborn(req: Request) -> Response:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return Response(299)
        return Response(200)

    resp = run(TimeoutLayer.ms(20).wrap(stubborn)(request()))
    assert resp.status == 299


def test_nested_tighter_inner_deadline_wins() -> None:
    handler = Sleeper()
    svc = TimeoutLayer(30).wrap(TimeoutLayer.ms(30).wrap(handler))
    resp = run(svc(request()))
    assert resp.status == 504
    assert handler.cancelled
    assert handler.seen_remaining is not None and handler.seen_remaining <= 0.03


def test_nested_tighter_outer_deadline_wins() -> None:
    handler = Sleeper()
    outer = TimeoutLayer.ms(30)
    svc = outer.wrap(TimeoutLayer(30).wrap(handler))
    resp = run(svc(request()))
    assert resp.status == 504
    assert handler.cancelled
    assert handler.seen_remaining is not None and handler.seen_remaining <= 0.03


def test_inner_layer_restores_the_outer_deadline() -> None:
    seen: list[float | None] = []

    async def probe(req: Request) -> Response:
        seen.append(req.extensions.get(DEADLINE_KEY))
        return Response(200)

    inner = TimeoutLayer(1).wrap(probe)

    async def middle(req: Request) -> Response:
        seen.append(req.extensions.get(DEADLINE_KEY))
        resp = await inner(req)
        seen.append(req.extensions.get(DEADLINE_KEY))
        return resp

    run(TimeoutLayer(20).wrap(middle)(request()))
    outer_deadline, inner_deadline, after = seen[0], seen[1], seen[2]
    assert outer_deadline is not None and inner_deadline is not None
    assert inner_deadline < outer_deadline
    assert after == outer_deadline


def test_expired_deadline_short_circuits() -> None:
    called = False

    async def handler(req: Request) -> Response:
        nonlocal called
        called = True
        return Response(200)

    svc = TimeoutLayer(30).wrap(handler)

    async def main() -> Response:
        req = request()
        req.extensions[DEADLINE_KEY] = asyncio.get_running_loop().time() - 1
        return await svc(req)

    assert run(main()).status == 504
    assert not called


def test_caller_cancellation_propagates_instead_of_504() -> None:
    handler = Sleeper()
    svc = TimeoutLayer(30).wrap(handler)

    async def main() -> None:
        task = asyncio.ensure_future(svc(request()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert handler.cancelled


def test_handler_exception_propagates() -> None:
    async def broken(req: Request) -> Response:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run(TimeoutLayer(5).wrap(broken)(request()))


def test_eager_start_outside_any_task() -> None:
    async def main() -> tuple[Response, Response, Response]:
        fast = await drive_eagerly(TimeoutLayer(5).wrap(ok), request())
        slow = await drive_eagerly(TimeoutLayer.ms(20).wrap(Sleeper()), request())
        nested = await drive_eagerly(TimeoutLayer(5).wrap(TimeoutLayer.ms(20).wrap(Sleeper())),
                                     request())
        return fast, slow, nested

    fast, slow, nested = run(main())
    assert fast.status == 200
    assert slow.status == 504
    assert nested.status == 504


def test_closing_an_eagerly_started_coroutine_cancels_the_inner_call() -> None:
    handler = Sleeper()
    svc = TimeoutLayer(30).wrap(handler)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        started: asyncio.Future[Coroutine[Any, Any, Response]] = loop.create_future()

        def start() -> None:
            coro = svc(request())
            assert asyncio.iscoroutine(coro)
            coro.send(None)          # suspends on the inner task, outside any task
            started.set_result(coro)

        loop.call_soon(start)
        coro = await started
        for _ in range(5):           # the inner task starts and sleeps
            await asyncio.sleep(0)
        assert handler.seen_deadline is not None and not handler.cancelled
        coro.close()                 # the driver gives up on the request
        for _ in range(5):
            await asyncio.sleep(0)
        # checked here: asyncio.run would cancel a leaked task at shutdown anyway
        assert handler.cancelled

    run(main())
