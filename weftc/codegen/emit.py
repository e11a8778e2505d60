"""Lower a program's user modules into the parts the templates print.

One pass names every user declaration (so lowering can refer forward),
one finds the route handlers, then each generated module is assembled:
`types.py` (refinement checks, records, sum types and their methods),
`contexts.py` (a Protocol per context plus the provider chosen here, at
build time), `app.py` (functions, endpoints, the route table, `main`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from weftc.codegen.calls import ROUTE_METHODS
from weftc.codegen.context import (
    E_ENTRY,
    E_PREDICATE,
    E_UNSUPPORTED,
    Gen,
    Imports,
    Unsupported,
    fn_is_async,
    py_name,
)
from weftc.codegen.handlers import Endpoint, endpoint
from weftc.codegen.lower import FnLowerer
from weftc.codegen.predicates import UnsupportedPredicate, imports_of, to_python
from weftc.codegen.pytypes import annotation
from weftc.modules import ModuleInfo, Symbol
from weftc.modules.bindings import implement_target, python_target
from weftc.syntax import ast

IsAsync = Callable[[str, ast.FnDecl], bool]
HANDLER = "core.net.weft.handler.Handler"


@dataclass(slots=True)
class Parts:
    """What the templates print, module by module."""

    types: list[str] = field(default_factory=list)
    types_imports: Imports = field(default_factory=Imports)
    contexts: list[str] = field(default_factory=list)
    contexts_imports: Imports = field(default_factory=Imports)
    app: list[str] = field(default_factory=list)
    app_imports: Imports = field(default_factory=Imports)
    endpoints: list[Endpoint] = field(default_factory=list)
    main_async: bool = True
    python_modules: set[str] = field(default_factory=set)


def user_modules(gen: Gen) -> list[ModuleInfo]:
    return [m for m in gen.symbols.program.modules.values() if not m.is_stdlib]


def _walk(e: object) -> Iterator[ast.Node]:
    """Every AST node under `e` (dataclass fields, tuples)."""
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Node):
            yield node
            stack.extend(getattr(node, s) for s in getattr(node, "__slots__", ()) if s != "span")
        elif isinstance(node, tuple):
            stack.extend(node)


def declare(gen: Gen) -> None:
    """Give every user declaration its Python name."""
    for info in user_modules(gen):
        for item in info.items:
            q = f"{info.name}.{item.name.name}" if hasattr(item, "name") and \
                isinstance(item.name, ast.Ident) else ""
            if isinstance(item, ast.TypeDecl):
                gen.user_types[q] = item.name.name
                if isinstance(item.body, ast.SumType):
                    gen.sum_variants[q] = {v.name.name: f"{item.name.name}_{v.name.name}"
                                           for v in item.body.variants}
                if isinstance(item.body, ast.RefinedType):
                    try:
                        pred = to_python(item.body, info.source.text)
                    except UnsupportedPredicate as exc:
                        gen.report(Unsupported(exc.span, exc.what, E_PREDICATE))
                        continue
                    gen.refinements[q] = (f"refine_{item.name.name}", pred.source_of_predicate)
            elif isinstance(item, ast.ContextDecl):
                gen.contexts[q] = _upper_snake(item.name.name)
            elif isinstance(item, ast.FnDecl) and item.body is not None:
                gen.user_fns[q] = py_name(item.name.name)
            elif isinstance(item, ast.ImplementBlock) and item.protocol is not None:
                target = implement_target(gen.symbols.program, info.name, item)
                proto = item.protocol
                if target is not None and isinstance(proto, ast.PathType):
                    found = gen.symbols.lookup_path(info.name, proto.path)
                    if found is not None and found.qualified == HANDLER:
                        gen.handler_types.add(target.qualified)


def find_handlers(gen: Gen) -> None:
    for info in user_modules(gen):
        for node in _walk(info.items):
            if isinstance(node, ast.MethodCall) and node.method.name in ROUTE_METHODS \
                    and node.args and isinstance(node.args[-1], ast.Name):
                sym = gen.symbols.lookup(info.name, node.args[-1].name)
                if sym is not None and sym.qualified in gen.user_fns \
                        and isinstance(sym.decl, ast.FnDecl):
                    pyname = gen.user_fns[sym.qualified]
                    has_params = bool(sym.decl.params)
                    gen.endpoints[sym.qualified] = f"endpoint_{pyname}" if has_params else pyname


def _upper_snake(name: str) -> str:
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(c.upper())
    return "".join(out)


# ---------------------------------------------------------------- functions


def fn_lines(gen: Gen, imports: Imports, module: str, fn: ast.FnDecl, pyname: str,
             is_async: bool, indent: int, owner: Symbol | None = None,
             self_type: str | None = None, force_ret: str | None = None) -> list[str]:
    """`[async] def name(params) -> R:` plus its lowered body, with a back-reference."""
    saved = gen.type_params
    gen.type_params = {**saved, **{g.name.name: g.bounds for g in fn.generics
                                   if g.kind == "type"}}
    try:
        return _fn_lines(gen, imports, module, fn, pyname, is_async, indent, owner,
                         self_type, force_ret)
    finally:
        gen.type_params = saved


def _fn_lines(gen: Gen, imports: Imports, module: str, fn: ast.FnDecl, pyname: str,
              is_async: bool, indent: int, owner: Symbol | None,
              self_type: str | None, force_ret: str | None) -> list[str]:
    low = FnLowerer(gen, imports, module, is_async, in_method_of=owner, depth=indent + 1)
    params: list[str] = []
    for p in fn.params:
        if isinstance(p, ast.SelfParam):
            params.append("self" if self_type is None else f"self: {self_type}")
            continue
        inner = p.type
        pat = p.pattern
        if isinstance(pat, ast.VariantPat) and len(pat.args) == 1 and isinstance(inner, ast.PathType) \
                and inner.path.segments[-1].name in ("Path", "Query", "Json") and inner.args:
            if inner.path.segments[-1].name != "Json":
                inner = inner.args[0]
            pat = pat.args[0]
            if inner is not p.type or isinstance(pat, ast.IdentPat):
                pass
        if not isinstance(pat, ast.IdentPat):
            raise Unsupported(p.span, "a destructuring parameter pattern")
        if isinstance(p.type, ast.PathType) and p.type.path.segments[-1].name == "Json" \
                and isinstance(p.pattern, ast.VariantPat):
            inner = p.type.args[0]
        low.bind_local(pat.name.name, low.ty_of_typeexpr(inner))
        params.append(f"{py_name(pat.name.name)}: {annotation(gen, imports, module, inner)}")
    ret = force_ret or (annotation(gen, imports, module, fn.ret) if fn.ret is not None else "None")
    returns = ret != "None"
    assert fn.body is not None
    body = low.body(fn.body, returns)
    body[:0] = ["    " * (indent + 1) + line for line in sorted(low.local_imports)]
    pad = "    " * indent
    head = f"{pad}{'async ' if is_async else ''}def {pyname}({', '.join(params)}) -> {ret}:"
    return [f"{pad}# {gen.where(fn.span)}", head, *body]


# ---------------------------------------------------------------- types.py


def emit_types(gen: Gen, parts: Parts, is_async: IsAsync) -> None:
    imp = parts.types_imports
    out = parts.types
    for info in user_modules(gen):
        impls = _impls_by_type(gen, info)
        for item in info.items:
            if not isinstance(item, ast.TypeDecl):
                continue
            q = f"{info.name}.{item.name.name}"
            try:
                if item.generics:
                    raise Unsupported(item.span, "generic type declarations")
                out.extend(_type_decl(gen, imp, info, item, q, impls.get(q, []), is_async))
            except Unsupported as exc:
                gen.report(exc)
            out.append("")


def _impls_by_type(gen: Gen, info: ModuleInfo) -> dict[str, list[ast.FnDecl]]:
    found: dict[str, list[ast.FnDecl]] = {}
    for item in info.items:
        if isinstance(item, ast.ImplementBlock):
            sym = implement_target(gen.symbols.program, info.name, item)
            if sym is None:
                gen.report(Unsupported(item.span, "an implement block for a type outside "
                                       "this program"))
                continue
            for m in item.items:
                if isinstance(m, ast.FnDecl) and m.body is not None:
                    found.setdefault(sym.qualified, []).append(m)
    return found


def _type_decl(gen: Gen, imp: Imports, info: ModuleInfo, item: ast.TypeDecl, q: str,
               methods: list[ast.FnDecl], is_async: IsAsync) -> list[str]:
    name = item.name.name
    where = f"# {gen.where(item.span)}"
    body = item.body
    owner = gen.symbols.lookup(info.name, name)
    if isinstance(body, ast.RefinedType):
        base = annotation(gen, imp, info.name, body.base)
        fn, _ = gen.refinements.get(q, (None, ""))
        lines: list[str] = [where, f"{name} = {base}"]
        if fn is not None:
            pred = to_python(body, info.source.text)
            for module, imported in imports_of(pred.python):
                imp.need(module, imported)
            lines += ["", "", f"def {fn}(value: {base}) -> bool:",
                      f'    """`{name}`: {pred.source}"""', f"    return {pred.python}"]
        return lines
    dc = imp.need("dataclasses", "dataclass")
    if isinstance(body, ast.RecordType):
        lines = [where, f"@{dc}(frozen=True, slots=True)", f"class {name}:"]
        for f in body.fields:
            lines.append(f"    {py_name(f.name.name)}: {_field_type(gen, imp, info, q, f)}")
        for m in methods:
            lines.append("")
            lines += _method(gen, imp, info, m, owner, is_async, 1, None)
        if q in gen.handler_types:
            lines += _handler_call(gen, imp, methods)
        elif not body.fields and not methods:
            lines.append("    pass")
        return lines
    if isinstance(body, ast.SumType):
        lines = []
        names = []
        for v in body.variants:
            cls = gen.sum_variants[q][v.name.name]
            names.append(cls)
            lines += [f"# {gen.where(v.span)}", f"@{dc}(frozen=True, slots=True)", f"class {cls}:"]
            if v.fields is not None:
                raise Unsupported(v.span, "record-shaped variants `V { f: T }`")
            for i, t in enumerate(v.payload or ()):
                lines.append(f"    _{i}: {annotation(gen, imp, info.name, t)}")
            for m in methods:
                lines += _delegate(gen, imp, info, name, m)
            if not v.payload and not methods:
                lines.append("    pass")
            lines += ["", ""]
        lines += [where, f"{name} = {' | '.join(names)}"]
        for m in methods:
            lines += ["", ""]
            lines += _method(gen, imp, info, m, owner, is_async, 0, name,
                             pyname=f"{name}_{m.name.name}")
        return lines
    return [where, f"{name} = {annotation(gen, imp, info.name, body)}"]


def _handler_call(gen: Gen, imp: Imports, methods: list[ast.FnDecl]) -> list[str]:
    """`__call__` makes a `Handler` value a service the router and layers take:
    `handle`'s `Result` becomes the response (`Err(e)` is `e.into_response()`)."""
    handle = next((m for m in methods if m.name.name == "handle"), None)
    if handle is None:
        return []
    request = imp.need("weft.http_types", "Request")
    response = imp.need("weft.http_types", "Response")
    adapt = imp.need("weft.verum", "handler_response")
    call = "await self.handle(req)" if fn_is_async(handle) else "self.handle(req)"
    return ["", f"    async def __call__(self, req: {request}) -> {response}:",
            f"        return {adapt}({call})"]


