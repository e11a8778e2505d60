"""Effects and effect sets: what stage 6 infers for every function.

Pure is not a member: it is the empty set. `Fallible`, `Divergent` and
`Allocates` are *benign*: Verum lets a `pure` function fail (`?`) or
diverge (`panic`), so no declared bound ever rejects them. `Allocates` is
accepted in stdlib declarations for Verum compatibility and never inferred.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import final


class Effect(StrEnum):
    ASYNC = "Async"
    DIVERGENT = "Divergent"
    FALLIBLE = "Fallible"
    FFI = "FFI"
    IO = "IO"
    MUTATES = "Mutates"
    SPAWNS = "Spawns"
    ALLOCATES = "Allocates"


EFFECT_NAMES: frozenset[str] = frozenset(e.value for e in Effect)
BENIGN: frozenset[Effect] = frozenset({Effect.FALLIBLE, Effect.DIVERGENT, Effect.ALLOCATES})


@final
@dataclass(frozen=True, slots=True)
class EffectSet:
    """An immutable set of effects; the empty set is Pure."""

    effects: frozenset[Effect] = frozenset()

    @staticmethod
    def of(*effects: Effect) -> EffectSet:
        return EffectSet(frozenset(effects))

    @staticmethod
    def from_names(names: Iterable[str]) -> EffectSet:
        """From declaration text (`IO`, `Fallible`, ...); unknown names are ignored
        here because the stdlib checks and the modules stage report them."""
        return EffectSet(frozenset(Effect(n) for n in names if n in EFFECT_NAMES))

    @property
    def is_pure(self) -> bool:
        return not self.effects

    @property
    def is_async(self) -> bool:
        return Effect.ASYNC in self.effects

    def __contains__(self, effect: object) -> bool:
        return effect in self.effects

    def __iter__(self) -> Iterator[Effect]:
        return iter(sorted(self.effects, key=lambda e: e.value))

    def __len__(self) -> int:
        return len(self.effects)

    def __or__(self, other: EffectSet) -> EffectSet:
        return EffectSet(self.effects | other.effects)

    def __sub__(self, other: EffectSet) -> EffectSet:
        return EffectSet(self.effects - other.effects)

    def exceeding(self, bound: EffectSet) -> EffectSet:
        """The effects of `self` that `bound` does not allow (benign ones never count)."""
        return EffectSet(self.effects - bound.effects - BENIGN)

    def render(self) -> str:
        """`Async, Fallible, IO` in alphabetical order, or `Pure`."""
        return ", ".join(e.value for e in self) if self.effects else "Pure"


PURE = EffectSet()
