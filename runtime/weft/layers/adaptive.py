"""AdaptiveConcurrencyLayer: a concurrency limit that follows latency (Vegas).

How this works:

* The layer is a `Gate` whose limit moves. Each completed request gives one
  sample: its service time (from entering the inner service to its
  response, queueing excluded) and the number in flight when it started.
* `VegasLimit` keeps the smallest service time seen as the no-load
  baseline and estimates how many requests are queued inside the service:
  queue = limit * (1 - baseline / sample). Below `alpha` the service has
  headroom and the limit grows by one (only if at least half the limit was
  in use, else the limit is not what holds throughput back); above `beta`
  requests are queueing inside and it shrinks by one; in between it holds.
  It never leaves [min_limit, max_limit]. The estimated queue cannot
  exceed the limit, so latency alone never pushes the limit below about
  `beta`: lower `alpha` and `beta` for services that need small limits.
* A 503 from the inner service (it is shedding) shrinks the limit too.
  Calls that raise or are cancelled give no sample.
* Every `probe_every` samples the baseline is reset to the next sample, so
  a permanently slower backend (or a lucky early sample) does not pin it.
* Beyond the limit, up to `max_queue` requests wait (default none); the
  rest get 503 problem+json with `Retry-After`.
* One limit per layer object, shared by every service it wraps. The clock
  is injectable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, final

from weft.http_types import Request, Response
from weft.layers.admission import FifoQueue, Gate
from weft.layers.rejection import Refusal
from weft.types import Service

__all__ = ["AdaptiveConcurrencyLayer", "VegasConfig", "VegasLimit"]

LAYER_NAME: Final = "adaptive"


@final
@dataclass(frozen=True, slots=True)
class VegasConfig:
    """Limit bounds and start, queue thresholds (requests), probe period
    (samples), waiting room, and `Retry-After` seconds."""

    initial_limit: int = 20
    min_limit: int = 1
    max_limit: int = 1000
    alpha: float = 3.0
    beta: float = 6.0
    probe_every: int = 1000
    max_queue: int = 0
    retry_after: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.min_limit <= self.initial_limit <= self.max_limit:
            raise ValueError("need 1 <= min_limit <= initial_limit <= max_limit")
        if not 0 <= self.alpha < self.beta:
            raise ValueError("need 0 <= alpha < beta")
        if self.probe_every < 0 or self.max_queue < 0 or self.retry_after < 0:
            raise ValueError("probe_every, max_queue and retry_after must be >= 0")


@final
class VegasLimit:
    """The limit algorithm alone: feed it samples, read `limit`."""

    __slots__ = ("baseline", "config", "limit", "samples")

    def __init__(self, config: VegasConfig | None = None) -> None:
        self.config = config if config is not None else VegasConfig()
        self.limit = self.config.initial_limit
        #: the smallest service time seen since the last probe (0: none yet)
        self.baseline = 0.0
        self.samples = 0

    def update(self, rtt: float, in_flight: int) -> int:
        """One completed request that took `rtt` seconds with `in_flight`
        requests inside when it started; returns the new limit."""
        if not rtt > 0:
            return self.limit
        cfg = self.config
        self.samples += 1
        if cfg.probe_every and self.samples % cfg.probe_every == 0:
            self.baseline = rtt
            return self.limit
        if self.baseline == 0.0 or rtt < self.baseline:
            self.baseline = rtt
            return self.limit
        queue = self.limit * (1.0 - self.baseline / rtt)
        if queue < cfg.alpha:
            if 2 * in_flight >= self.limit:
                self.limit = min(cfg.max_limit, self.limit + 1)
        elif queue > cfg.beta:
            self.limit = max(cfg.min_limit, self.limit - 1)
        return self.limit

    def overloaded(self) -> int:
        """The inner service shed a request: back off by one."""
        self.limit = max(self.config.min_limit, self.limit - 1)
        return self.limit


@final
class AdaptiveConcurrencyLayer:
    """A Vegas-controlled concurrency limit; 503 beyond it."""

    __slots__ = ("clock", "config", "gate", "limiter", "refusal")

    def __init__(self, config: VegasConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = cfg = config if config is not None else VegasConfig()
        self.limiter = VegasLimit(cfg)
        self.clock = clock
        self.gate = Gate(cfg.initial_limit, FifoQueue(), clock)
        self.refusal = Refusal(LAYER_NAME, "the server is at its concurrency limit; retry later",
                               cfg.retry_after)

    @classmethod
    def default(cls) -> AdaptiveConcurrencyLayer:
        return cls()

    @classmethod
    def vegas(cls, min_limit: int, max_limit: int, initial_limit: int) -> AdaptiveConcurrencyLayer:
        return cls(VegasConfig(initial_limit=initial_limit, min_limit=min_limit,
                               max_limit=max_limit))

    def current_limit(self) -> int:
        return self.gate.limit

    def current_inflight(self) -> int:
        return self.gate.in_flight

    def saturated(self) -> bool:
        return self.gate.saturated()

    def record(self, rtt: float, in_flight: int, status: int) -> None:
        """Feed one completed request to the limiter and move the gate."""
        limiter = self.limiter
        new = limiter.overloaded() if status == 503 else limiter.update(rtt, in_flight)
        if new != self.gate.limit:
            self.gate.set_limit(new)

    def wrap(self, inner: Service) -> Service:
        return AdaptiveService(inner, self)


@final
class AdaptiveService:
    """`inner` behind the layer's adaptive gate."""

    __slots__ = ("_clock", "_gate", "_inner", "_layer", "_max_queue", "_refusal")

    def __init__(self, inner: Service, layer: AdaptiveConcurrencyLayer) -> None:
        self._inner = inner
        self._layer = layer
        self._gate = layer.gate
        self._clock = layer.clock
        self._max_queue = layer.config.max_queue
        self._refusal = layer.refusal

    def saturated(self) -> bool:
        return self._gate.saturated()

    async def __call__(self, request: Request) -> Response:
        gate = self._gate
        if gate.in_flight < gate.limit and not gate.waiting:
            gate.in_flight += 1
        elif gate.waiting >= self._max_queue or not await gate.wait(gate.waiter()):
            return self._refusal.respond(request)
        in_flight = gate.in_flight
        clock = self._clock
        start = clock()
        try:
            response = await self._inner(request)
        finally:
            gate.leave()
        self._layer.record(clock() - start, in_flight, response.status)
        return response