def _field_type(gen: Gen, imp: Imports, info: ModuleInfo, q: str, f: ast.FieldDecl) -> str:
    """A record field; a refined one carries its check for the JSON boundary."""
    t = f.type
    ann = annotation(gen, imp, info.name, t)
    check: tuple[str, str] | None = None
    if isinstance(t, ast.RefinedType):
        try:
            pred = to_python(t, info.source.text)
        except UnsupportedPredicate as exc:
            raise Unsupported(exc.span, exc.what, E_PREDICATE) from None
        fn = f"refine_{q.rsplit('.', 1)[-1]}_{f.name.name}"
        for module, imported in imports_of(pred.python):
            imp.need(module, imported)
        gen.extra_checks.append((fn, ann, pred.python, pred.source))
        check = (fn, pred.source)
    elif isinstance(t, ast.PathType) and not t.args:
        sym = gen.symbols.lookup_path(info.name, t.path)
        if sym is not None and sym.qualified in gen.refinements:
            fn, text = gen.refinements[sym.qualified]
            check = (fn, f"{sym.name}: {text}")
    if check is None:
        return ann
    annotated = imp.need("typing", "Annotated")
    refine = imp.need("weft.extract", "Refine")
    return f"{annotated}[{ann}, {refine}({check[0]}, {check[1]!r})]"


