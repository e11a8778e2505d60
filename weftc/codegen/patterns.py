"""Verum patterns as Python `match` patterns, and where a variant's class lives.

A user sum type's variants are classes in the generated `types.py`; a stdlib
variant is whatever its `@python` binding names (a class to call, or an enum
member). `Some(x)` is a capture (Maybe<T> is `T | None`), so it records an
`x is not None` guard for the arm (see `guarded_pattern`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weftc.codegen.context import Unsupported, py_name
from weftc.codegen.records import record_pattern
from weftc.modules import Symbol
from weftc.syntax import ast

if TYPE_CHECKING:
    from weftc.codegen.lower import FnLowerer


def guarded_pattern(low: FnLowerer, p: ast.Pattern) -> tuple[str, list[str], list[str]]:
    """A pattern plus the conditions its `Some(..)` captures need."""
    saved = low.some_guards
    low.some_guards = []
    try:
        text, binds = low.pattern(p)
        return text, binds, low.some_guards
    finally:
        low.some_guards = saved


def pattern(low: FnLowerer, p: ast.Pattern) -> tuple[str, list[str]]:
    match p:
        case ast.WildcardPat():
            return "_", []
        case ast.IdentPat(name=name, subpattern=None):
            if name.name == "None":
                return "None", []
            variant = low.unit_variant(ast.Path(p.span, (name,)))
            if variant is not None:
                return variant, []
            return py_name(name.name), [name.name]
        case ast.LiteralPat(value=value):
            return low.expr(value), []
        case ast.PathPat(path=path):
            variant = low.unit_variant(path)
            if variant is None:
                cls = low.stdlib_variant_class(path)
                variant = None if cls is None else cls if "." in cls else f"{cls}()"
            if variant is None:
                raise Unsupported(p.span, f"the pattern `{path.dotted}`")
            return variant, []
        case ast.VariantPat(path=path, args=args):
            subs = [low.pattern(a) for a in args]
            binds = [b for _, bs in subs for b in bs]
            last = path.segments[-1].name
            if path.dotted == "Some" and len(subs) == 1:
                text = subs[0][0]
                if text == "_":
                    text = low.temp("some")
                if text.isidentifier() and text != "None":
                    low.some_guards.append(f"{text} is not None")
                return text, binds
            if path.dotted in ("Ok", "Err"):
                result_cls = low.imports.need("weft.result", path.dotted)
                return f"{result_cls}({', '.join(s for s, _ in subs)})", binds
            variant_cls = low.variant_class(path) or low.stdlib_variant_class(path)
            if variant_cls is None:
                raise Unsupported(p.span, f"the pattern `{path.dotted}(..)` (variant `{last}`)")
            return f"{variant_cls}({', '.join(s for s, _ in subs)})", binds
        case ast.TuplePat(elements=elems):
            subs = [low.pattern(a) for a in elems]
            return f"({', '.join(s for s, _ in subs)},)", [b for _, bs in subs for b in bs]
        case ast.RecordPat():
            return record_pattern(low, p)
        case ast.OrPat(alternatives=alts):
            subs = [low.pattern(a) for a in alts]
            if any(bs for _, bs in subs):
                raise Unsupported(p.span, "bindings inside an or-pattern")
            return " | ".join(s for s, _ in subs), []
    raise Unsupported(p.span, f"the pattern `{type(p).__name__}`")


def variant_class(low: FnLowerer, path: ast.Path) -> str | None:
    names = [s.name for s in path.segments]
    if len(names) < 2:
        return None
    sym = low.gen.symbols.lookup(low.module, names[-2])
    if sym is None or sym.qualified not in low.gen.sum_variants:
        return None
    cls = low.gen.sum_variants[sym.qualified].get(names[-1])
    return low.imports.need(low.gen.package + ".types", cls) if cls else None


def stdlib_variant(low: FnLowerer, owner: Symbol, name: str) -> tuple[str, bool] | None:
    """A bound stdlib variant: (its Python target, whether it is an enum member
    rather than a class to call)."""
    for variant_decl in variants_of(owner):
        if variant_decl.name.name == name:
            target = python_attr(variant_decl.attributes)
            if target is None:
                return None
            binding = low.gen.symbols.type_binding(owner)
            member = binding is not None and binding.python is not None \
                and target.startswith(binding.python + ".")
            return low.imports.target(target), member
    return None


def stdlib_variant_class(low: FnLowerer, path: ast.Path) -> str | None:
    names = [s.name for s in path.segments]
    if len(names) < 2:
        return None
    owner = low.gen.symbols.lookup(low.module, names[-2])
    if owner is None or low.gen.is_user_symbol(owner):
        return None
    bound = low.stdlib_variant(owner, names[-1])
    return None if bound is None else bound[0]


def unit_variant(low: FnLowerer, path: ast.Path) -> str | None:
    cls = low.variant_class(path)
    return f"{cls}()" if cls is not None else None


def is_none_pattern(p: ast.Pattern) -> bool:
    return (isinstance(p, ast.IdentPat) and p.name.name == "None") or \
        (isinstance(p, ast.PathPat) and p.path.dotted == "None")


def variants_of(sym: Symbol) -> tuple[ast.Variant, ...]:
    if isinstance(sym.decl, ast.TypeDecl) and isinstance(sym.decl.body, ast.SumType):
        return sym.decl.body.variants
    return ()


def python_attr(attrs: tuple[ast.Attribute, ...]) -> str | None:
    """The `@python("...")` text among `attrs` (a binding target or an attribute name)."""
    from weftc.modules.bindings import python_target
    return python_target(attrs)
