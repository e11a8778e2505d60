"""Build the call graph from stage 4's `CheckedProgram`.

Declarations first: every function, method, protocol default method and
context member of a user module becomes a node; stdlib declarations become
nodes when user code calls them. Then each body is walked once (`walk`),
with the symbols stage 4 recorded for every call, name and path deciding
what each call site reaches.
"""

from __future__ import annotations

import dataclasses

from weftc.effects.declare import declared_set, is_ffi, protocol_bound, resolve_using, short
from weftc.effects.graph import CallGraph, FnId, FnNode, LocalEffect, NodeKind, ProtocolBound
from weftc.effects.model import Effect
from weftc.effects.walk import Walker
from weftc.modules import Program
from weftc.modules.bindings import implement_target
from weftc.resolve.symbols import FnSym
from weftc.source import Span
from weftc.syntax import ast
from weftc.typecheck.checked import CheckedProgram
from weftc.types import model as m

_KINDS = {"fn": NodeKind.FN, "method": NodeKind.METHOD, "nested": NodeKind.NESTED,
          "protocol": NodeKind.PROTOCOL, "ctx-op": NodeKind.CTX_OP}


class GraphBuilder:
    def __init__(self, checked: CheckedProgram) -> None:
        self.checked = checked
        self.program: Program = checked.program
        self.graph = CallGraph()
        self.modules_of: dict[int, str] = {}
        self.owner_attrs: dict[int, tuple[ast.Attribute, ...]] = {}
        self.pending: list[tuple[FnId, ast.FnDecl, str]] = []

    # ------------------------------------------------------------ nodes

    def fresh_id(self, base: str, span: Span) -> FnId:
        return base if base not in self.graph.nodes else f"{base}@{span.line}:{span.column}"

    def add_fn(self, decl: ast.FnDecl, module: str, kind: NodeKind, display: str, *,
               context: str | None = None, bound: ProtocolBound | None = None,
               enclosing: FnId | None = None,
               owner_attrs: tuple[ast.Attribute, ...] = ()) -> FnNode:
        existing = self.graph.node_of(decl)
        if existing is not None:
            return existing
        info = self.program.modules[module]
        ffi = is_ffi(self.program, module, decl, owner_attrs)
        using = resolve_using(self.program, module, decl.using.entries) if decl.using else []
        node = FnNode(self.fresh_id(f"{module}.{display}", decl.name.span), display, kind,
                      decl.name.span, decl.body is not None,
                      declared_set(decl, ffi=ffi, ctx_op=kind is NodeKind.CTX_OP),
                      (), tuple(using), decl.using is not None, context, enclosing, bound,
                      info.is_stdlib, decl)
        self.graph.add_node(node)
        if decl.body is not None:
            self.pending.append((node.id, decl, module))
        return node

    def node_for(self, sym: FnSym) -> FnNode:
        """The node a resolved call reaches, created on first use."""
        found = self.graph.node_of(sym.decl)
        if found is not None:
            return found
        kind = _KINDS.get(sym.kind, NodeKind.FN)
        display = sym.name if sym.owner is None else f"{short(sym.owner)}.{sym.name}"
        context = sym.owner if kind is NodeKind.CTX_OP else None
        return self.add_fn(sym.decl, sym.module, kind, display, context=context)

    def const_node(self, context: str, name: str, span: Span) -> FnNode:
        key = f"{context}.{name}"
        found = self.graph.nodes.get(key)
        if found is not None:
            return found
        return self.graph.add_node(FnNode(key, f"{short(context)}.{name}", NodeKind.CTX_CONST,
                                          span, False, None, context=context,
                                          is_stdlib=self.program.modules[
                                              context.rsplit(".", 1)[0]].is_stdlib
                                          if context.rsplit(".", 1)[0] in self.program.modules
                                          else False))

    # ------------------------------------------------------------ declarations

    def declare_module(self, module: str, items: tuple[ast.Item, ...]) -> None:
        for item in items:
            if isinstance(item, ast.FnDecl):
                node = self.add_fn(item, module, NodeKind.FN, item.name.name)
                if module == self.program.entry and item.name.name == "main":
                    self.graph.entry = node.id
            elif isinstance(item, ast.ImplementBlock):
                sym = implement_target(self.program, module, item)
                owner = sym.name if sym is not None else _type_text(item.target)
                attrs = sym.decl.attributes if sym is not None else ()
                for member in item.items:
                    if isinstance(member, ast.FnDecl):
                        self.add_fn(member, module, NodeKind.METHOD, f"{owner}.{member.name.name}",
                                    bound=protocol_bound(self.program, module, item, member),
                                    owner_attrs=attrs)
            elif isinstance(item, ast.ProtocolDecl):
                for member in item.members:
                    if isinstance(member, ast.FnDecl) and member.body is not None:
                        self.add_fn(member, module, NodeKind.PROTOCOL,
                                    f"{item.name.name}.{member.name.name}")
            elif isinstance(item, ast.ContextDecl):
                ctx = f"{module}.{item.name.name}"
                for member in item.members:
                    if isinstance(member, ast.FnDecl):
                        self.add_fn(member, module, NodeKind.CTX_OP,
                                    f"{item.name.name}.{member.name.name}", context=ctx)

    # ------------------------------------------------------------ bodies

    def build(self) -> CallGraph:
        for name, info in self.program.modules.items():
            if not info.is_stdlib:
                self.declare_module(name, info.items)
        while self.pending:
            fn_id, decl, module = self.pending.pop(0)
            self.walk_fn(fn_id, decl, module)
        return self.graph

    def walk_fn(self, fn_id: FnId, decl: ast.FnDecl, module: str) -> None:
        assert decl.body is not None
        walker = Walker(self, fn_id, module)
        walker.enter_params(decl.params)
        walker.visit(decl.body)
        local = list(walker.local)
        sig = self.checked.signature_of(decl)
        if sig is not None and m.is_named(sig.ret, "core.prelude.Result"):
            span = decl.ret.span if decl.ret is not None else decl.name.span
            local.append(LocalEffect(Effect.FALLIBLE, span, "returns `Result`"))
        self.set_local(fn_id, local)

    def set_local(self, fn_id: FnId, local: list[LocalEffect]) -> None:
        node = self.graph.nodes[fn_id]
        self.graph.nodes[fn_id] = dataclasses.replace(node, local=node.local + tuple(local))


def _type_text(t: ast.TypeExpr) -> str:
    return t.path.segments[-1].name if isinstance(t, ast.PathType) else "<impl>"


def build_graph(checked: CheckedProgram) -> CallGraph:
    """The call graph of a checked program (plus routes, provides, start closures)."""
    return GraphBuilder(checked).build()
