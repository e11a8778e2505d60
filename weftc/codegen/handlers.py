"""Route endpoints: each handler's extractors as straight-line generated code.

For a handler `async fn get_user(Path(id): Path<UserId>)` the package gets

    GET_USER_ID = PathParam.int("id", refine=refine_UserId, expected="UserId: n >= 1")

    async def endpoint_get_user(req: Request) -> Response:
        id = GET_USER_ID.extract(req)
        return into_response(await get_user(id))

and the route table registers `endpoint_get_user`. A failed extraction
raises the runtime's `ExtractRejection`, which the router answers (400,
415, 422 ... problem+json). A handler without parameters is registered as
itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from weftc.codegen.context import E_HANDLER, Gen, Imports, Unsupported, py_name
from weftc.codegen.pytypes import PRIMS, annotation
from weftc.syntax import ast

_SCALARS = {"int": "int", "str": "str", "float": "float", "bool": "bool"}


@dataclass(frozen=True, slots=True)
class Extractor:
    const: str
    local: str
    spec: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    handler: str
    name: str
    is_async: bool
    extractors: tuple[Extractor, ...]
    call: str
    where: str


def refinement_of(gen: Gen, module: str, t: ast.TypeExpr) -> tuple[ast.TypeExpr, str | None,
                                                                    str | None]:
    """(base type, check function name, expected text) for a parameter type."""
    if isinstance(t, ast.PathType) and not t.args:
        sym = gen.symbols.lookup_path(module, t.path)
        if sym is not None and isinstance(sym.decl, ast.TypeDecl) \
                and isinstance(sym.decl.body, ast.RefinedType) and sym.qualified in gen.refinements:
            fn, text = gen.refinements[sym.qualified]
            return sym.decl.body.base, fn, f"{sym.name}: {text}"
    if isinstance(t, ast.RefinedType):
        raise Unsupported(t.span, "an inline refinement on a handler parameter; name it with "
                          "`type X is T where ...`", E_HANDLER)
    return t, None, None


def endpoint(gen: Gen, imports: Imports, module: str, fn: ast.FnDecl, pyname: str,
             is_async: bool) -> Endpoint | None:
    """The endpoint for `fn`, or None when `fn` takes no parameters."""
    params = [p for p in fn.params if isinstance(p, ast.Param)]
    if len(params) != len(fn.params):
        raise Unsupported(fn.span, "a method as a route handler", E_HANDLER)
    if not params:
        return None
    extractors: list[Extractor] = []
    args: list[str] = []
    for p in params:
        kind, inner = _extractor_kind(p)
        if kind == "request":
            args.append("req")
            continue
        assert inner is not None
        binder = p.pattern.args[0] if isinstance(p.pattern, ast.VariantPat) else p.pattern
        if not isinstance(binder, ast.IdentPat):
            raise Unsupported(p.span, "a nested pattern inside an extractor", E_HANDLER)
        name = binder.name.name
        const = f"{pyname.upper()}_{name.upper()}"
        local = py_name(name)
        if kind == "json":
            body = imports.need("weft.extract", "JsonBody")
            spec = f"{body}.of({annotation(gen, imports, module, inner)})"
        else:
            base, check, expected = refinement_of(gen, module, inner)
            scalar = annotation(gen, imports, module, base)
            if scalar not in _SCALARS or not (isinstance(base, ast.PathType)
                                               and base.path.segments[-1].name in PRIMS):
                raise Unsupported(p.type.span, f"`{kind}` parameters of type `{scalar}`; use "
                                  "Int, Text, Float or Bool (refined or not)", E_HANDLER)
            cls = imports.need("weft.extract", "PathParam" if kind == "path" else "QueryParam")
            opts = ""
            if check is not None:
                check_name = imports.need(gen.package + ".types", check)
                opts = f", refine={check_name}, expected={expected!r}"
            spec = f"{cls}.{_SCALARS[scalar]}({name!r}{opts})"
        extractors.append(Extractor(const, local, spec))
        args.append(local)
    call = f"{pyname}({', '.join(args)})"
    if is_async:
        call = f"await {call}"
    direct = isinstance(fn.ret, ast.PathType) and fn.ret.path.dotted == "Response"
    if not direct:
        call = f"{imports.need('weft.response', 'into_response')}({call})"
    return Endpoint(pyname, f"endpoint_{pyname}", is_async, tuple(extractors), call,
                    gen.where(fn.span))


def _extractor_kind(p: ast.Param) -> tuple[str, ast.TypeExpr | None]:
    t = p.type
    if isinstance(t, ast.PathType):
        head = t.path.segments[-1].name
        if head in ("Request", "WeftRequest") and isinstance(p.pattern, ast.IdentPat):
            return "request", None
        if head in ("Path", "Query", "Json") and len(t.args) == 1:
            pat = p.pattern
            ok = isinstance(pat, ast.IdentPat) or (
                isinstance(pat, ast.VariantPat) and pat.path.dotted == head and len(pat.args) == 1)
            if ok:
                return head.lower(), t.args[0]
    raise Unsupported(p.span, "a handler parameter that is not an extractor: write "
                      "`Path(x): Path<T>`, `Query(x): Query<T>`, `Json(x): Json<T>` or "
                      "`req: Request`", E_HANDLER)
