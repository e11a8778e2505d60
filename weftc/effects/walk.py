"""One walk over one body: call edges, local effects and the context facts.

The walker keeps the frame's own bindings (lets, by-value parameters,
pattern variables) so that a write or a mutating method call on them is
not Mutates, and the contexts `provide` statements put in scope so that
every edge knows them. Closures and `async` blocks get their own node and
frame (`CLOSURE` edge from the creator); nested fns are queued as nodes of
their own. Everything else is visited generically over the dataclass
fields, so new AST nodes are walked without changes here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weftc.effects.declare import _lookup
from weftc.effects.graph import (
    CallEdge,
    EdgeKind,
    FnId,
    FnNode,
    LocalEffect,
    NodeKind,
    ProvideSite,
    RouteSite,
    StartClosure,
)
from weftc.effects.model import Effect
from weftc.modules import Symbol
from weftc.resolve.symbols import ContextSym, FnSym, LocalSym, ModuleSym, TypeSym
from weftc.syntax import ast
from weftc.syntax.traverse import child_nodes

if TYPE_CHECKING:
    from weftc.effects.build import GraphBuilder

ROUTE_METHODS = {"route", "get", "post", "put", "delete", "patch", "head", "options"}


def _root(e: ast.Expr) -> ast.Expr:
    """The variable a place expression starts from (`a` in `a.b[i].c`)."""
    while True:
        if isinstance(e, (ast.Field, ast.TupleIndex, ast.Index)):
            e = e.target
        elif isinstance(e, ast.Paren):
            e = e.expr
        elif isinstance(e, ast.Unary) and e.op in ("&", "&mut"):
            e = e.operand
        else:
            return e


def _text_of(e: ast.Expr) -> str | None:
    if isinstance(e, ast.TextLit):
        return e.value
    if isinstance(e, ast.FString) and all(isinstance(p, ast.FStringText) for p in e.parts):
        return "".join(p.value for p in e.parts if isinstance(p, ast.FStringText))
    return None


class Walker:
    def __init__(self, builder: GraphBuilder, fn: FnId, module: str,
                 provided: frozenset[str] = frozenset()) -> None:
        self.b = builder
        self.fn = fn
        self.module = module
        self.provided = provided
        self.local: list[LocalEffect] = []
        self.owned: set[int] = set()
        self.self_owned = False

    # ------------------------------------------------------------ helpers

    def sym(self, node: ast.Node) -> object:
        return self.b.checked.symbol_of(node)

    def edge(self, callee: FnId, span: ast.Node, kind: EdgeKind = EdgeKind.CALL, *,
             awaited: bool = False, local_receiver: bool = False) -> None:
        self.b.graph.add_edge(CallEdge(self.fn, callee, span.span, kind, awaited,
                                       local_receiver, self.provided))

    def effect(self, effect: Effect, node: ast.Node, reason: str) -> None:
        self.local.append(LocalEffect(effect, node.span, reason))

    def src(self, node: ast.Node) -> str:
        text = self.b.program.modules[self.module].source.text[node.span.start:node.span.end]
        return text if len(text) <= 40 else text[:37] + "..."

    def enter_params(self, params: tuple[ast.Param | ast.SelfParam, ...]) -> None:
        for p in params:
            if isinstance(p, ast.SelfParam):
                self.self_owned = not p.is_ref
            elif not (isinstance(p.type, ast.RefType) and p.type.mutable):
                self.bind(p.pattern)

    def bind(self, p: ast.Node) -> None:
        """Record every variable a pattern binds as owned by this frame."""
        found = self.sym(p)
        if isinstance(found, LocalSym):
            self.owned.add(found.id)
        for child in _children(p):
            if isinstance(child, ast.Pattern):
                self.bind(child)

    def owns(self, e: ast.Expr) -> bool:
        root = _root(e)
        if isinstance(root, ast.Name):
            found = self.sym(root)
            if isinstance(found, LocalSym):
                return self.self_owned if found.name == "self" and found.id not in self.owned \
                    else found.id in self.owned
        # a call's result, a literal: a temporary that only this frame holds
        return isinstance(root, (ast.Call, ast.MethodCall, ast.RecordLit, ast.Tuple,
                                 ast.ArrayLit, ast.TextLit, ast.FString))

    # ------------------------------------------------------------ visiting

    def visit(self, node: ast.Node, awaited: bool = False) -> None:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node) if not awaited else method(node, True)
            return
        if isinstance(node, ast.TypeExpr):
            return
        if isinstance(node, ast.Pattern):
            self.bind(node)
        for child in _children(node):
            self.visit(child)

    def visit_Await(self, e: ast.Await) -> None:
        target = e.target
        while isinstance(target, ast.Paren):
            target = target.expr
        if isinstance(target, (ast.Call, ast.MethodCall)) and isinstance(self.sym(target), FnSym):
            self.visit(target, True)
        else:
            self.visit(target)
            self.effect(Effect.ASYNC, e, "awaits a future")

    def visit_Try(self, e: ast.Try) -> None:
        self.effect(Effect.FALLIBLE, e, "uses `?`")
        self.visit(e.target)

    def visit_Spawn(self, e: ast.Spawn) -> None:
        self.effect(Effect.SPAWNS, e, "spawns a task")
        self.visit(e.expr)

    def visit_Assign(self, e: ast.Assign) -> None:
        if not self.owns(e.target) or (isinstance(e.target, ast.Unary) and e.target.op == "*"):
            self.effect(Effect.MUTATES, e, f"assigns to `{self.src(e.target)}` outside its frame")
        for child in _children(e.target):
            self.visit(child)
        self.visit(e.value)

    def visit_Call(self, e: ast.Call, awaited: bool = False) -> None:
        found = self.sym(e)
        if isinstance(found, FnSym):
            self.edge(self.b.node_for(found).id, e, awaited=awaited)
            if not isinstance(e.callee, (ast.Name, ast.Field)):
                self.visit(e.callee)
        else:
            self.visit(e.callee)
        for a in e.args:
            self.visit(a)

    def visit_MethodCall(self, e: ast.MethodCall, awaited: bool = False) -> None:
        found = self.sym(e)
        static = isinstance(self.sym(e.receiver), (ContextSym, TypeSym, ModuleSym))
        if not static:
            self.visit(e.receiver)
        closures: dict[int, FnId] = {}
        for a in e.args:
            if isinstance(a, ast.Closure):
                closures[id(a)] = self.visit_Closure(a)
            else:
                self.visit(a)
        if not isinstance(found, FnSym):
            return
        callee = self.b.node_for(found)
        self.edge(callee.id, e, awaited=awaited,
                  local_receiver=not static and self.owns(e.receiver))
        self.facts(e, found, closures)

    def facts(self, e: ast.MethodCall, found: FnSym, closures: dict[int, FnId]) -> None:
        """Route registrations and supervisor start closures."""
        owner = found.owner or ""
        if found.module.startswith("core.net.weft") and owner.endswith("Router") \
                and found.name in ROUTE_METHODS and e.args:
            self.route(e, found.name)
        if found.name == "with_start" and owner.endswith("ChildSpec") and e.args \
                and isinstance(e.args[0], ast.Closure):
            child = None
            recv = e.receiver
            if isinstance(recv, ast.MethodCall) and recv.args:
                child = _text_of(recv.args[0])
            self.b.graph.start_closures.append(
                StartClosure(closures[id(e.args[0])], child, e.args[0].span))

    def route(self, e: ast.MethodCall, name: str) -> None:
        path = _text_of(e.args[0]) or "<computed path>"
        method = name.upper()
        if name == "route" and len(e.args) >= 3:
            m = e.args[1]
            method = m.name.name.upper() if isinstance(m, ast.Field) else \
                m.name.upper() if isinstance(m, ast.Name) else "?"
        handler_expr = e.args[-1]
        handler: FnId | None = None
        found = self.sym(handler_expr)
        if isinstance(found, FnSym):
            handler = self.b.node_for(found).id
        elif isinstance(handler_expr, ast.Closure):
            handler = self.b.graph.by_decl.get(id(handler_expr))
        if handler is not None:
            self.b.graph.routes.append(RouteSite(path, method, handler, e.args[0].span,
                                                 self.fn, self.provided))

    def visit_Name(self, e: ast.Name) -> None:
        found = self.sym(e)
        if isinstance(found, FnSym):
            self.edge(self.b.node_for(found).id, e, EdgeKind.REF)

    def visit_Field(self, e: ast.Field) -> None:
        found = self.sym(e.target)
        if isinstance(found, ContextSym):
            self.edge(self.b.const_node(found.qualified, e.name.name, e.span).id, e)
            return
        member = self.sym(e)
        if isinstance(member, FnSym):
            self.edge(self.b.node_for(member).id, e, EdgeKind.REF)
            return
        self.visit(e.target)

    def visit_Closure(self, e: ast.Closure | ast.AsyncBlock) -> FnId:
        existing = self.b.graph.by_decl.get(id(e))
        if existing is not None:
            return existing
        parent = self.b.graph.nodes[self.fn]
        label = "async block" if isinstance(e, ast.AsyncBlock) else "closure"
        node_id = self.b.fresh_id(f"{self.fn}.<{label} {e.span.line}:{e.span.column}>", e.span)
        decl = e if isinstance(e, ast.Closure) else None
        node = FnNode(node_id, f"{parent.name}.<{label} {e.span.line}:{e.span.column}>",
                      NodeKind.CLOSURE, e.span, True, None, enclosing=self.fn,
                      is_stdlib=parent.is_stdlib, decl=decl)
        self.b.graph.add_node(node)
        self.edge(node_id, e, EdgeKind.CLOSURE)
        inner = Walker(self.b, node_id, self.module, self.provided)
        if isinstance(e, ast.Closure):
            for p in e.params:
                inner.bind(p.pattern)
        inner.visit(e.body)
        self.b.set_local(node_id, inner.local)
        return node_id

    def visit_AsyncBlock(self, e: ast.AsyncBlock) -> None:
        self.visit_Closure(e)

    def visit_ItemStmt(self, s: ast.ItemStmt) -> None:
        item = s.item
        if isinstance(item, ast.FnDecl):
            parent = self.b.graph.nodes[self.fn]
            self.b.add_fn(item, self.module, NodeKind.NESTED,
                          f"{parent.name}.{item.name.name}", enclosing=self.fn)
        elif isinstance(item, (ast.ConstDecl, ast.StaticDecl)) and item.value is not None:
            self.visit(item.value)

    def visit_Block(self, b: ast.Block) -> None:
        saved = self.provided
        for s in b.stmts:
            if isinstance(s, ast.ProvideStmt):
                self.provide(s)
            else:
                self.visit(s)
        if b.tail is not None:
            self.visit(b.tail)
        self.provided = saved

    def provide(self, s: ast.ProvideStmt) -> None:
        added: set[str] = set()
        for binding in s.bindings:
            self.visit(binding.value)
            target = None
            if isinstance(binding.context, ast.PathType):
                found = _lookup(self.b.program, self.module, binding.context.path.dotted)
                if isinstance(found, Symbol) and isinstance(found.decl, ast.ContextDecl):
                    target = found.qualified
            self.b.graph.provides.append(ProvideSite(
                target or _written(binding.context), binding.span, binding.value, self.fn,
                s.form, target is not None))
            if target is not None:
                added.add(target)
        if s.body is None:
            self.provided = self.provided | added
        else:
            saved = self.provided
            self.provided = self.provided | added
            self.visit(s.body)
            self.provided = saved


def _written(t: ast.TypeExpr) -> str:
    return t.path.dotted if isinstance(t, ast.PathType) else "?"


def _children(node: ast.Node) -> list[ast.Node]:
    return list(child_nodes(node))
