"""Syntactic facts about function bodies that the walker needs before it walks.

What a loop may assign (so it can be havocked), whether a `break` leaves
it, and which fields of `self` a method's body may write (the frame rule for
`&mut self` calls). All are conservative: when in doubt they say "anything".
"""

from __future__ import annotations

from collections.abc import Iterator

from weftc.resolve.symbols import FnSym, LocalSym
from weftc.syntax import ast
from weftc.syntax.traverse import child_nodes
from weftc.verify.encode import Universe

Key = int | str


def children(node: object) -> Iterator[ast.Expr]:
    """Every expression directly under `node` (through statements, arms, inits)."""
    for child in child_nodes(node):
        if isinstance(child, ast.Expr):
            yield child
        elif isinstance(child, (ast.Stmt, ast.MatchArm, ast.FieldInit, ast.FStringExpr)):
            yield from children(child)


def assigned(e: ast.Expr, u: Universe) -> list[Key]:
    """Locals (keys) that assignments anywhere inside `e` may change."""
    out: list[Key] = []

    def visit(node: object) -> None:
        if isinstance(node, ast.Assign):
            root = node.target
            while isinstance(root, (ast.Field, ast.Paren, ast.Index)):
                root = root.target if not isinstance(root, ast.Paren) else root.expr
            if isinstance(root, ast.Name):
                sym = u.checked.symbols.get(id(root))
                if isinstance(sym, LocalSym):
                    key: Key = "self" if sym.name == "self" else sym.id
                    if key not in out:
                        out.append(key)
        if isinstance(node, ast.MethodCall):
            sym = u.checked.symbols.get(id(node))
            if isinstance(sym, FnSym):
                sig = u.checked.signature_of(sym.decl)
                if sig is not None and sig.self_kind is not None and "mut" in sig.self_kind:
                    visit(ast.Assign(node.span, "=", node.receiver, node.receiver))
        for child in child_nodes(node):
            visit(child)

    visit(e)
    return out


def has_break(body: ast.Expr) -> bool:
    """Whether a `break` leaves this loop (not an inner loop or closure)."""
    found = False

    def visit(node: object, top: bool) -> None:
        nonlocal found
        if isinstance(node, ast.Break):
            found = True
            return
        if not top and isinstance(node, (ast.While, ast.Loop, ast.For, ast.Closure)):
            return
        for child in child_nodes(node):
            visit(child, False)

    visit(body, True)
    return found


def mutated_fields(decl: ast.FnDecl, u: Universe, depth: int) -> frozenset[str] | None:
    """Fields of `self` that `decl`'s body may write; None when that is not
    known (no body, `self` passed on, or a chain of `&mut self` calls too deep)."""
    if decl.body is None or depth > 8:
        return None
    written: set[str] = set()
    unknown = False

    def visit(node: object) -> None:
        nonlocal unknown
        if isinstance(node, ast.Assign):
            f = _self_field(node.target)
            if f == "":
                unknown = True
            elif f is not None:
                written.add(f)
        elif isinstance(node, ast.MethodCall):
            f = _self_field(node.receiver)
            sym = u.checked.symbols.get(id(node))
            sig = u.checked.signature_of(sym.decl) if isinstance(sym, FnSym) else None
            mut = sig is None or (sig.self_kind is not None and "mut" in sig.self_kind)
            if f == "" and mut:
                inner = mutated_fields(sym.decl, u, depth + 1) \
                    if isinstance(sym, FnSym) else None
                if inner is None:
                    unknown = True
                else:
                    written.update(inner)
            elif f is not None and mut:
                written.add(f)
        if isinstance(node, (ast.Call, ast.MethodCall)):
            if any(isinstance(a, ast.Name) and a.name == "self" for a in node.args):
                unknown = True
        for child in child_nodes(node):
            visit(child)

    visit(decl.body)
    return None if unknown else frozenset(written)


def _self_field(e: ast.Expr) -> str | None:
    """`self.f...` -> "f"; `self` -> ""; anything else -> None."""
    path: list[str] = []
    while isinstance(e, (ast.Field, ast.Paren, ast.Index, ast.TupleIndex)):
        if isinstance(e, ast.Field):
            path.append(e.name.name)
        e = e.expr if isinstance(e, ast.Paren) else e.target
    if isinstance(e, ast.Name) and e.name == "self":
        return path[-1] if path else ""
    return None
