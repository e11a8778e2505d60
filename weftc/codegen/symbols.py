"""Name lookup for code generation: what a name or `Type.member` means and how it
reaches Python.

Until stage 4 hands over a `CheckedProgram`, codegen resolves names itself
over stage 2's `Program` (scopes, export tables, `@python` bindings). Every
decision is made here, at build time; the generated code never looks
anything up by name at request time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from weftc.modules import Program, Symbol
from weftc.modules.bindings import Binding, bind_fn, bind_type, implement_target
from weftc.syntax import ast


@dataclass(frozen=True, slots=True)
class Method:
    """One method of a type: its declaration, binding and declaring module."""

    owner: Symbol
    decl: ast.FnDecl
    binding: Binding
    module: str
    protocol: str | None


@dataclass(slots=True)
class SymbolTable:
    """Program-wide indexes built once per build."""

    program: Program
    _methods: dict[str, list[Method]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, info in self.program.modules.items():
            for item in info.items:
                if not isinstance(item, ast.ImplementBlock):
                    continue
                sym = implement_target(self.program, name, item)
                if sym is None:
                    continue
                owner = bind_type(self.program.modules[sym.module], sym.decl) \
                    if isinstance(sym.decl, ast.TypeDecl | ast.ProtocolDecl | ast.ContextDecl) \
                    else None
                proto = _type_name(item.protocol) if item.protocol is not None else None
                for member in item.items:
                    if isinstance(member, ast.FnDecl):
                        self._methods.setdefault(sym.qualified, []).append(Method(
                            sym, member, bind_fn(info, member, owner, item), name, proto))

    def lookup(self, module: str, name: str) -> Symbol | None:
        found = self.program.lookup(module, name)
        return found if isinstance(found, Symbol) else None

    def lookup_path(self, module: str, path: ast.Path) -> Symbol | None:
        names = [s.name for s in path.segments]
        if len(names) == 1:
            return self.lookup(module, names[0])
        mod = ".".join(names[:-1])
        info = self.program.modules.get(mod)
        if info is None:
            return None
        found = info.exports.get(names[-1])
        return found if isinstance(found, Symbol) else None

    def methods(self, owner: Symbol, name: str) -> list[Method]:
        return [m for m in self._methods.get(owner.qualified, []) if m.decl.name.name == name]

    def method(self, owner: Symbol, name: str, argc: int) -> Method | None:
        """The method `name` of `owner`; overloads are chosen by argument count."""
        found = self.methods(owner, name)
        for m in found:
            if sum(1 for p in m.decl.params if isinstance(p, ast.Param)) == argc:
                return m
        return found[0] if found else None

    def all_methods(self, owner: Symbol) -> list[Method]:
        return list(self._methods.get(owner.qualified, []))

    def fn_binding(self, sym: Symbol) -> Binding | None:
        if isinstance(sym.decl, ast.FnDecl):
            return bind_fn(self.program.modules[sym.module], sym.decl)
        return None

    def type_binding(self, sym: Symbol) -> Binding | None:
        if isinstance(sym.decl, ast.TypeDecl | ast.ProtocolDecl | ast.ContextDecl):
            return bind_type(self.program.modules[sym.module], sym.decl)
        return None

    def is_user(self, sym: Symbol) -> bool:
        return not self.program.modules[sym.module].is_stdlib


def _type_name(t: ast.TypeExpr) -> str | None:
    if isinstance(t, ast.PathType):
        return t.path.dotted
    return None


def type_head(t: ast.TypeExpr) -> str | None:
    """The last path segment of a type (`Json` for `Json<User>`), through references."""
    while isinstance(t, ast.RefType):
        t = t.target
    if isinstance(t, ast.PathType):
        return t.path.segments[-1].name
    return None
