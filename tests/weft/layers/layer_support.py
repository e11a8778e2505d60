"""Shared helpers for the layer tests: requests, trivial services, and a
driver that starts a service the way an eager-start protocol does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from weft.http_types import Headers, Request, Response
from weft.types import Service

T = TypeVar("T")


def run(coro: Awaitable[T], limit: float = 10.0) -> T:
    """Run one coroutine on a fresh loop, bounded in time."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, limit)

    return asyncio.run(bounded())


def request(method: str = "GET", path: str = "/", headers: list[tuple[str, str]] | None = None,
            ) -> Request:
    return Request(method, path, headers=Headers(headers or []))


async def ok(request: Request) -> Response:
    return Response(200, [("content-type", "text/plain")], b"ok")


def routed(template: str, status: int = 200, suspend: bool = False) -> Service:
    """A stand-in for the router: records the route template, like the real one."""

    async def handler(request: Request) -> Response:
        request.extensions["weft.route"] = template
        if suspend:
            await asyncio.sleep(0.001)
        return Response(status, [], b"")

    return handler


def drive_eagerly(service: Service, req: Request) -> Awaitable[Response]:
    """Start `service(req)` from a loop callback (no current task) with a bare
    `send(None)`, and only after its first suspension hand it to a task:
    what an eager-start protocol does in `data_received`."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[Response] = loop.create_future()

    def settle(task: asyncio.Task[Response]) -> None:
        if task.cancelled():
            result.cancel()
            return
        exc = task.exception()
        if exc is not None:
            result.set_exception(exc)
        else:
            result.set_result(task.result())

    def start() -> None:
        coro = service(req)
        assert asyncio.iscoroutine(coro)
        try:
            if asyncio.current_task() is not None:
                raise AssertionError("drive_eagerly must start outside any task")
            yielded = coro.send(None)
        except StopIteration as stop:
            result.set_result(stop.value)
            return
        except BaseException as exc:  # forwarded to the awaiting test
            result.set_exception(exc)
            return

        def resume(_: object = None) -> None:
            # A Task accepts a started coroutine; its first step sends None,
            # which resumes past the (now done) future it was suspended on.
            loop.create_task(coro).add_done_callback(settle)

        if isinstance(yielded, asyncio.Future):
            yielded.add_done_callback(resume)
        else:  # a bare `yield` (asyncio.sleep(0)): resume on the next iteration
            loop.call_soon(resume)

    loop.call_soon(start)
    return result
