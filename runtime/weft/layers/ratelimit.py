"""RateLimitLayer: a token bucket, global or per tenant key.

How this works:

* A bucket holds up to `burst` tokens and refills continuously at `rps`
  tokens per second; each request takes one. Refill is computed lazily from
  the clock on each take, so an idle limiter costs nothing.
* An empty bucket answers `429 Too Many Requests` problem+json with
  `Retry-After` = whole seconds until one token is back (at least 1), so a
  client that honours it is admitted. (Verum's layer answers 503
  `Overloaded`; 429 is the status RFC 6585 defines for a client over its
  quota, and lets clients tell quota from server overload.)
* With a `key` function each tenant gets its own bucket. Buckets live in an
  LRU bounded by `max_keys`: the least recently seen tenant is forgotten
  first, so a flood of distinct keys cannot grow memory. A forgotten tenant
  comes back with a full bucket, which only errs on the side of admitting.
* The clock is injectable (`time.monotonic` by default) and the layer
  never touches the event loop, so tests drive it with a fake clock.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from weft.errors import problem
from weft.http_types import Request, Response
from weft.types import Service

__all__ = ["RateConfig", "RateLimitLayer", "TokenBucket"]


@final
@dataclass(frozen=True, slots=True)
class RateConfig:
    """Sustained requests per second and the burst admitted at once."""

    rps: float
    burst: int

    def __post_init__(self) -> None:
        if not self.rps > 0:
            raise ValueError("RateConfig.rps must be positive")
        if self.burst < 1:
            raise ValueError("RateConfig.burst must be at least 1")


@final
class TokenBucket:
    """Tokens as a float that refills at `rate` per second up to `capacity`."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(capacity)
        self.tokens = float(capacity)
        self.stamp = now

    def take(self, now: float) -> float:
        """Take one token: 0.0 when admitted, else seconds until one is back."""
        elapsed = now - self.stamp
        if elapsed > 0:
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
            self.stamp = now
        # The epsilon absorbs clock subtraction noise (1000.05 - 1000.0 is
        # 0.04999…), so a client that waits exactly 1/rate is admitted.
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@final
class RateLimitLayer:
    """Refuse requests beyond `rps` (with `burst` slack) with 429."""

    __slots__ = ("_buckets", "_clock", "_global", "burst", "key", "max_keys", "rps")

    def __init__(self, rps: float, burst: int, key: Callable[[Request], str] | None = None,
                 clock: Callable[[], float] = time.monotonic, *, max_keys: int = 10_000) -> None:
        config = RateConfig(rps, burst)  # validates
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.rps = float(config.rps)
        self.burst = config.burst
        self.key = key
        self.max_keys = max_keys
        self._clock = clock
        self._global = TokenBucket(self.rps, self.burst, clock())
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    @classmethod
    def new(cls, config: RateConfig, key: Callable[[Request], str] | None = None,
            clock: Callable[[], float] = time.monotonic, *,
            max_keys: int = 10_000) -> RateLimitLayer:
        return cls(config.rps, config.burst, key, clock, max_keys=max_keys)

    def tracked_keys(self) -> int:
        """How many tenant buckets are held now (at most `max_keys`)."""
        return len(self._buckets)

    def try_take(self, request: Request) -> float:
        """Charge the request's bucket: 0.0 if admitted, else the wait in seconds."""
        now = self._clock()
        if self.key is None:
            return self._global.take(now)
        k = self.key(request)
        buckets = self._buckets
        bucket = buckets.get(k)
        if bucket is None:
            bucket = buckets[k] = TokenBucket(self.rps, self.burst, now)
            if len(buckets) > self.max_keys:
                buckets.popitem(last=False)
        else:
            buckets.move_to_end(k)
        return bucket.take(now)

    def wrap(self, inner: Service) -> Service:
        try_take = self.try_take

        async def rate_limit_service(request: Request) -> Response:
            wait = try_take(request)
            if wait == 0.0:
                return await inner(request)
            # The epsilon keeps float noise (1.0000000002 s) from adding a second.
            retry_after = max(1, math.ceil(wait - 1e-9))
            return problem(429, detail="rate limit exceeded; retry later",
                           headers=[("retry-after", str(retry_after))])

        return rate_limit_service
