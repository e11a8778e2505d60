"""The call graph stages 6 reads: functions as nodes, call sites as edges.

It is built from the checked program by `weftc.effects.build`, or by hand in
tests. Nodes are every function the program declares or calls: module fns,
methods, nested fns, closures, context operations and context constants,
and the stdlib declarations that user code calls (bodiless; their declared
effects are exact). Edges say how the caller reaches the callee:

* `CALL`: a call; `awaited` when its result is `.await`ed at once, and
  `local_receiver` when it is a method call on a value owned by the
  caller's frame (so the callee's Mutates stays inside the frame);
* `CLOSURE`: the caller creates a closure (its body may run whenever the
  caller or a callee it is given to runs it, so its effects count, but
  not its suspension: Async does not cross a closure boundary);
* `REF`: the caller takes a function as a value (a route handler, a
  callback); nothing flows, the callee is checked on its own.

Every edge records the contexts a `provide` puts in scope at that site.
Beside the graph sit the facts the context checker needs: route
registrations, `provide` statements and supervisor start closures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import final

from weftc.effects.model import Effect, EffectSet
from weftc.source import Span
from weftc.syntax import ast

FnId = str


class NodeKind(StrEnum):
    FN = "fn"
    METHOD = "method"
    NESTED = "nested"
    CLOSURE = "closure"
    PROTOCOL = "protocol"
    CTX_OP = "ctx-op"
    CTX_CONST = "ctx-const"


class EdgeKind(StrEnum):
    CALL = "call"
    CLOSURE = "closure"
    REF = "ref"


@final
@dataclass(frozen=True, slots=True)
class LocalEffect:
    """An effect a body has by itself: `.await`, `?`, `spawn`, an outside write."""

    effect: Effect
    span: Span
    reason: str


@final
@dataclass(frozen=True, slots=True)
class UsingItem:
    """One `using` entry, resolved. `kind`: "context", "effect" (only meaningful
    negated: `!IO`), or "unknown"/"not-context" (E3104). `target` is the
    context's qualified name for "context"."""

    written: str
    negated: bool
    span: Span
    kind: str
    target: str | None = None
    note: str | None = None


@final
@dataclass(frozen=True, slots=True)
class ProtocolBound:
    """The declared effects of the protocol member an implementation fulfils."""

    member: str
    protocol: str
    bound: EffectSet
    is_layer_wrap: bool


@final
@dataclass(frozen=True, slots=True)
class FnNode:
    """A function, closure or context member.

    `declared` is the written bound (`pure`, `@effects(..)`, plus Async for
    `async`, FFI for a user `@python` binding); for a bodiless declaration it
    is its exact effect set. `has_using` is True when a `using` clause is
    written (then callers see only its positive contexts)."""

    id: FnId
    name: str
    kind: NodeKind
    span: Span
    has_body: bool
    declared: EffectSet | None = None
    local: tuple[LocalEffect, ...] = ()
    using: tuple[UsingItem, ...] = ()
    has_using: bool = False
    context: str | None = None
    enclosing: FnId | None = None
    protocol_bound: ProtocolBound | None = None
    is_stdlib: bool = False
    decl: ast.FnDecl | ast.Closure | None = None

    @property
    def declared_contexts(self) -> frozenset[str]:
        return frozenset(u.target for u in self.using
                         if u.kind == "context" and not u.negated and u.target is not None)


@final
@dataclass(frozen=True, slots=True)
class CallEdge:
    caller: FnId
    callee: FnId
    span: Span
    kind: EdgeKind = EdgeKind.CALL
    awaited: bool = False
    local_receiver: bool = False
    provided: frozenset[str] = frozenset()


@final
@dataclass(frozen=True, slots=True)
class RouteSite:
    """`.route(path, Method.X, handler)` (or `.get(path, handler)` ...)."""

    path: str
    method: str
    handler: FnId
    span: Span
    function: FnId
    provided: frozenset[str] = frozenset()


@final
@dataclass(frozen=True, slots=True)
class ProvideSite:
    """`provide Ctx = value` in `function`; `form` as in the AST. `context` is
    the qualified context, or the name as written when `resolved` is False."""

    context: str
    span: Span
    value: ast.Expr | None
    function: FnId
    form: str
    resolved: bool = True


@final
@dataclass(frozen=True, slots=True)
class StartClosure:
    """A closure given to `ChildSpec.with_start(..)`: the supervised child that
    owns the contexts whose operations it calls."""

    closure: FnId
    child: str | None
    span: Span


@dataclass(slots=True)
class CallGraph:
    nodes: dict[FnId, FnNode] = field(default_factory=dict)
    edges: list[CallEdge] = field(default_factory=list)
    entry: FnId | None = None
    routes: list[RouteSite] = field(default_factory=list)
    provides: list[ProvideSite] = field(default_factory=list)
    start_closures: list[StartClosure] = field(default_factory=list)
    by_decl: dict[int, FnId] = field(default_factory=dict)
    _out: dict[FnId, list[CallEdge]] = field(default_factory=dict)
    _in: dict[FnId, list[CallEdge]] = field(default_factory=dict)

    def add_node(self, node: FnNode) -> FnNode:
        if node.id in self.nodes:
            raise ValueError(f"duplicate call-graph node {node.id!r}")
        self.nodes[node.id] = node
        if node.decl is not None:
            self.by_decl[id(node.decl)] = node.id
        return node

    def add_edge(self, edge: CallEdge) -> CallEdge:
        for end in (edge.caller, edge.callee):
            if end not in self.nodes:
                raise KeyError(f"call-graph edge names an unknown node {end!r}")
        self.edges.append(edge)
        self._out.setdefault(edge.caller, []).append(edge)
        self._in.setdefault(edge.callee, []).append(edge)
        return edge

    def out(self, fn: FnId) -> list[CallEdge]:
        return self._out.get(fn, [])

    def incoming(self, fn: FnId) -> list[CallEdge]:
        return self._in.get(fn, [])

    def node_of(self, decl: ast.FnDecl | ast.Closure) -> FnNode | None:
        key = self.by_decl.get(id(decl))
        return None if key is None else self.nodes[key]

    def successors(self) -> Mapping[FnId, list[FnId]]:
        return {n: [e.callee for e in self.out(n)] for n in self.nodes}