def _method(gen: Gen, imp: Imports, info: ModuleInfo, m: ast.FnDecl, owner: Symbol | None,
            is_async: IsAsync, indent: int, self_type: str | None,
            pyname: str | None = None) -> list[str]:
    has_self = any(isinstance(p, ast.SelfParam) for p in m.params)
    lines = fn_lines(gen, imp, info.name, m, pyname or py_name(m.name.name),
                     fn_is_async(m), indent, owner, self_type)
    if not has_self and self_type is None:
        lines.insert(1, "    " * indent + "@staticmethod")
    return lines


def _delegate(gen: Gen, imp: Imports, info: ModuleInfo, sum_name: str, m: ast.FnDecl) -> list[str]:
    """A variant class's method that forwards to the sum type's function."""
    if not any(isinstance(p, ast.SelfParam) for p in m.params):
        return []
    params = []
    args = ["self"]
    for p in m.params:
        if isinstance(p, ast.Param) and isinstance(p.pattern, ast.IdentPat):
            params.append(f"{py_name(p.pattern.name.name)}: "
                          f"{annotation(gen, imp, info.name, p.type)}")
            args.append(py_name(p.pattern.name.name))
    ret = annotation(gen, imp, info.name, m.ret) if m.ret is not None else "None"
    aw = "await " if fn_is_async(m) else ""
    return ["", f"    {'async ' if aw else ''}def {py_name(m.name.name)}"
            f"({', '.join(['self', *params])}) -> {ret}:",
            f"        return {aw}{sum_name}_{m.name.name}({', '.join(args)})"]


