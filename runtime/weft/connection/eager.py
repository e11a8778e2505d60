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

The hot paths step through a `Stepper` instead of `send(None)`: the same
result, without the StopIteration a returning coroutine raises.
"""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from typing import Any, Final, TypeVar, final

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


#: what a `Stepper` yields when the coroutine it ran returned
DONE: Final = object()


@types.coroutine
def _steps(box: Stepper) -> Generator[Any, Any, Any]:
    coro = yield
    while True:
        # `yield from` resumes with the return value directly (the SEND
        # opcode): no StopIteration is raised, unlike `coro.send(None)`.
        box.result = yield from coro
        if box.detached:
            return box.result  # a task owns us now: finish like the coroutine
        coro = yield DONE


@final
class Stepper:
    """Runs coroutines until they first suspend, without StopIteration.

    `y = stepper.send(coro)` runs `coro`; `y is DONE` means it returned and
    its value is in `result` (clear it after use), and the stepper can take
    the next coroutine. Anything else is what the coroutine yielded (it is
    waiting): set `detached`, hand `Resumed(stepper.gen, y)` to a task (it
    ends with the coroutine's value), and use a new Stepper from then on. An
    exception from `coro` propagates out of `send` and ends the stepper too.
    A stepper runs one coroutine at a time: take it from where it is kept
    while it runs, so a nested caller makes its own.

    Raising and catching StopIteration is most of the cost of stepping a
    coroutine that finishes at once; a generator driving it by `yield from`
    avoids it.
    """

    __slots__ = ("detached", "gen", "result", "send")

    def __init__(self) -> None:
        self.result: Any = None
        self.detached = False
        self.gen = _steps(self)
        self.gen.send(None)
        #: the bound `gen.send`, looked up once
        self.send = self.gen.send
