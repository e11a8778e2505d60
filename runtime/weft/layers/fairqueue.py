"""FairQueueLayer: tenant-fair, weighted admission (start-time fair queueing).

How this works:

* Requests beyond `max_in_flight` wait; who is served next is decided by
  start-time fair queueing (SFQ, Goyal et al.) over tenants:
  - a request of tenant t queued when the virtual time is V gets the start
    tag S = max(V, F_t) and advances t's finish tag to F_t = S + cost / w_t;
  - the waiting request with the smallest start tag is served next, and
    serving it moves V to its start tag.
  A tenant with a deep backlog has already booked tags far ahead of V, so a
  light tenant's new request (tagged near V) is served after at most about
  one request per other backlogged tenant: a heavy tenant cannot starve a
  light one, and with weights each backlogged tenant gets permits in
  proportion to its weight.
* The tenant key is a header's value or any `Request -> str` callable; a
  missing header is the anonymous tenant "". Tenant state lives only while
  the tenant has requests waiting, so memory is bounded by `max_queue`.
* When the queue is full, the newest request of the longest backlog is
  pushed out (503) to make room, unless the newcomer's own tenant holds that
  longest backlog, in which case the newcomer is refused: a flood fills the
  queue only with the flooder's requests and sheds only them.
* Refusals are 503 problem+json with `Retry-After`.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, final

from weft.http_types import Request, Response
from weft.layers.admission import Gate, Waiter
from weft.layers.rejection import Refusal
from weft.types import Service

__all__ = ["FairQueue", "FairQueueConfig", "FairQueueLayer"]

LAYER_NAME: Final = "fairqueue"


@final
@dataclass(frozen=True, slots=True)
class FairQueueConfig:
    """Permits in flight, the shared queue bound, tenant weights (default 1)."""

    max_in_flight: int = 64
    max_queue: int = 1024
    weights: Mapping[str, float] = field(default_factory=dict)
    default_weight: float = 1.0
    retry_after: int = 1

    def __post_init__(self) -> None:
        if self.max_in_flight < 1 or self.max_queue < 1:
            raise ValueError("max_in_flight and max_queue must be at least 1")
        if not self.default_weight > 0 or any(not w > 0 for w in self.weights.values()):
            raise ValueError("tenant weights must be positive")
        if self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")


@final
class _Tenant:
    __slots__ = ("finish", "name", "waiting")

    def __init__(self, name: str) -> None:
        self.name = name
        self.finish = 0.0
        self.waiting: deque[Waiter] = deque()


@final
class FairQueue:
    """The SFQ wait queue (a `WaitQueue` for `Gate`)."""

    __slots__ = ("_heap", "_len", "_seq", "_tenants", "default_weight", "vtime", "weights")

    def __init__(self, weights: Mapping[str, float] | None = None,
                 default_weight: float = 1.0) -> None:
        self.weights: dict[str, float] = dict(weights or {})
        self.default_weight = default_weight
        self.vtime = 0.0
        self._tenants: dict[str, _Tenant] = {}
        # (start tag of the tenant's head request, tie-break, tenant)
        self._heap: list[tuple[float, int, _Tenant]] = []
        self._seq = itertools.count()
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def backlog(self, tenant: str) -> int:
        t = self._tenants.get(tenant)
        return len(t.waiting) if t is not None else 0

    def push(self, waiter: Waiter) -> None:
        t = self._tenants.get(waiter.tenant)
        if t is None:
            t = self._tenants[waiter.tenant] = _Tenant(waiter.tenant)
        weight = self.weights.get(waiter.tenant, self.default_weight)
        start = max(self.vtime, t.finish)
        waiter.tag = start
        t.finish = start + waiter.cost / weight
        t.waiting.append(waiter)
        self._len += 1
        if len(t.waiting) == 1:
            heapq.heappush(self._heap, (start, next(self._seq), t))

    def pop(self) -> Waiter | None:
        if not self._heap:
            return None
        _, _, t = heapq.heappop(self._heap)
        waiter = t.waiting.popleft()
        self._len -= 1
        self.vtime = max(self.vtime, waiter.tag)
        if t.waiting:
            heapq.heappush(self._heap, (t.waiting[0].tag, next(self._seq), t))
        else:
            del self._tenants[t.name]
        return waiter

    def remove(self, waiter: Waiter) -> bool:
        t = self._tenants.get(waiter.tenant)
        if t is None or waiter not in t.waiting:
            return False
        was_head = t.waiting[0] is waiter
        t.waiting.remove(waiter)
        self._len -= 1
        if not t.waiting:
            del self._tenants[t.name]
        if was_head:
            # Rare (a client gave up): rebuild the heap of tenant heads.
            self._heap = [(x.waiting[0].tag, next(self._seq), x) for x in self._tenants.values()]
            heapq.heapify(self._heap)
        return True

    def longest(self) -> str | None:
        """The tenant with the most requests waiting."""
        best = max(self._tenants.values(), key=lambda t: len(t.waiting), default=None)
        return best.name if best is not None else None

    def newest_of(self, tenant: str) -> Waiter | None:
        t = self._tenants.get(tenant)
        return t.waiting[-1] if t is not None and t.waiting else None


def _header_key(name: str) -> Callable[[Request], str]:
    lowered = name.lower()

    def key(request: Request) -> str:
        value = request.headers.get(lowered)
        return value if value is not None else ""

    return key


@final
class FairQueueLayer:
    """Share `max_in_flight` permits fairly between tenants under contention."""

    __slots__ = ("config", "gate", "key", "queue", "refusal")

    def __init__(self, tenant: str | Callable[[Request], str],
                 config: FairQueueConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = cfg = config if config is not None else FairQueueConfig()
        self.key = _header_key(tenant) if isinstance(tenant, str) else tenant
        self.queue = FairQueue(cfg.weights, cfg.default_weight)
        self.gate = Gate(cfg.max_in_flight, self.queue, clock)
        self.refusal = Refusal(LAYER_NAME, "the server is busy; retry later", cfg.retry_after)

    def register_tenant(self, tenant: str, weight: float) -> None:
        """Give `tenant` a share proportional to `weight` (default 1)."""
        if not weight > 0:
            raise ValueError("tenant weights must be positive")
        self.queue.weights[tenant] = weight

    def saturated(self) -> bool:
        return self.gate.saturated()

    def make_room(self, tenant: str) -> bool:
        """The queue is full: push out the newest request of the longest
        backlog, unless `tenant` holds it. True if there is room now."""
        queue = self.queue
        victim_tenant = queue.longest()
        if victim_tenant is None or queue.backlog(victim_tenant) <= queue.backlog(tenant):
            return False
        victim = queue.newest_of(victim_tenant)
        assert victim is not None
        self.gate.evict(victim)
        return True

    def wrap(self, inner: Service) -> Service:
        return FairService(inner, self)


@final
class FairService:
    """`inner` behind the layer's fair queue."""

    __slots__ = ("_gate", "_inner", "_key", "_layer", "_max_queue", "_refusal")

    def __init__(self, inner: Service, layer: FairQueueLayer) -> None:
        self._inner = inner
        self._layer = layer
        self._gate = layer.gate
        self._key = layer.key
        self._max_queue = layer.config.max_queue
        self._refusal = layer.refusal

    def saturated(self) -> bool:
        return self._gate.saturated()

    async def __call__(self, request: Request) -> Response:
        gate = self._gate
        if gate.in_flight < gate.limit and not gate.waiting:
            gate.in_flight += 1
        else:
            tenant = self._key(request)
            if gate.waiting >= self._max_queue and not self._layer.make_room(tenant):
                return self._refusal.respond(request)
            if not await gate.wait(gate.waiter(tenant)):
                return self._refusal.respond(request)
        try:
            return await self._inner(request)
        finally:
            gate.in_flight -= 1
            if gate.waiting:
                gate.dispatch()