# ---------------------------------------------------------------- contexts.py


def emit_contexts(gen: Gen, parts: Parts) -> None:
    imp = parts.contexts_imports
    out = parts.contexts
    proto = imp.need("typing", "Protocol")
    for info in user_modules(gen):
        for item in info.items:
            if not isinstance(item, ast.ContextDecl):
                continue
            try:
                out.extend(_context(gen, imp, info, item, proto, parts))
            except Unsupported as exc:
                gen.report(exc)
            out.append("")


def _context(gen: Gen, imp: Imports, info: ModuleInfo, item: ast.ContextDecl, proto: str,
             parts: Parts) -> list[str]:
    name = item.name.name
    lines = [f"# {gen.where(item.span)}", f"class {name}({proto}):"]
    for m in item.members:
        if isinstance(m, ast.FnDecl):
            params = ["self"]
            for p in m.params:
                if isinstance(p, ast.Param) and isinstance(p.pattern, ast.IdentPat):
                    params.append(f"{py_name(p.pattern.name.name)}: "
                                  f"{annotation(gen, imp, info.name, p.type)}")
            ret = annotation(gen, imp, info.name, m.ret) if m.ret is not None else "None"
            lines.append(f"    {'async ' if fn_is_async(m) else ''}def {py_name(m.name.name)}"
                         f"({', '.join(params)}) -> {ret}: ...")
        elif isinstance(m, ast.ConstDecl) and m.type is not None:
            lines += ["    @property",
                      f"    def {py_name(m.name.name)}(self) -> "
                      f"{annotation(gen, imp, info.name, m.type)}: ..."]
        else:
            raise Unsupported(m.span, "this context member")
    provider = python_target(item.attributes)
    if provider is None:
        raise Unsupported(item.span, f"context `{name}` has no provider", E_ENTRY,
                          help=f'bind it to a Python class: @python("module:Class") context {name}')
    parts.python_modules.add(provider.partition(":")[0].split(".")[0])
    instance = gen.contexts[f"{info.name}.{name}"]
    lines += ["", "", f"# The provider chosen at build time ({provider}).",
              f"{instance}: {name} = {imp.target(provider)}()"]
    return lines


# ---------------------------------------------------------------- app.py


def emit_app(gen: Gen, parts: Parts, is_async: IsAsync) -> None:
    imp = parts.app_imports
    main: ast.FnDecl | None = None
    for info in user_modules(gen):
        for item in info.items:
            if not isinstance(item, ast.FnDecl):
                continue
            q = f"{info.name}.{item.name.name}"
            if item.body is None:
                target = python_target(item.attributes)
                if target is None:
                    gen.report(Unsupported(item.span, f"`{item.name.name}` has no body and no "
                                           "@python binding", E_UNSUPPORTED))
                else:
                    parts.python_modules.add(target.partition(":")[0].split(".")[0])
                continue
            if info.name == gen.entry_module and item.name.name == "main":
                main = item
                continue
            try:
                pyname = gen.user_fns[q]
                asy = is_async(q, item)
                parts.app += fn_lines(gen, imp, info.name, item, pyname, asy, 0)
                parts.app += ["", ""]
                if q in gen.endpoints and gen.endpoints[q] != pyname:
                    ep = endpoint(gen, imp, info.name, item, pyname, asy)
                    if ep is not None:
                        parts.endpoints.append(ep)
            except Unsupported as exc:
                gen.report(exc)
    if main is None:
        entry = gen.symbols.program.modules[gen.entry_module]
        gen.report(Unsupported(entry.source.span(0, 0), "the program has no `fn main()`", E_ENTRY,
                               help="add `fn main() { ... }` that builds and serves the app"))
        return
    try:
        parts.app += fn_lines(gen, imp, gen.entry_module, main, "main", True, 0, force_ret="None")
    except Unsupported as exc:
        gen.report(exc)
