"""Record patterns of bound stdlib variants, record literals of stdlib types
built by a Python function, and generic stdlib calls that need their type
argument at run time.

`JsonExtractError.PayloadTooLarge { len, cap: 4 }` matches the variant's
Python class by keyword: `PayloadTooLarge(len=len, cap=4)` (a shorthand
field binds a local of the field's name; `..` is implied, since a Python
class pattern only checks the keywords it names). Only stdlib variants
bound with `@python` to a class qualify: their Python attributes carry
the Verum field names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from weftc.codegen.context import Unsupported, py_name
from weftc.codegen.pytypes import annotation
from weftc.codegen.semtypes import sem_annotation
from weftc.syntax import ast
from weftc.types import Named, strip

if TYPE_CHECKING:
    from weftc.codegen.lower import FnLowerer

# Stdlib records whose Python class cannot take every Verum field as a
# constructor argument: a record literal calls this builder (keywords) instead.
RECORD_BUILDERS: dict[str, str] = {
    "core.net.weft.handler.WeftRequest": "weft.verum_request:weft_request",
}


def record_pattern(low: FnLowerer, p: ast.RecordPat) -> tuple[str, list[str]]:
    """`Type.Variant { f: pat, g }` as a Python class pattern with keywords."""
    cls = low.stdlib_variant_class(p.path)
    if cls is None or "." in cls:
        raise Unsupported(p.span, f"the record pattern `{p.path.dotted} {{..}}` (only bound "
                          "stdlib variants have record patterns yet)")
    parts: list[str] = []
    binds: list[str] = []
    for f in p.fields:
        name = f.name.name
        if f.pattern is None:
            parts.append(f"{py_name(name)}={py_name(name)}")
            binds.append(name)
            continue
        text, sub = low.pattern(f.pattern)
        parts.append(f"{py_name(name)}={text}")
        binds.extend(sub)
    return f"{cls}({', '.join(parts)})", binds


def target_type(low: FnLowerer, e: ast.Call, what: str) -> str:
    """The Python form of a call's first type argument: written (`f<T>(..)`),
    else the `T` of the `Result<T, E>` the checker gave the call."""
    if e.type_args:
        return annotation(low.gen, low.imports, low.module, e.type_args[0])
    t = low.sem(e)
    t = strip(t) if t is not None else None
    if isinstance(t, Named) and t.qualified == "core.prelude.Result" and t.args:
        return sem_annotation(low.gen, low.imports, t.args[0])
    raise Unsupported(e.span, f"`{what}` without its target type; write `{what}<T>(..)`")


def extract_json(low: FnLowerer, e: ast.Call, args: list[str]) -> str:
    """`extract_json<T>(req, cfg)` is `extract_json(JsonTarget[T](T), req, cfg)`."""
    form = target_type(low, e, "extract_json")
    if re.search(r"\bAny\b", form):
        raise Unsupported(e.span, f"`extract_json` into `{form}`: the target type has no "
                          "runtime form to convert JSON into")
    target = low.imports.need("weft.verum_json", "JsonTarget")
    fn = low.imports.need("weft.verum_json", "extract_json")
    return f"{fn}({target}[{form}]({form}), {', '.join(args)})"
