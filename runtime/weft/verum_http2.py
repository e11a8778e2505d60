"""Verum's `core.net.weft.http2` guard surface over `weft.protocols.http2`.

Verum drives its `RapidResetGuard` with whole milliseconds and reads the
budget from `Http2Limits`; weft's guard takes seconds and explicit rates, so
this adapter converts and otherwise delegates: the token bucket, the
one-shot poisoning and the counters are the runtime's own.

Verum's `Http2Limits.default()` differs from weft's Python defaults in three
numbers, and a `.vr` program gets Verum's: 128 concurrent streams (weft:
100) and a reset budget of 100 per second with a burst of 100 (weft: 100
per second, burst 200). Every other limit keeps weft's hardened default.
"""

from __future__ import annotations

from typing import Final, final

from weft.protocols.http2 import Http2Limits, RapidResetGuard

__all__ = ["VERUM_DEFAULT_LIMITS", "RstGuard", "default_limits"]

_MS: Final = 1000.0

#: the values `Http2Limits.default()` has in Verum's `core/net/weft/http2.vr`
VERUM_DEFAULT_LIMITS: Final = Http2Limits(
    max_concurrent_streams=128, rapid_reset_rate=100.0, rapid_reset_burst=100)


def default_limits() -> Http2Limits:
    """Verum's `Http2Limits.default()`."""
    return VERUM_DEFAULT_LIMITS


@final
class RstGuard:
    """Verum's `RapidResetGuard`: one connection's reset budget, in milliseconds."""

    __slots__ = ("_guard",)

    def __init__(self, limits: Http2Limits, now_ms: int) -> None:
        self._guard = RapidResetGuard(limits.rapid_reset_rate, limits.rapid_reset_burst,
                                      now_ms / _MS)

    @classmethod
    def new(cls, limits: Http2Limits, now_ms: int) -> RstGuard:
        return cls(limits, now_ms)

    def on_rst_observed(self, now_ms: int) -> bool:
        """Charge a client RST_STREAM; False once the connection is poisoned."""
        return self._guard.on_client_reset(now_ms / _MS)

    def note_protocol_violation(self, now_ms: int) -> bool:
        """Charge a reset the client provoked (CVE-2023-45288, MadeYouReset)."""
        return self._guard.on_server_reset(now_ms / _MS)

    def is_poisoned(self) -> bool:
        return self._guard.poisoned

    def should_refuse_new_stream(self) -> bool:
        """A poisoned connection opens no stream: its next frame is GOAWAY."""
        return self._guard.poisoned

    def total_rst_count(self) -> int:
        return self._guard.client_resets + self._guard.server_resets

    @property
    def guard(self) -> RapidResetGuard:
        """The runtime guard, for code that hands it to `H2Core`."""
        return self._guard
