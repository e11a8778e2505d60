"""The semantic types of checked programs (what stage 4 computes, stages 5-8 read).

Every type is a frozen, slotted, hashable dataclass; equality is structural.

* `Prim(name)`: `Int Float Bool Char Text`, the sized integers (`Int8`..`Int64`,
  `ISize`, `UInt8`..`UInt64`, `USize`; `Byte` is `UInt8`), `Unit` (written
  `()`) and `Never` (written `!`, the type of `panic(..)`, `return`, `loop {}`).
* `Named(module, name, args)`: a nominal declaration: record, sum type,
  tuple-shaped type (`type Json<T> is (T,);`), protocol, or one of the
  prelude's generic intrinsics (`Maybe List Map Result Heap Shared`).
  `module`+`name` identify the `TypeDecl`/`ProtocolDecl` (`Program.lookup`
  gives its AST); `qualified` joins them.
* `TupleT(elements)`: an anonymous tuple `(A, B)` (never empty: `()` is Unit).
* `FnT(params, ret, is_async, using)`: a function value's type (fn items passed
  as values, closures, `fn(A) -> R` types). `ret` of an async fn is its
  awaited result; `.await` on a call of an async fn yields `ret`.
* `Refined(base, binder, predicate, span, name)`: a base type with a predicate
  (stage 5 proves flows into it). `binder` None means the predicate speaks of
  `it`/`self`/an implicit subject. `name` is the declaring alias
  (`UserId`) or None for an inline refinement. Identity for "same refinement"
  is (name, span), so the predicate AST is not compared structurally.
* `TypeVar(name, owner)`: a generic parameter; `owner` names the declaration
  that introduces it (e.g. `core.prelude.List` or `app.first`), so two `T`s
  of different declarations differ.
* `Ref(inner, mut)`: `&T` / `&mut T`. References are TRANSPARENT for checking:
  a `&T` is accepted where `T` is expected and vice versa (Python has no
  borrows); the reference is kept only so `display` shows what was written.
* `AssocT(owner, name, protocol)`: an associated type projection such as
  `Self.Error` or `L.Wrapped` that could not be normalised yet (`owner` still
  generic). `protocol` is the bound it comes from, if known.
* `OpaqueT(bounds, dynamic)`: `impl P + Q` (dynamic False) or `dyn P`.
* `FutureT(result)`: what calling an async fn (or an `async` closure/block)
  gives; `.await` turns it into `result`.
* `Var(id)`: an inference variable. Only the checker's working state holds
  them; every type in a `CheckedProgram` table has them substituted (an
  unsolved one becomes `Unknown`).
* `Unknown()`: error recovery; compatible with everything, never reported twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

from weftc.source import Span
from weftc.syntax import ast


class Type:
    """Base of every semantic type."""

    __slots__ = ()


@final
@dataclass(frozen=True, slots=True)
class Prim(Type):
    name: str


@final
@dataclass(frozen=True, slots=True)
class Named(Type):
    module: str
    name: str
    args: tuple[Type, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@final
@dataclass(frozen=True, slots=True)
class TupleT(Type):
    elements: tuple[Type, ...]


@final
@dataclass(frozen=True, slots=True)
class FnT(Type):
    params: tuple[Type, ...]
    ret: Type
    is_async: bool = False
    using: tuple[str, ...] = ()


@final
@dataclass(frozen=True, slots=True, eq=False)
class Refined(Type):
    base: Type
    binder: str | None
    predicate: ast.Expr
    span: Span
    name: str | None = None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Refined) and self.name == other.name
                and self.span == other.span and self.base == other.base)

    def __hash__(self) -> int:
        return hash((self.name, self.span))


@final
@dataclass(frozen=True, slots=True)
class TypeVar(Type):
    name: str
    owner: str


@final
@dataclass(frozen=True, slots=True)
class Ref(Type):
    inner: Type
    mut: bool = False


@final
@dataclass(frozen=True, slots=True)
class AssocT(Type):
    owner: Type
    name: str
    protocol: Named | None = None


@final
@dataclass(frozen=True, slots=True)
class OpaqueT(Type):
    bounds: tuple[Named, ...]
    dynamic: bool = False


@final
@dataclass(frozen=True, slots=True)
class FutureT(Type):
    result: Type


@final
@dataclass(frozen=True, slots=True)
class Var(Type):
    id: int


@final
@dataclass(frozen=True, slots=True)
class Unknown(Type):
    pass


INT = Prim("Int")
FLOAT = Prim("Float")
BOOL = Prim("Bool")
TEXT = Prim("Text")
CHAR = Prim("Char")
UNIT = Prim("Unit")
NEVER = Prim("Never")
UNKNOWN = Unknown()

INTEGERS = frozenset({"Int", "Int8", "Int16", "Int32", "Int64", "ISize",
                      "UInt8", "UInt16", "UInt32", "UInt64", "USize"})
NUMERIC = INTEGERS | {"Float"}
# The prelude's intrinsic scalar declarations that are `Prim`s, not `Named`.
PRIM_NAMES = NUMERIC | {"Bool", "Char", "Text", "Unit"}
INT_SUFFIXES = {"i8": "Int8", "i16": "Int16", "i32": "Int32", "i64": "Int64", "i128": "Int64",
                "isize": "ISize", "u8": "UInt8", "u16": "UInt16", "u32": "UInt32",
                "u64": "UInt64", "u128": "UInt64", "usize": "USize"}

PRELUDE = "core.prelude"


def maybe(t: Type) -> Named:
    return Named(PRELUDE, "Maybe", (t,))


def result(t: Type, e: Type) -> Named:
    return Named(PRELUDE, "Result", (t, e))


def list_of(t: Type) -> Named:
    return Named(PRELUDE, "List", (t,))


def strip_refinement(t: Type) -> Type:
    """The base type under any number of refinements."""
    while isinstance(t, Refined):
        t = t.base
    return t


def strip(t: Type) -> Type:
    """The type with references and refinements removed (what checking compares)."""
    while True:
        if isinstance(t, Refined):
            t = t.base
        elif isinstance(t, Ref):
            t = t.inner
        else:
            return t


def is_named(t: Type, qualified: str) -> bool:
    s = strip(t)
    return isinstance(s, Named) and s.qualified == qualified


def display(t: Type) -> str:
    """The type in Verum syntax, as a user would write it."""
    if isinstance(t, Prim):
        return {"Unit": "()", "Never": "!"}.get(t.name, t.name)
    if isinstance(t, Named):
        if t.args:
            return f"{t.name}<{', '.join(display(a) for a in t.args)}>"
        return t.name
    if isinstance(t, TupleT):
        inner = ", ".join(display(e) for e in t.elements)
        return f"({inner},)" if len(t.elements) == 1 else f"({inner})"
    if isinstance(t, FnT):
        head = "async fn" if t.is_async else "fn"
        text = f"{head}({', '.join(display(p) for p in t.params)})"
        if t.ret != UNIT:
            text += f" -> {display(t.ret)}"
        if t.using:
            text += f" using [{', '.join(t.using)}]"
        return text
    if isinstance(t, Refined):
        return t.name if t.name is not None else f"{display(t.base)}{{…}}"
    if isinstance(t, TypeVar):
        return t.name
    if isinstance(t, Ref):
        return f"&{'mut ' if t.mut else ''}{display(t.inner)}"
    if isinstance(t, AssocT):
        return f"{display(t.owner)}.{t.name}"
    if isinstance(t, OpaqueT):
        word = "dyn" if t.dynamic else "impl"
        return f"{word} {' + '.join(display(b) for b in t.bounds)}"
    if isinstance(t, FutureT):
        return f"Future<{display(t.result)}>"
    if isinstance(t, Var):
        return "_"
    return "{unknown}"
