"""Call-graph nodes for declarations: names, declared bounds, resolved `using`.

Declared effects follow docs/stdlib.md: `pure` is the empty set,
`@effects(..)` lists effects, `async` adds Async, a user `@python` binding
adds FFI. On a function with a body they are an upper bound, and only when
`pure` or `@effects` is written (`async` alone bounds nothing). A bodiless
declaration has exactly its declared set; a context operation that declares
nothing is IO (its provider is outside the program), plus Async if async.
"""

from __future__ import annotations

from weftc.effects.graph import ProtocolBound, UsingItem
from weftc.effects.model import EFFECT_NAMES, Effect, EffectSet
from weftc.modules import Program, Symbol
from weftc.modules.bindings import declared_effects, has, python_target
from weftc.syntax import ast

LAYER = "core.net.weft.service.Layer"


def explicit(fn: ast.FnDecl) -> bool:
    return "pure" in fn.modifiers or has(fn.attributes, "effects")


def declared_set(fn: ast.FnDecl, *, ffi: bool, ctx_op: bool = False) -> EffectSet | None:
    """The bound of a body, or the exact set of a bodiless declaration."""
    if fn.body is not None and not explicit(fn):
        return None
    names = declared_effects(fn, ffi)
    if not explicit(fn):
        names = (names or frozenset()) | ({"IO"} if ctx_op else set())
    return EffectSet.from_names(names or ())


def is_ffi(program: Program, module: str, fn: ast.FnDecl, owner_attrs: tuple[ast.Attribute, ...]
           ) -> bool:
    """A user declaration bound to Python (its own `@python` or its type's)."""
    info = program.modules[module]
    if info.is_stdlib or fn.body is not None:
        return False
    return python_target(fn.attributes) is not None or python_target(owner_attrs) is not None


def short(qualified: str) -> str:
    """`core.runtime.supervisor.Supervisor` -> `Supervisor`; `List<T>` -> `List`."""
    return qualified.split("<", 1)[0].rsplit(".", 1)[-1]


def _lookup(program: Program, module: str, dotted: str) -> object:
    parts = dotted.split(".")
    if len(parts) == 1:
        return program.lookup(module, dotted)
    owner = ".".join(parts[:-1])
    info = program.modules.get(owner)
    return info.exports.get(parts[-1]) if info is not None else None


def resolve_using(program: Program, module: str, entries: tuple[ast.UsingEntry, ...],
                  depth: int = 0) -> list[UsingItem]:
    """Each entry resolved to a context, an effect (`!IO`), or an error kind; groups expand."""
    out: list[UsingItem] = []
    for e in entries:
        if not isinstance(e.context, ast.PathType):
            out.append(UsingItem("?", e.negated, e.span, "not-context",
                                 note="only a context name may appear in `using`"))
            continue
        written = e.context.path.dotted
        found = _lookup(program, module, written)
        if isinstance(found, Symbol) and isinstance(found.decl, ast.ContextDecl):
            out.append(UsingItem(written, e.negated, e.span, "context", found.qualified))
        elif isinstance(found, Symbol) and isinstance(found.decl, ast.ContextGroupDecl) \
                and depth < 8:
            for inner in resolve_using(program, found.module, found.decl.entries, depth + 1):
                negated = inner.negated != e.negated
                out.append(UsingItem(inner.written, negated, e.span, inner.kind, inner.target,
                                     inner.note))
        elif found is None and written in EFFECT_NAMES:
            note = None if e.negated else (
                f"`{written}` is an effect, not a context: effects are inferred; bound them "
                f"with `@effects({written})` or forbid them with `!{written}`")
            out.append(UsingItem(written, e.negated, e.span, "effect" if e.negated else
                                 "not-context", written, note))
        elif found is None:
            out.append(UsingItem(written, e.negated, e.span, "unknown"))
        else:
            what = type(getattr(found, "decl", found)).__name__.removesuffix("Decl").lower()
            out.append(UsingItem(written, e.negated, e.span, "not-context",
                                 note=f"`{written}` names a {what}, not a context"))
    return out


def protocol_bound(program: Program, module: str, block: ast.ImplementBlock,
                   fn: ast.FnDecl) -> ProtocolBound | None:
    """The bound the implemented protocol's member declares, if it declares one."""
    if not isinstance(block.protocol, ast.PathType):
        return None
    found = _lookup(program, module, block.protocol.path.dotted)
    if not isinstance(found, Symbol) or not isinstance(found.decl, ast.ProtocolDecl):
        return None
    for member in found.decl.members:
        if isinstance(member, ast.FnDecl) and member.name.name == fn.name.name \
                and explicit(member):
            bound = declared_set(member, ffi=False) or EffectSet()
            bound = bound - EffectSet.of(Effect.ASYNC) | (
                EffectSet.of(Effect.ASYNC) if "async" in fn.modifiers else EffectSet())
            return ProtocolBound(f"{found.name}.{member.name.name}", found.qualified, bound,
                                 found.qualified == LAYER and member.name.name == "wrap")
    return None
