"""Stage 3's local half: lexical scopes from a function body down to pattern bindings.

A `Scope` maps names to `Binding`s (a symbol plus its type) and falls back to
its parent; module-level names are not in any `Scope`: when the chain has no
entry the checker asks `World.lookup` (module scope, then mounts, then the
prelude). `self` is an ordinary binding of the method's scope.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from weftc.resolve.symbols import FnSym, LocalSym
from weftc.source import Span
from weftc.types import Type

_ids = itertools.count(1)


def new_local(name: str, span: Span, mutable: bool = False) -> LocalSym:
    return LocalSym(name, span, next(_ids), mutable)


@dataclass(slots=True)
class Binding:
    symbol: LocalSym | FnSym
    type: Type


@dataclass(slots=True)
class Scope:
    parent: Scope | None = None
    names: dict[str, Binding] = field(default_factory=dict)

    def child(self) -> Scope:
        return Scope(self)

    def bind(self, name: str, binding: Binding) -> None:
        self.names[name] = binding

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.names.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def all_names(self) -> list[str]:
        out: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            out.extend(scope.names)
            scope = scope.parent
        return out
