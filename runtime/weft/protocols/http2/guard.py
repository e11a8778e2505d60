"""Token buckets that turn floods into a verdict.

`RapidResetGuard` answers CVE-2023-44487 (Rapid Reset): a client that opens
streams and cancels them at once makes the server start work it never
finishes, while never holding more than the concurrent-stream limit open.
Every stream the client cancels before its response completed, and every
stream the server itself must refuse or reset (the MadeYouReset variant), costs
one token; tokens refill at `rate` per second up to `burst`. An empty bucket
poisons the connection for good: the caller sends GOAWAY(ENHANCE_YOUR_CALM).

Time is an argument (`now`, seconds on any monotonic clock), so tests drive
the guard with a fake clock.
"""

from __future__ import annotations

from typing import final


@final
class TokenBucket:
    """`burst` tokens, refilled continuously at `rate` per second."""

    __slots__ = ("_burst", "_last", "_rate", "_tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("TokenBucket needs rate > 0 and burst >= 1")
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last = now

    def take(self, now: float) -> bool:
        """Spend one token; False (and nothing spent) if none is left."""
        elapsed = now - self._last
        if elapsed > 0:
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
            self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    @property
    def tokens(self) -> float:
        return self._tokens


@final
class RapidResetGuard:
    """Per-connection reset budget; once exhausted it stays poisoned."""

    __slots__ = ("_bucket", "client_resets", "poisoned", "server_resets")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self._bucket = TokenBucket(rate, burst, now)
        self.poisoned = False
        #: streams the client cancelled before their response completed
        self.client_resets = 0
        #: streams the server refused or reset because of the client
        self.server_resets = 0

    def on_client_reset(self, now: float) -> bool:
        """Charge a client cancellation; False once the connection is poisoned."""
        self.client_resets += 1
        return self._charge(now)

    def on_server_reset(self, now: float) -> bool:
        """Charge a reset the client provoked (refused or malformed stream)."""
        self.server_resets += 1
        return self._charge(now)

    def _charge(self, now: float) -> bool:
        if self.poisoned:
            return False
        if not self._bucket.take(now):
            self.poisoned = True
        return not self.poisoned
