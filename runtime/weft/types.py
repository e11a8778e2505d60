"""The one contract between layers: a service is an async callable from a
`Request` to a `Response`; a layer wraps one service and returns another.

Composition is therefore plain nesting, and every protocol (HTTP/1.1, HTTP/2,
HTTP/3) drives the same service.

Eager start: to avoid a task per request, protocols may run a service's
coroutine synchronously until its first suspension and only then hand it to
the event loop as a task. Code on the request path must therefore not assume
`asyncio.current_task()` is its own before the first `await` that suspends;
use `asyncio.wait_for` or loop timers rather than `asyncio.timeout()` there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeAlias

from weft.http_types import Request, Response

Service: TypeAlias = Callable[[Request], Awaitable[Response]]


class Layer(Protocol):
    """Wraps a service; `wrap` must be pure composition (no I/O)."""

    def wrap(self, inner: Service) -> Service: ...
