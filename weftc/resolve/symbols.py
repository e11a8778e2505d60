"""What a name means once resolved: the symbols stage 3 hands to later stages.

Every symbol is a frozen dataclass; module-level ones are identified by
module + name (and `owner` for members), locals by a unique `id` per binding
site, so the codegen and the effects stage can key call graphs on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

from weftc.source import Span
from weftc.syntax import ast


@final
@dataclass(frozen=True, slots=True)
class LocalSym:
    """A `let`/pattern binding, parameter or closure parameter."""

    name: str
    span: Span
    id: int
    mutable: bool = False


@final
@dataclass(frozen=True, slots=True, eq=False)
class FnSym:
    """A function. `kind`: "fn" (module level), "method" (in an implement
    block), "protocol" (a protocol member, called through a bound), "ctx-op"
    (a context operation), "nested" (declared in a block). `owner` is the
    qualified type, protocol or context for members."""

    module: str
    name: str
    decl: ast.FnDecl
    kind: str = "fn"
    owner: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.owner or self.module}.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FnSym) and other.decl is self.decl

    def __hash__(self) -> int:
        return id(self.decl)


@final
@dataclass(frozen=True, slots=True, eq=False)
class TypeSym:
    """A type or protocol declaration."""

    module: str
    name: str
    decl: ast.TypeDecl | ast.ProtocolDecl

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeSym) and other.decl is self.decl

    def __hash__(self) -> int:
        return id(self.decl)


@final
@dataclass(frozen=True, slots=True)
class VariantSym:
    """A sum-type variant; `index` is its position in the declaration."""

    module: str
    type_name: str
    name: str
    index: int

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.type_name}.{self.name}"


@final
@dataclass(frozen=True, slots=True, eq=False)
class ContextSym:
    module: str
    name: str
    decl: ast.ContextDecl

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContextSym) and other.decl is self.decl

    def __hash__(self) -> int:
        return id(self.decl)


@final
@dataclass(frozen=True, slots=True, eq=False)
class ConstSym:
    """A `const`/`static` item, or a context/protocol/implement constant (`owner` set)."""

    module: str
    name: str
    decl: ast.ConstDecl | ast.StaticDecl
    owner: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.owner or self.module}.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConstSym) and other.decl is self.decl

    def __hash__(self) -> int:
        return id(self.decl)


@final
@dataclass(frozen=True, slots=True)
class FieldSym:
    """A record field (or a record-variant field) of type `owner`."""

    owner: str
    name: str


@final
@dataclass(frozen=True, slots=True)
class ModuleSym:
    module: str


Resolved = LocalSym | FnSym | TypeSym | VariantSym | ContextSym | ConstSym | FieldSym | ModuleSym
