"""Verum's `core.time.Duration`: whole nanoseconds, as a value.

The compiler lowers `Duration.from_secs(15)` and `d.as_secs()` to this
class; runtime APIs that take seconds as a float read `seconds()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

__all__ = ["Duration"]

_NS_PER_MS = 1_000_000
_NS_PER_S = 1_000_000_000


@final
@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """A non-negative span of time in whole nanoseconds."""

    nanos: int

    def __post_init__(self) -> None:
        if self.nanos < 0:
            raise ValueError(f"Duration cannot be negative ({self.nanos} ns)")

    @classmethod
    def from_nanos(cls, nanos: int) -> Duration:
        return cls(nanos)

    @classmethod
    def from_millis(cls, millis: int) -> Duration:
        return cls(millis * _NS_PER_MS)

    @classmethod
    def from_secs(cls, secs: int) -> Duration:
        return cls(secs * _NS_PER_S)

    def as_nanos(self) -> int:
        return self.nanos

    def as_millis(self) -> int:
        return self.nanos // _NS_PER_MS

    def as_secs(self) -> int:
        return self.nanos // _NS_PER_S

    def seconds(self) -> float:
        return self.nanos / _NS_PER_S
