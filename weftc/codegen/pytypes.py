"""Verum type expressions as Python annotations (what mypy --strict reads).

`Int`→`int`, `Text`→`str`, `Maybe<T>`→`T | None`, `Result<T, E>`→
`weft.result.Result[T, E]`, `List<T>`→`list[T]`, `Map<K, V>`→`dict[K, V]`,
`()`→`None`, the seed's `Json<T>`→ the package's `Json[T]`, user records and
sum types by name, stdlib types through their `@python` binding. `impl P` and
`dyn P` are P's Python form when P is a single bound that has one, and
`typing.Any` otherwise (the seam until stage 4 hands codegen checked types:
the checker, not mypy, vouches for what a bounded value can do). A refined
type is its base here; its predicate is emitted separately (predicates.py).
"""

from __future__ import annotations

from weftc.codegen.context import Gen, Imports, Unsupported
from weftc.syntax import ast

# Stdlib Python classes that are generic like their Verum declaration, so an
# annotation carries the type arguments (`ServiceBuilder[Router]`); other
# bound classes drop them (`WeftApp<H>` is the non-generic `weft.app.WeftApp`).
GENERIC_TARGETS = frozenset({"weft.verum:ServiceBuilder", "weft.verum:PathValue",
                             "weft.verum:QueryValue", "weft.refined_paths:PathRefinement"})

PRIMS = {"Int": "int", "Int8": "int", "Int16": "int", "Int32": "int", "Int64": "int",
         "ISize": "int", "UInt8": "int", "UInt16": "int", "UInt32": "int", "UInt64": "int",
         "USize": "int", "Byte": "int", "Float": "float", "Bool": "bool", "Text": "str",
         "Char": "str", "Bytes": "bytes", "Unit": "None"}


def annotation(gen: Gen, imports: Imports, module: str, t: ast.TypeExpr) -> str:
    """The Python annotation for `t` as written in `module`."""
    match t:
        case ast.RefType(target=inner):
            return annotation(gen, imports, module, inner)
        case ast.RefinedType(base=base):
            return annotation(gen, imports, module, base)
        case ast.TupleType(elements=()):
            return "None"
        case ast.TupleType(elements=elems):
            return f"tuple[{', '.join(annotation(gen, imports, module, e) for e in elems)}]"
        case ast.PathType(path=path, args=args):
            return _path_type(gen, imports, module, t, path, args)
        case ast.ImplType(bounds=bounds) | ast.DynType(bounds=bounds):
            return _bounded(gen, imports, module, bounds)
    raise Unsupported(t.span, f"the type `{type(t).__name__}` in generated code")


def _path_type(gen: Gen, imports: Imports, module: str, t: ast.TypeExpr, path: ast.Path,
               args: tuple[ast.TypeExpr, ...]) -> str:
    name = path.segments[-1].name
    if len(path.segments) == 1 and not args and name in gen.type_params:
        # A function's type parameter is erased to its bound (or Any): a
        # Python caller passes any value, and the checker already proved
        # each call site satisfies the bound.
        return _bounded(gen, imports, module, gen.type_params[name])
    sub = [annotation(gen, imports, module, a) for a in args]
    if name in PRIMS and not args:
        return PRIMS[name]
    if name == "Maybe" and len(sub) == 1:
        return f"{sub[0]} | None"
    if name == "Result" and len(sub) == 2:
        return f"{imports.need('weft.result', 'Result')}[{sub[0]}, {sub[1]}]"
    if name == "List" and len(sub) == 1:
        return "bytes" if _is_byte(args[0]) else f"list[{sub[0]}]"
    if name == "Map" and len(sub) == 2:
        return f"dict[{sub[0]}, {sub[1]}]"
    if name in ("Heap", "Shared") and len(sub) == 1:
        return sub[0]
    if name == "Json" and len(sub) == 1:
        return f"{imports.need(gen.package + '._support', 'Json')}[{sub[0]}]"
    if name in ("Path", "Query") and len(sub) == 1:
        return sub[0]
    sym = gen.symbols.lookup_path(module, path)
    if sym is None:
        raise Unsupported(t.span, f"the type `{path.dotted}` (not found)")
    if sym.qualified in gen.user_types:
        pyname = gen.user_types[sym.qualified]
        base = imports.need(gen.package + ".types", pyname)
        return f"{base}[{', '.join(sub)}]" if sub else base
    binding = gen.symbols.type_binding(sym)
    if binding is not None and binding.python is not None and "builtins:" not in binding.python:
        cls = imports.target(binding.python)
        return f"{cls}[{', '.join(sub)}]" if sub and binding.python in GENERIC_TARGETS else cls
    if sym.qualified == "core.net.http.Method":
        return "str"
    if sym.qualified == "core.net.http.StatusCode":
        return "int"
    raise Unsupported(t.span, f"the type `{path.dotted}` has no Python form yet")


def _is_byte(t: ast.TypeExpr) -> bool:
    """`List<Byte>` is Python's `bytes` (request bodies, `Text.into_bytes()`)."""
    return isinstance(t, ast.PathType) and not t.args and t.path.dotted in ("Byte", "UInt8")


def _bounded(gen: Gen, imports: Imports, module: str, bounds: tuple[ast.TypeExpr, ...]) -> str:
    """`impl P`/`dyn P`: P's annotation when it has one, otherwise `Any`."""
    if len(bounds) == 1:
        try:
            return annotation(gen, imports, module, bounds[0])
        except Unsupported:
            pass
    return imports.need("typing", "Any")
