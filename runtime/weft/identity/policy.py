"""Which authenticated workloads may call: allow and deny lists of SPIFFE ID
patterns (`spiffe://td` for a whole trust domain, `spiffe://td/ns/prod` for a
path and everything under it). Deny wins; an empty allow list admits every
ID from a trusted domain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import final

from weft.identity.spiffe_id import SpiffeId

__all__ = ["SpiffePolicy"]


def _checked(patterns: Iterable[str]) -> tuple[str, ...]:
    out = tuple(patterns)
    for pattern in out:
        SpiffeId.parse(pattern.rstrip("/") if pattern.count("/") > 2 else pattern)
    return out


@final
@dataclass(frozen=True, slots=True)
class SpiffePolicy:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow", _checked(self.allow))
        object.__setattr__(self, "deny", _checked(self.deny))

    @classmethod
    def trust_domains(cls, *domains: str) -> SpiffePolicy:
        """Admit any workload of these trust domains."""
        return cls(allow=tuple(f"spiffe://{d}" for d in domains))

    def admits(self, spiffe_id: SpiffeId) -> bool:
        if any(spiffe_id.matches(p) for p in self.deny):
            return False
        return not self.allow or any(spiffe_id.matches(p) for p in self.allow)
