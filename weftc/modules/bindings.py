"""What a declaration compiles to, and its declared effects.

The attributes (documented in docs/stdlib.md):

* `@python("pkg.module:Qual.name")`: calls (or the type) lower to that
  Python object. A method with no `@python` of its own inherits its type's
  binding plus `.method`. In a user module such a call also carries FFI.
* `@intrinsic`: the compiler lowers it itself (operators of `Int`, record
  builders like `Duration.from_secs`); methods of an `@intrinsic` type are
  intrinsic unless they carry `@python`.
* `@unimplemented("reason")`: declared so mounts and types check, but no
  runtime exists; on a `module a.b;` line it covers the whole file, on a
  type every method of its implement blocks.
* Effects: the `pure` modifier is the empty set; otherwise
  `@effects(IO, Fallible, ...)` lists them; `async` adds Async.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from weftc.modules.loader import attribute_text
from weftc.modules.model import ModuleInfo, Program, Symbol
from weftc.syntax import ast

EFFECTS = frozenset({"IO", "Async", "Fallible", "Mutates", "Spawns", "FFI", "Divergent",
                     "Allocates"})
_TARGET = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass(frozen=True, slots=True)
class Binding:
    """How one declaration reaches Python. `effects` is None when undeclared."""

    python: str | None
    intrinsic: bool
    unimplemented: str | None
    effects: frozenset[str] | None


def python_target(attrs: tuple[ast.Attribute, ...]) -> str | None:
    text = attribute_text(attrs, "python")
    return text or None


def is_valid_target(text: str) -> bool:
    return _TARGET.fullmatch(text) is not None


def resolve_target(text: str) -> object:
    """Import the Python object a `@python` target names (AttributeError/ImportError if absent)."""
    module_name, _, qual = text.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def has(attrs: tuple[ast.Attribute, ...], name: str) -> bool:
    return any(a.name.name == name for a in attrs)


def declared_effects(fn: ast.FnDecl, ffi: bool = False) -> frozenset[str] | None:
    """The effect upper bound written on `fn`, or None if it declares none."""
    found: set[str] | None = None
    if "pure" in fn.modifiers:
        found = set()
    for a in fn.attributes:
        if a.name.name == "effects":
            found = set() if found is None else found
            for arg in a.args or ():
                if isinstance(arg.value, ast.Name):
                    found.add(arg.value.name)
    if "async" in fn.modifiers:
        found = {"Async"} if found is None else found | {"Async"}
    if found is not None and ffi:
        found.add("FFI")
    return None if found is None else frozenset(found)


def effect_names(fn: ast.FnDecl) -> list[ast.Name | ast.Expr]:
    """Every argument of the fn's `@effects(...)` (to validate against EFFECTS)."""
    return [arg.value for a in fn.attributes if a.name.name == "effects" for arg in a.args or ()]


def bind_type(module: ModuleInfo, decl: ast.TypeDecl | ast.ProtocolDecl | ast.ContextDecl) -> Binding:
    reason = attribute_text(decl.attributes, "unimplemented") or module.unimplemented
    return Binding(python_target(decl.attributes), has(decl.attributes, "intrinsic"), reason, None)


def bind_fn(module: ModuleInfo, fn: ast.FnDecl, owner: Binding | None = None,
            block: ast.ImplementBlock | None = None) -> Binding:
    """A function's binding; `owner` is its type's binding when it is a method."""
    own = python_target(fn.attributes)
    intrinsic = has(fn.attributes, "intrinsic")
    reason = attribute_text(fn.attributes, "unimplemented")
    if reason is None and block is not None:
        reason = attribute_text(block.attributes, "unimplemented")
    if reason is None and owner is not None:
        reason = owner.unimplemented
    if reason is None:
        reason = module.unimplemented
    python = own
    if own is None and not intrinsic and owner is not None:
        if owner.intrinsic:
            intrinsic = True
        elif owner.python is not None:
            python = f"{owner.python}.{fn.name.name}"
    ffi = python is not None and not module.is_stdlib
    return Binding(python, intrinsic, reason or None, declared_effects(fn, ffi))


def implement_target(program: Program, module: str, block: ast.ImplementBlock) -> Symbol | None:
    """The type declaration an implement block attaches methods to."""
    target = block.target
    if not isinstance(target, ast.PathType):
        return None
    segments = [s.name for s in target.path.segments]
    entry = program.lookup(module, segments[0]) if len(segments) == 1 else \
        program.modules[".".join(segments[:-1])].exports.get(segments[-1]) \
        if ".".join(segments[:-1]) in program.modules else None
    return entry if isinstance(entry, Symbol) else None


def module_bindings(program: Program, name: str) -> list[tuple[str, ast.FnDecl, Binding]]:
    """(qualified name, fn, binding) for every function and method declared in a module."""
    info = program.modules[name]
    out: list[tuple[str, ast.FnDecl, Binding]] = []
    for item in info.items:
        if isinstance(item, ast.FnDecl):
            out.append((f"{name}.{item.name.name}", item, bind_fn(info, item)))
        elif isinstance(item, ast.ImplementBlock):
            sym = implement_target(program, name, item)
            owner = None
            if sym is not None and isinstance(sym.decl, ast.TypeDecl):
                owner = bind_type(program.modules[sym.module], sym.decl)
            label = sym.qualified if sym is not None else f"{name}.<impl>"
            for member in item.items:
                if isinstance(member, ast.FnDecl):
                    out.append((f"{label}.{member.name.name}", member,
                                bind_fn(info, member, owner, item)))
        elif isinstance(item, (ast.ProtocolDecl, ast.ContextDecl)):
            for member in item.members:
                if isinstance(member, ast.FnDecl):
                    out.append((f"{name}.{item.name.name}.{member.name.name}", member,
                                bind_fn(info, member)))
    return out
