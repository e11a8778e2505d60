"""Stage 4's semantic types (`weftc.types`) as Python annotations.

The checker knows the type of every expression, including ones no
signature spells out (closure parameters, `let x = e`, generic results);
codegen reads them from `CheckedProgram.expr_types` through this module.
The mapping matches `pytypes.annotation` for written types: `Maybe<T>` is
`T | None`, `List<Byte>` is `bytes`, `Heap<T>`/`Shared<T>` are `T`, a
refinement is its base. Generic parameters, associated-type projections,
`impl`/`dyn` bounds without a Python form and unsolved types are
`typing.Any`: the documented seam where the checker, not mypy, vouches
for the value.
"""

from __future__ import annotations

from weftc.codegen.context import Gen, Imports
from weftc.codegen.pytypes import GENERIC_TARGETS, PRIMS
from weftc.types import (
    FnT,
    FutureT,
    Named,
    OpaqueT,
    Prim,
    Ref,
    Refined,
    TupleT,
    Type,
    strip,
)

BYTE_NAMES = frozenset({"Byte", "UInt8"})


def is_bytes(t: Type) -> bool:
    """`List<Byte>`: Python's `bytes` (request bodies, `Text.into_bytes()`)."""
    t = strip(t)
    if isinstance(t, Named) and t.qualified == "core.prelude.List" and len(t.args) == 1:
        elem = strip(t.args[0])
        return (isinstance(elem, Prim) and elem.name in BYTE_NAMES) or \
            (isinstance(elem, Named) and elem.name in BYTE_NAMES)
    return False


def sem_annotation(gen: Gen, imports: Imports, t: Type) -> str:
    """The Python annotation of a checked type (`Any` where Python has no form)."""
    if isinstance(t, Ref):
        return sem_annotation(gen, imports, t.inner)
    if isinstance(t, Refined):
        return sem_annotation(gen, imports, t.base)
    if isinstance(t, Prim):
        if t.name == "Never":
            return imports.need("typing", "NoReturn")
        return PRIMS.get(t.name, "None" if t.name == "Unit" else _any(imports))
    if isinstance(t, TupleT):
        return f"tuple[{', '.join(sem_annotation(gen, imports, e) for e in t.elements)}]"
    if isinstance(t, FnT):
        callable_ = imports.need("collections.abc", "Callable")
        ret = sem_annotation(gen, imports, t.ret)
        if t.is_async:
            ret = f"{imports.need('collections.abc', 'Awaitable')}[{ret}]"
        params = ", ".join(sem_annotation(gen, imports, p) for p in t.params)
        return f"{callable_}[[{params}], {ret}]"
    if isinstance(t, FutureT):
        return f"{imports.need('collections.abc', 'Awaitable')}" \
               f"[{sem_annotation(gen, imports, t.result)}]"
    if isinstance(t, OpaqueT) and len(t.bounds) == 1:
        return sem_annotation(gen, imports, t.bounds[0])
    if isinstance(t, Named):
        return _named(gen, imports, t)
    return _any(imports)


def _any(imports: Imports) -> str:
    return imports.need("typing", "Any")


def _named(gen: Gen, imports: Imports, t: Named) -> str:
    args = [sem_annotation(gen, imports, a) for a in t.args]
    q = t.qualified
    if t.module == "core.prelude":
        if t.name in PRIMS and not args:
            return PRIMS[t.name]
        if t.name == "Maybe" and len(args) == 1:
            return f"{args[0]} | None"
        if t.name == "Result" and len(args) == 2:
            return f"{imports.need('weft.result', 'Result')}[{args[0]}, {args[1]}]"
        if t.name == "List" and len(args) == 1:
            return "bytes" if is_bytes(t) else f"list[{args[0]}]"
        if t.name == "Map" and len(args) == 2:
            return f"dict[{args[0]}, {args[1]}]"
        if t.name in ("Heap", "Shared") and len(args) == 1:
            return args[0]
        if t.name in ("Byte",):
            return "int"
    if t.name == "Json" and len(args) == 1 and q.startswith("core."):
        return f"{imports.need(gen.package + '._support', 'Json')}[{args[0]}]"
    if q in gen.user_types:
        base = imports.need(gen.package + ".types", gen.user_types[q])
        return f"{base}[{', '.join(args)}]" if args else base
    sym = gen.symbols.lookup(t.module, t.name)
    if sym is None:
        return _any(imports)
    if q == "core.net.http.Method":
        return "str"
    if q == "core.net.http.StatusCode":
        return "int"
    binding = gen.symbols.type_binding(sym)
    if binding is not None and binding.python is not None and binding.python.startswith("builtins:"):
        return binding.python.partition(":")[2]
    if binding is not None and binding.python is not None:
        cls = imports.target(binding.python)
        return f"{cls}[{', '.join(args)}]" if args and binding.python in GENERIC_TARGETS else cls
    return _any(imports)
