"""TimeoutLayer: a per-request deadline, visible to the handler and enforced.

How this works:

* The deadline is an absolute event-loop time stored in
  `request.extensions["weft.deadline"]`, so the handler (and any client call
  it makes) can budget with `remaining(request)`.
* Nested layers compose: a layer whose deadline is not tighter than the one
  already set adds nothing and calls straight through; a tighter one
  replaces it for the inner call and restores the outer value afterwards.
* Enforcement runs the inner service as a task and arms a loop timer that
  cancels it. It deliberately uses neither `asyncio.timeout()` nor
  `current_task()`: under eager start (see `weft.types`) this code may run
  from a protocol callback, outside any task, until its first suspension.
* A cancelled inner call becomes `504 Gateway Timeout` problem+json, the
  status of Verum's `WeftError.Timeout`. If the caller itself was cancelled
  too (the connection went away), the cancellation propagates instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Final, final

from weft.errors import problem
from weft.http_types import Request, Response
from weft.types import Service

__all__ = ["DEADLINE_KEY", "TimeoutLayer", "remaining"]

DEADLINE_KEY: Final = "weft.deadline"


def remaining(request: Request) -> float | None:
    """Seconds left before the request's deadline (never negative), or None."""
    deadline = request.extensions.get(DEADLINE_KEY)
    if deadline is None:
        return None
    return max(0.0, float(deadline) - asyncio.get_running_loop().time())


def _timeout_response() -> Response:
    return problem(504, detail="the request's deadline passed before a response was ready")


@final
class TimeoutLayer:
    """Cancel the inner service when the request's deadline passes."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("a timeout must be a positive number of seconds")
        self.seconds = float(seconds)

    @classmethod
    def ms(cls, millis: int) -> TimeoutLayer:
        return cls(millis / 1000)

    @classmethod
    def secs(cls, seconds: float) -> TimeoutLayer:
        return cls(seconds)

    def __repr__(self) -> str:
        return f"TimeoutLayer({self.seconds:g})"

    def wrap(self, inner: Service) -> Service:
        seconds = self.seconds

        async def timeout_service(request: Request) -> Response:
            loop = asyncio.get_running_loop()
            now = loop.time()
            own = now + seconds
            outer = request.extensions.get(DEADLINE_KEY)
            if outer is not None and outer <= own:
                # An enclosing deadline is at least as tight: it is the one
                # that fires, so this layer has nothing to add.
                if outer <= now:
                    return _timeout_response()
                return await inner(request)
            request.extensions[DEADLINE_KEY] = own
            try:
                return await _run_with_deadline(loop, inner, request, own)
            finally:
                if outer is None:
                    request.extensions.pop(DEADLINE_KEY, None)
                else:
                    request.extensions[DEADLINE_KEY] = outer

        return timeout_service


async def _run_with_deadline(loop: asyncio.AbstractEventLoop, inner: Service,
                             request: Request, deadline: float) -> Response:
    awaitable = inner(request)
    coro = awaitable if asyncio.iscoroutine(awaitable) else _await(awaitable)
    task: asyncio.Task[Response] = loop.create_task(coro)
    fired = False

    def expire() -> None:
        nonlocal fired
        if not task.done():
            fired = True
            task.cancel()

    timer = loop.call_at(deadline, expire)
    try:
        return await task
    except asyncio.CancelledError:
        # The timer is one cancel request; any further one came from our
        # caller (awaiting a task forwards cancellation into it), and that
        # one must win.
        if fired and task.cancelling() <= 1:
            return _timeout_response()
        raise
    finally:
        timer.cancel()
        if not task.done():
            # We are being torn down without a cancel (an eager-start driver
            # closed our coroutine): the inner call must not outlive us.
            task.cancel()


async def _await(awaitable: Awaitable[Response]) -> Response:
    # `Service` may return any awaitable; a task needs a coroutine.
    return await awaitable
