"""Eager start: run a service coroutine inline until it first suspends.

Most handlers finish without ever awaiting anything that blocks, so the
connection steps the coroutine once with `send(None)` right inside
`data_received`. If that raises `StopIteration`, the response is ready and no
task was ever made. If the coroutine yields (it is waiting on a future), the
already-started coroutine is wrapped in `Resumed` and handed to a task:
`Resumed` first replays the value the coroutine yielded, so the task waits on
exactly that future, then forwards every `send`/`throw`/`close` to the
coroutine. Cancellation therefore reaches the coroutine at its suspension
point, even if the task is cancelled before it ever ran.

`first_step` does that first step: the return value, or `Suspended` with
what the coroutine yielded.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from types import CoroutineType
from typing import Any, Final, TypeVar, final

from weft.accel import native_module

T = TypeVar("T")

_NOTHING: Final = object()


@final
class Resumed(Coroutine[Any, Any, T]):
    """A coroutine object continuing one that already yielded `first`."""

    __slots__ = ("_first", "_inner")

    # Any: the yielded values are whatever the awaited futures are (asyncio
    # futures, None for a bare yield); the task interprets them, not us.
    def __init__(self, inner: Coroutine[Any, Any, T] | Generator[Any, Any, T],
                 first: Any) -> None:
        self._inner = inner
        self._first = first

    def send(self, value: Any) -> Any:
        first = self._first
        if first is not _NOTHING:
            self._first = _NOTHING
            return first
        return self._inner.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._first = _NOTHING
        if val is None and tb is None:
            return self._inner.throw(typ)
        return self._inner.throw(typ, val, tb)  # pragma: no cover - legacy form

    def close(self) -> None:
        self._first = _NOTHING
        self._inner.close()

    def __await__(self) -> Generator[Any, None, T]:
        return self  # its own iterator, like a native coroutine wrapper

    def __iter__(self) -> Resumed[T]:
        return self

    def __next__(self) -> Any:
        return self.send(None)


@final
class Suspended:
    """`first_step`'s answer when the coroutine yielded instead of returning.

    `value` is what it yielded (the future it waits on): hand
    `Resumed(coro, value)` to a task to carry on from there.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def py_first_step(coro: Coroutine[Any, Any, Any] | Generator[Any, Any, Any]) -> Any:
    """Run `coro` until it returns (its value) or first yields (`Suspended`).

    Exceptions from `coro` propagate. The specification of the C
    `first_step`, which gets the return value from CPython's `PyIter_Send`
    without the StopIteration this raises and catches.
    """
    send = getattr(coro, "send", None)
    try:
        # a plain iterator (an `__await__` may return one) is advanced, as
        # PyIter_Send does
        yielded = send(None) if send is not None else next(coro)  # type: ignore[arg-type]
    except StopIteration as done:
        return done.value
    return Suspended(yielded)


def start(awaitable: Any) -> tuple[Any, Any]:
    """(the iterator to drive, `first_step` of it) for anything a service may
    return: a coroutine as it is, any other awaitable through `__await__`
    (Any: whatever the service gave)."""
    step = awaitable if type(awaitable) is CoroutineType else awaitable.__await__()
    return step, first_step(step)


def _load_native() -> Callable[[Any], Any]:
    native = native_module("weft.connection._native")
    if native is None:
        return py_first_step
    native.bind(Suspended)
    step: Callable[[Any], Any] = native.first_step
    return step


#: `py_first_step`, in C when the accelerator is built (see `weft.accel`)
first_step: Final = _load_native()
