"""CoDelLayer: admission by queueing delay (CoDel, Nichols & Jacobson 2012).

How this works:

* Requests beyond `max_in_flight` wait in a FIFO queue for a permit. Each
  request's *sojourn* is the time it waited, measured when it leaves the
  queue; the `CoDel` controller judges it there.
* A good queue drains: some request in every `interval` gets through in
  less than `target`. So the controller watches for sojourn staying at or
  above `target` for a whole `interval` (equivalently, the minimum sojourn
  over an interval exceeding `target`), and only then starts dropping.
* Dropping state: the first request is dropped at once; the next drop is
  due `interval / sqrt(count)` later (the control law), so the drop rate
  rises gently until sojourn falls below `target`, which ends the state.
  Re-entering soon after leaving resumes near the previous drop rate
  instead of starting over.
* A dropped request gets 503 problem+json with `Retry-After`, and the
  permit goes to the next waiter. A request that finds a free permit and an
  empty queue has sojourn 0, which tells the controller the queue drained.
* The queue also has a hard bound (`max_queue`): beyond it, 503 at once.
* `saturated()` predicts a newcomer's sojourn: with every permit taken it
  waits for about `(waiting + 1) / max_in_flight` permit hold times (Little's
  law), the hold time being a moving average (weight 1/8, as TCP's smoothed
  RTT) of how long admitted requests kept their permit. At or above `target`
  the layer reports saturation, so a `LoadShedLayer.default()` outside
  refuses at the door the requests CoDel would find late anyway, instead of
  letting them queue: CoDel's control law thins a queue fed by clients that
  back off, and cannot keep pace alone with clients that do not (open-loop
  load at twice capacity needs half of all arrivals dropped). A full queue
  also reports saturation.
* Time comes from an injectable `clock` (seconds); tests use a fake one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, final

from weft.http_types import Request, Response
from weft.layers.admission import FifoQueue, Gate, Waiter
from weft.layers.rejection import Refusal
from weft.types import Service

__all__ = ["CoDel", "CoDelConfig", "CoDelLayer"]

LAYER_NAME: Final = "codel"
# Re-entering the dropping state within this many intervals of the last
# scheduled drop resumes the previous drop rate.
_RESUME_INTERVALS: Final = 16
# Weight of the newest sample in the permit hold-time average.
_HOLD_WEIGHT: Final = 0.125


@final
@dataclass(frozen=True, slots=True)
class CoDelConfig:
    """Target and interval in seconds (the paper's 5 ms and 100 ms), the
    permits in flight, the queue's hard bound, and `Retry-After` seconds."""

    target: float = 0.005
    interval: float = 0.1
    max_in_flight: int = 64
    max_queue: int = 1024
    retry_after: int = 1

    def __post_init__(self) -> None:
        if not self.target > 0 or not self.interval > 0:
            raise ValueError("CoDel target and interval must be positive")
        if self.target >= self.interval:
            raise ValueError("CoDel target must be below its interval")
        if self.max_in_flight < 1 or self.max_queue < 0:
            raise ValueError("max_in_flight must be >= 1 and max_queue >= 0")
        if self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")


@final
class CoDel:
    """The CoDel controller: `admit(sojourn, now)` decides one dequeue."""

    __slots__ = ("count", "drop_next", "dropping", "drops", "first_above", "interval",
                 "last_count", "target")

    def __init__(self, target: float = 0.005, interval: float = 0.1) -> None:
        self.target = target
        self.interval = interval
        #: when sojourn will have been above target for a full interval (0: not above)
        self.first_above = 0.0
        self.dropping = False
        #: when the next drop is due while dropping
        self.drop_next = 0.0
        #: drops in the current dropping state (drives the control law)
        self.count = 0
        self.last_count = 0
        #: drops over the controller's life
        self.drops = 0

    def _control_law(self, t: float) -> float:
        return t + self.interval / math.sqrt(self.count)

    def _persistently_above(self, sojourn: float, now: float) -> bool:
        if sojourn < self.target:
            self.first_above = 0.0
            return False
        if self.first_above == 0.0:
            self.first_above = now + self.interval
            return False
        return now >= self.first_above

    def admit(self, sojourn: float, now: float) -> bool:
        """Judge a request that waited `sojourn` seconds, leaving the queue at `now`."""
        above = self._persistently_above(sojourn, now)
        if self.dropping:
            if not above:
                self.dropping = False
                return True
            if now < self.drop_next:
                return True
            self.count += 1
            self.drops += 1
            self.drop_next = self._control_law(self.drop_next)
            return False
        if not above:
            return True
        self.dropping = True
        delta = self.count - self.last_count
        recent = now - self.drop_next < _RESUME_INTERVALS * self.interval
        self.count = delta if delta > 1 and recent else 1
        self.last_count = self.count
        self.drops += 1
        self.drop_next = self._control_law(now)
        return False

    def drained(self) -> None:
        """The queue was empty: a zero-sojourn admission, without the call."""
        self.first_above = 0.0
        self.dropping = False

    def should_drop(self, sojourn: float, now: float) -> bool:
        """Verum's spelling: the negation of `admit`."""
        return not self.admit(sojourn, now)


@final
class HoldTime:
    """Moving average of how long an admitted request holds its permit."""

    __slots__ = ("mean", "samples")

    def __init__(self) -> None:
        self.mean = 0.0
        self.samples = 0

    def add(self, seconds: float) -> None:
        self.samples += 1
        self.mean = seconds if self.samples == 1 else (
            self.mean + (seconds - self.mean) * _HOLD_WEIGHT)


@final
class CoDelLayer:
    """Bound queueing delay: drop (503) while sojourn stays above target."""

    __slots__ = ("codel", "config", "gate", "hold", "refusal")

    def __init__(self, config: CoDelConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = cfg = config if config is not None else CoDelConfig()
        self.codel = CoDel(cfg.target, cfg.interval)
        self.gate = Gate(cfg.max_in_flight, FifoQueue(), clock, self._judge)
        self.hold = HoldTime()
        self.refusal = Refusal(LAYER_NAME, "requests are waiting too long; retry later",
                               cfg.retry_after)

    @classmethod
    def new(cls) -> CoDelLayer:
        return cls()

    @classmethod
    def with_target_interval(cls, target_ms: float, interval_ms: float) -> CoDelLayer:
        return cls(CoDelConfig(target=target_ms / 1000, interval=interval_ms / 1000))

    def _judge(self, waiter: Waiter, now: float) -> bool:
        return self.codel.admit(now - waiter.enqueued_at, now)

    def expected_sojourn(self) -> float:
        """Seconds a request arriving now would wait for a permit (0: one is free)."""
        gate = self.gate
        if gate.in_flight < gate.limit and not gate.waiting:
            return 0.0
        return (gate.waiting + 1) * self.hold.mean / gate.limit

    def saturated(self) -> bool:
        """A newcomer would find no permit and either a full queue or a wait
        of at least `target`."""
        gate = self.gate
        if gate.in_flight < gate.limit and not gate.waiting:
            return False
        return (gate.waiting >= self.config.max_queue
                or self.expected_sojourn() >= self.config.target)

    def wrap(self, inner: Service) -> Service:
        return CoDelService(inner, self)


@final
class CoDelService:
    """`inner` behind a CoDel-judged queue."""

    __slots__ = ("_clock", "_codel", "_gate", "_hold", "_inner", "_layer", "_max_queue",
                 "_refusal")

    def __init__(self, inner: Service, layer: CoDelLayer) -> None:
        self._inner = inner
        self._layer = layer
        self._gate = layer.gate
        self._codel = layer.codel
        self._hold = layer.hold
        self._clock = layer.gate.clock
        self._max_queue = layer.config.max_queue
        self._refusal = layer.refusal

    def saturated(self) -> bool:
        return self._layer.saturated()

    async def __call__(self, request: Request) -> Response:
        gate = self._gate
        if gate.in_flight < gate.limit and not gate.waiting:
            codel = self._codel
            if codel.first_above or codel.dropping:
                codel.drained()
            gate.in_flight += 1
        elif gate.waiting >= self._max_queue or not await gate.wait(gate.waiter()):
            return self._refusal.respond(request)
        clock = self._clock
        start = clock()
        try:
            return await self._inner(request)
        finally:
            self._hold.add(clock() - start)
            gate.in_flight -= 1
            if gate.waiting:
                gate.dispatch()
