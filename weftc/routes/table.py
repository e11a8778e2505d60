"""The program's static route table, read from its `Router` builder expressions.

A router is a chain rooted at `Router.new()`: `.route(path, Method.X, h)`,
`.get(path, h)` (and the other verbs), `.nest(prefix, other)`, with
`.layer(..)`/`.fallback(..)` passing through. `other` may be a local bound by
`let` to a chain, or a call of a user function whose body ends in one. A
router nested into another is not a root; every root's routes are served.
Paths whose text is not a literal, or chains the reader does not know, are
left out rather than guessed: the table lists what is certain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from weftc.resolve.symbols import FnSym, LocalSym
from weftc.source import Span
from weftc.syntax import ast
from weftc.syntax.traverse import child_nodes
from weftc.typecheck.checked import CheckedProgram
from weftc.types import Type

VERBS = {"get": "GET", "post": "POST", "put": "PUT", "delete": "DELETE", "patch": "PATCH",
         "head": "HEAD", "options": "OPTIONS",
         # a WebSocket route is a GET (the upgrade, or RFC 8441's CONNECT mapped
         # onto it): it clashes with a GET route on the same path
         "ws": "GET"}


@dataclass(frozen=True, slots=True)
class Segment:
    """`text` for a static segment; `param` (`id`) for `:id`, with `wildcard` for `*rest`."""

    text: str = ""
    param: str | None = None
    wildcard: bool = False

    @property
    def shape(self) -> str:
        return "*" if self.wildcard else (":" if self.param is not None else self.text)


@dataclass(frozen=True, slots=True)
class Extractor:
    """A handler parameter `Path(name): Path<T>`: the name and `name`'s type."""

    name: str
    type: Type | None
    span: Span


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    segments: tuple[Segment, ...]
    handler: ast.FnDecl | None
    handler_name: str
    span: Span
    extractors: tuple[Extractor, ...] | None
    root: int = 0
    """Which root router serves it: routes of different apps never conflict."""

    def param_type(self, name: str) -> Type | None:
        for x in self.extractors or ():
            if x.name == name:
                return x.type
        return None


@dataclass(slots=True)
class _Router:
    """Routes and nested routers in registration order (the order the
    runtime router sees them, so a conflict blames the later one)."""

    entries: list[tuple[str, str, ast.Expr, Span] | tuple[str, _Router]] = \
        field(default_factory=list)


def split_path(path: str) -> tuple[Segment, ...]:
    out = []
    for part in path.strip("/").split("/"):
        if not part:
            continue
        if part.startswith(":"):
            out.append(Segment(param=part[1:]))
        elif part.startswith("*"):
            out.append(Segment(param=part[1:] or "rest", wildcard=True))
        elif part.startswith("{") and part.endswith("}"):
            out.append(Segment(param=part[1:-1]))
        else:
            out.append(Segment(text=part))
    return tuple(out)


def _join(prefix: str, path: str) -> str:
    joined = prefix.rstrip("/") + "/" + path.lstrip("/")
    return joined if joined == "/" else joined.rstrip("/") or "/"


