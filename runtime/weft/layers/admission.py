"""The permit gate under every backpressure layer: a limit on requests in
flight, and a bounded queue of requests waiting for a permit.

How this works:

* `Gate.in_flight` counts requests holding a permit; `Gate.limit` caps it
  (the adaptive layer moves the limit at run time with `set_limit`);
  `Gate.waiting` counts the queue, so the hot path reads three plain
  attributes and calls nothing.
* A request that finds a free permit and nobody waiting takes it inline:
  no future, no allocation (services test `in_flight`, `limit` and
  `waiting` inline; `free()` and `enter()` say the same for other callers).
  Otherwise it waits as a `Waiter` in the gate's `WaitQueue`, whose
  discipline (FIFO, or tenant-fair) decides who is served next.
* `leave()` returns a permit and dispatches: waiters are popped while
  permits are free, and each one is offered to the gate's `judge` first
  (CoDel decides there, from the waiter's sojourn time). A judged-out waiter
  is woken with `False` and costs no permit.
* A permit is never lost: a waiter cancelled after it was granted (or whose
  coroutine an eager-start driver closed) hands the permit straight back,
  and one cancelled while waiting is removed from the queue.

One gate belongs to one event loop and is touched only from it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Protocol, final

__all__ = ["FifoQueue", "Gate", "Saturable", "WaitQueue", "Waiter"]


class Saturable(Protocol):
    """A service or layer that can say it has no capacity left right now."""

    def saturated(self) -> bool: ...


@final
class Waiter:
    """One queued request: its wake-up future, when it queued, whose it is."""

    __slots__ = ("cost", "enqueued_at", "future", "tag", "tenant")

    def __init__(self, future: asyncio.Future[bool], enqueued_at: float,
                 tenant: str = "", cost: float = 1.0) -> None:
        self.future = future
        self.enqueued_at = enqueued_at
        self.tenant = tenant
        self.cost = cost
        #: the queue discipline's ordering key (SFQ start tag); FIFO ignores it
        self.tag = 0.0


class WaitQueue(Protocol):
    """A queue discipline: the order in which waiters get permits."""

    def __len__(self) -> int: ...

    def push(self, waiter: Waiter) -> None: ...

    def pop(self) -> Waiter | None:
        """The next waiter to serve, or None when empty."""

    def remove(self, waiter: Waiter) -> bool:
        """Forget a waiter that gave up; False if it was no longer queued."""


@final
class FifoQueue:
    """First come, first served."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: deque[Waiter] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def push(self, waiter: Waiter) -> None:
        self._items.append(waiter)

    def pop(self) -> Waiter | None:
        return self._items.popleft() if self._items else None

    def remove(self, waiter: Waiter) -> bool:
        try:
            self._items.remove(waiter)
        except ValueError:
            return False
        return True

    def newest(self) -> Waiter | None:
        return self._items[-1] if self._items else None


# Judges a waiter as it leaves the queue: (waiter, now) -> admit?
Judge = Callable[[Waiter, float], bool]


@final
class Gate:
    """At most `limit` permits out; the rest wait in `queue` (bounded by the caller)."""

    __slots__ = ("clock", "in_flight", "judge", "limit", "queue", "waiting")

    def __init__(self, limit: int, queue: WaitQueue, clock: Callable[[], float],
                 judge: Judge | None = None) -> None:
        if limit < 1:
            raise ValueError("a concurrency limit must be at least 1")
        self.limit = limit
        self.in_flight = 0
        #: waiters in `queue` (kept here so the hot path calls no `__len__`)
        self.waiting = 0
        self.queue = queue
        self.clock = clock
        self.judge = judge

    def free(self) -> bool:
        """A permit is free and nobody is queued ahead (the inline path)."""
        return self.in_flight < self.limit and not self.waiting

    def saturated(self) -> bool:
        return self.in_flight >= self.limit

    def enter(self) -> None:
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1
        if self.waiting:
            self.dispatch()

    def set_limit(self, limit: int) -> None:
        """Move the limit; a higher one admits waiters at once. Permits above
        a lower limit are not revoked, they just are not handed out again."""
        if limit < 1:
            raise ValueError("a concurrency limit must be at least 1")
        self.limit = limit
        if self.waiting:
            self.dispatch()

    def dispatch(self) -> None:
        """Hand free permits to waiters, in the queue's order."""
        queue = self.queue
        judge = self.judge
        now = self.clock() if judge is not None else 0.0
        while self.in_flight < self.limit:
            waiter = queue.pop()
            if waiter is None:
                return
            self.waiting -= 1
            if waiter.future.done():
                continue  # cancelled; its coroutine has not run its cleanup yet
            if judge is not None and not judge(waiter, now):
                waiter.future.set_result(False)
                continue
            self.in_flight += 1
            waiter.future.set_result(True)

    def evict(self, waiter: Waiter) -> None:
        """Take a queued waiter out and wake it with False (pushed out)."""
        if self.queue.remove(waiter):
            self.waiting -= 1
        waiter.future.set_result(False)

    def waiter(self, tenant: str = "", cost: float = 1.0) -> Waiter:
        """A new waiter stamped with the gate's clock (not yet queued)."""
        loop = asyncio.get_running_loop()
        return Waiter(loop.create_future(), self.clock(), tenant, cost)

    async def wait(self, waiter: Waiter) -> bool:
        """Queue `waiter` and wait: True holding a permit, False if judged out
        or evicted (no permit held)."""
        self.queue.push(waiter)
        self.waiting += 1
        future = waiter.future
        try:
            return await future
        except BaseException:
            # Cancelled, or the coroutine was closed by an eager-start driver.
            if future.done() and not future.cancelled():
                if future.result():
                    self.leave()
            else:
                future.cancel()
                if self.queue.remove(waiter):  # else dispatch already popped it
                    self.waiting -= 1
            raise
