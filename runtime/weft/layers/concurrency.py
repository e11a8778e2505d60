"""ConcurrencyLimitLayer: at most N requests inside, a bounded line outside.

How this works:

* One `Gate` per layer object: every service the layer wraps shares its
  `max_in_flight` permits (wrap one service per layer for a private limit).
* A request that finds a free permit goes straight in. Otherwise it waits,
  first come first served, while fewer than `max_queue` are waiting; beyond
  that it is refused at once with 503 problem+json and `Retry-After`, and
  the inner service never sees it.
* The permit is returned when the inner service returns its response (or
  raises, or is cancelled), so a streamed body's transfer is not counted.
* The wrapped service reports `saturated()` (no free permit), which an
  outer `LoadShedLayer` uses to refuse instead of queueing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, final

from weft.http_types import Request, Response
from weft.layers.admission import FifoQueue, Gate
from weft.layers.rejection import Refusal
from weft.types import Service

__all__ = ["ConcurrencyLimitLayer"]

LAYER_NAME: Final = "concurrency"


@final
class ConcurrencyLimitLayer:
    """Cap requests in flight at `max_in_flight`; queue up to `max_queue` more."""

    __slots__ = ("gate", "max_queue", "refusal")

    def __init__(self, max_in_flight: int, *, max_queue: int | None = None,
                 retry_after: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        queue_bound = max_in_flight if max_queue is None else max_queue
        if queue_bound < 0:
            raise ValueError("max_queue must be >= 0")
        self.gate = Gate(max_in_flight, FifoQueue(), clock)
        self.max_queue = queue_bound
        self.refusal = Refusal(LAYER_NAME, "too many requests in progress; retry later",
                               retry_after)

    @classmethod
    def new(cls, max_in_flight: int) -> ConcurrencyLimitLayer:
        return cls(max_in_flight)

    @property
    def in_flight(self) -> int:
        return self.gate.in_flight

    @property
    def queued(self) -> int:
        return self.gate.waiting

    def saturated(self) -> bool:
        return self.gate.saturated()

    def wrap(self, inner: Service) -> Service:
        return LimitedService(inner, self.gate, self.max_queue, self.refusal)


@final
class LimitedService:
    """`inner` behind a shared gate; reports `saturated()` to outer layers."""

    __slots__ = ("_gate", "_inner", "_max_queue", "_refusal")

    def __init__(self, inner: Service, gate: Gate, max_queue: int, refusal: Refusal) -> None:
        self._inner = inner
        self._gate = gate
        self._max_queue = max_queue
        self._refusal = refusal

    def saturated(self) -> bool:
        return self._gate.saturated()

    async def __call__(self, request: Request) -> Response:
        gate = self._gate
        if gate.in_flight < gate.limit and not gate.waiting:
            gate.in_flight += 1
        elif gate.waiting >= self._max_queue or not await gate.wait(gate.waiter()):
            return self._refusal.respond(request)
        try:
            return await self._inner(request)
        finally:
            gate.in_flight -= 1
            if gate.waiting:
                gate.dispatch()
