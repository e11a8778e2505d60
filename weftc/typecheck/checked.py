"""What stage 4 hands to verify, effects, routes and codegen: `CheckedProgram`.

Tables are keyed by node identity (`id(node)`); the `CheckedProgram` keeps
the `Program` (and so every AST) alive, so the ids stay valid as long as it
does. Every type in a table is fully substituted: no inference `Var` remains
(an unsolved one is `Unknown`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from weftc.modules import Program
from weftc.resolve.symbols import Resolved
from weftc.resolve.world import World
from weftc.source import Span
from weftc.syntax import ast
from weftc.types import Refined, Type, TypeVar


@dataclass(frozen=True, slots=True)
class ParamSig:
    """One parameter: its name (`_` or the pattern's text when it destructures), type, span."""

    name: str
    type: Type
    span: Span
    pattern: ast.Pattern | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    """A function's resolved signature: module fns, methods, protocol members,
    context operations, nested fns and closures (then `decl` is the Closure).

    `params` excludes the receiver; `self_kind` is "self", "mut self",
    "&self", "&mut self" or None; `ret` is the declared result (for async fns
    the awaited result); `using` the context names; `effects` the declared
    effect bound (None when undeclared).
    """

    name: str
    qualified: str
    module: str
    decl: ast.FnDecl | ast.Closure
    kind: str
    params: tuple[ParamSig, ...]
    ret: Type
    is_async: bool
    using: tuple[str, ...]
    effects: frozenset[str] | None
    self_kind: str | None
    self_type: Type | None
    generics: tuple[TypeVar, ...]


@dataclass(frozen=True, slots=True)
class Obligation:
    """A flow of `value` into the refined type `target` for stage 5 to prove.

    `kind`: "arg", "return", "let", "field", "variant", "ctx-arg" or "cast".
    `function` is the qualified name of the function whose body holds it.
    """

    span: Span
    value: ast.Expr
    target: Refined
    kind: str
    function: str


@dataclass(frozen=True, slots=True)
class CheckedProgram:
    program: Program
    world: World
    signatures: Mapping[int, Signature]
    expr_types: Mapping[int, Type]
    symbols: Mapping[int, Resolved]
    obligations: tuple[Obligation, ...]
    checked_functions: tuple[Signature, ...]
    local_types: Mapping[int, Type] = dataclasses.field(default_factory=dict)
    """The type of every pattern-bound local, keyed by `LocalSym.id`."""

    def type_of(self, node: ast.Expr) -> Type | None:
        return self.expr_types.get(id(node))

    def local_type(self, sym_id: int) -> Type | None:
        return self.local_types.get(sym_id)

    def symbol_of(self, node: ast.Node) -> Resolved | None:
        return self.symbols.get(id(node))

    def signature_of(self, decl: ast.FnDecl | ast.Closure) -> Signature | None:
        return self.signatures.get(id(decl))