class _Reader:
    def __init__(self, checked: CheckedProgram) -> None:
        self.checked = checked
        self.lets: dict[int, ast.Expr] = {}
        self.built: dict[int, _Router] = {}
        self.nested_ids: set[int] = set()
        self.tops: list[_Router] = []
        self.depth = 0

    def scan(self, node: object) -> None:
        """Record every `let x = <chain>` and evaluate every chain once."""
        if isinstance(node, ast.LetStmt) and isinstance(node.pattern, ast.IdentPat) \
                and node.value is not None:
            sym = self.checked.symbols.get(id(node.pattern))
            if isinstance(sym, LocalSym):
                self.lets[sym.id] = node.value
        if isinstance(node, ast.MethodCall) and node.method.name in (
                "route", "nest", "layer", "fallback", *VERBS):
            top = self.router(node)
            if top is not None:
                if all(t is not top for t in self.tops):
                    self.tops.append(top)
                return
        for child in child_nodes(node):
            self.scan(child)

    def router(self, e: ast.Expr) -> _Router | None:
        if id(e) in self.built:
            return self.built[id(e)]
        r = self._router(e)
        if r is not None:
            self.built[id(e)] = r
        return r

    def _router(self, e: ast.Expr) -> _Router | None:
        if isinstance(e, ast.Paren):
            return self.router(e.expr)
        if isinstance(e, ast.Name):
            sym = self.checked.symbols.get(id(e))
            if isinstance(sym, LocalSym) and sym.id in self.lets:
                return self.router(self.lets[sym.id])
            return None
        if isinstance(e, ast.Call):
            sym = self.checked.symbols.get(id(e))
            if isinstance(sym, FnSym) and sym.decl.body is not None and self.depth < 8:
                body = sym.decl.body
                tail = body.tail if isinstance(body, ast.Block) else body
                if tail is not None:
                    if isinstance(body, ast.Block):
                        for s in body.stmts:
                            self.scan(s)
                    self.depth += 1
                    try:
                        return self.router(tail)
                    finally:
                        self.depth -= 1
            return None
        if not isinstance(e, ast.MethodCall):
            return None
        name = e.method.name
        if name == "new" and isinstance(e.receiver, ast.Name) and e.receiver.name == "Router":
            return _Router()
        base = self.router(e.receiver)
        if base is None:
            return None
        out = _Router(list(base.entries))
        path = _literal(e.args[0]) if e.args else None
        if name == "route" and len(e.args) == 3 and path is not None:
            out.entries.append((_method(e.args[1]), path, e.args[2], e.args[0].span))
        elif name in VERBS and len(e.args) == 2 and path is not None:
            out.entries.append((VERBS[name], path, e.args[1], e.args[0].span))
        elif name == "nest" and len(e.args) == 2 and path is not None:
            inner = self.router(e.args[1])
            if inner is not None:
                self.nested_ids.add(id(inner))
                out.entries.append((path, inner))
        return out


def _method(e: ast.Expr) -> str:
    if isinstance(e, ast.Field):
        return e.name.name.upper()
    return "ANY"


def _literal(e: ast.Expr) -> str | None:
    return e.value if isinstance(e, ast.TextLit) else None


def extractors(checked: CheckedProgram, decl: ast.FnDecl) -> tuple[Extractor, ...] | None:
    """`Path(name): Path<T>` parameters as (name, T); None when the handler
    reads path parameters some other way (a tuple or record `Path`, or none)."""
    out: list[Extractor] = []
    saw_path = False
    for p in decl.params:
        if not isinstance(p, ast.Param) or not isinstance(p.pattern, ast.VariantPat):
            continue
        head = p.pattern.path.segments[-1].name if p.pattern.path.segments else ""
        if head != "Path":
            continue
        saw_path = True
        if len(p.pattern.args) != 1 or not isinstance(p.pattern.args[0], ast.IdentPat):
            return None
        sub = p.pattern.args[0]
        sym = checked.symbols.get(id(sub))
        t = checked.local_type(sym.id) if isinstance(sym, LocalSym) else None
        out.append(Extractor(sub.name.name, t, sub.span))
    return tuple(out) if saw_path else None


def _handler(checked: CheckedProgram, e: ast.Expr) -> tuple[ast.FnDecl | None, str]:
    sym = checked.symbols.get(id(e))
    if isinstance(sym, FnSym):
        return sym.decl, sym.name
    src = checked.program.sources.get(e.span.file)
    text = src.text[e.span.start:e.span.end] if src is not None else "<handler>"
    return None, text


def route_table(checked: CheckedProgram) -> tuple[Route, ...]:
    """Every route of every root router in the user's modules, prefixes applied."""
    reader = _Reader(checked)
    for info in checked.program.modules.values():
        if not info.is_stdlib:
            for item in info.items:
                reader.scan(item)
    routes: list[Route] = []

    def emit(r: _Router, prefix: str, seen: set[int], root: int) -> None:
        if id(r) in seen:
            return
        seen = seen | {id(r)}
        for entry in r.entries:
            if len(entry) == 2:
                sub_prefix, inner = entry
                emit(inner, _join(prefix, sub_prefix), seen, root)
                continue
            method, path, handler, span = entry
            full = _join(prefix, path)
            decl, name = _handler(checked, handler)
            extr = extractors(checked, decl) if decl is not None else None
            routes.append(Route(method, full, split_path(full), decl, name, span, extr, root))

    for i, r in enumerate(reader.tops):
        if id(r) not in reader.nested_ids:
            emit(r, "", set(), i)
    return tuple(routes)
