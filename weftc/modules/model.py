"""What stage 2 produces: modules, their export tables and each file's scope.

A module's name is its dotted path (`core.net.weft.router`). A name in a
table maps to an `Entry`:

* `Symbol`: a declaration (type, protocol, context, fn, const, static or
  context group) in some module;
* `ModuleRef`: a module itself (`mount core.time;`, inline `module m {}`);
* `Ambiguous`: two glob mounts brought different targets under one name.
  Stage 2 does not report it unless an explicit mount names it; the
  resolver calls `Program.lookup` at each use and reports E1003 there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import final

from weftc.source import SourceFile, Span
from weftc.syntax import ast

Declaration = (ast.TypeDecl | ast.ProtocolDecl | ast.ContextDecl | ast.FnDecl | ast.ConstDecl
               | ast.StaticDecl | ast.ContextGroupDecl)


@final
@dataclass(frozen=True, slots=True)
class Symbol:
    """A module-level declaration: where it lives and its AST node."""

    module: str
    name: str
    decl: Declaration
    public: bool

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@final
@dataclass(frozen=True, slots=True)
class ModuleRef:
    module: str

    @property
    def qualified(self) -> str:
        return self.module


Target = Symbol | ModuleRef


@final
@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A name two glob mounts disagree on; `candidates` in a stable order."""

    name: str
    candidates: tuple[Target, ...]


Entry = Target | Ambiguous


@final
@dataclass(frozen=True, slots=True)
class ImportSpec:
    """One leaf of a mount tree, with relative prefixes already made absolute.

    `path` is the module path for a glob, or the full path of the imported
    item for a single mount (its last segment is the name). `idents` holds
    the written identifier for each segment of `path`, None for segments
    that came from a relative prefix.
    """

    path: tuple[str, ...]
    idents: tuple[ast.Ident | None, ...]
    glob: bool
    alias: ast.Ident | None
    public: bool
    span: Span

    @property
    def bound_name(self) -> str:
        """The name a single mount introduces (`as` alias or last segment)."""
        return self.alias.name if self.alias is not None else self.path[-1]


@final
@dataclass(frozen=True, slots=True)
class ModuleInfo:
    """One module after mount resolution.

    `items` are the module's own items with `@cfg`-false ones removed (also
    inside implement blocks, protocols and contexts). `locals` are its
    declarations, `exports` what other modules may mount, `scope` every name
    visible inside it except the prelude (locals, then explicit mounts, then
    glob mounts). `unimplemented` is the module-level `@unimplemented`
    reason, inherited by every declaration in it.
    """

    name: str
    source: SourceFile
    items: tuple[ast.Item, ...]
    is_stdlib: bool
    imports: tuple[ImportSpec, ...]
    locals: Mapping[str, Target]
    exports: Mapping[str, Entry]
    scope: Mapping[str, Entry]
    unimplemented: str | None = None


@final
@dataclass(frozen=True, slots=True)
class Program:
    """Every module the entry file reaches, plus the prelude's names."""

    entry: str
    modules: Mapping[str, ModuleInfo]
    prelude: Mapping[str, Entry]

    @property
    def sources(self) -> Mapping[str, SourceFile]:
        return {m.source.name: m.source for m in self.modules.values()}

    def module(self, name: str) -> ModuleInfo | None:
        return self.modules.get(name)

    def lookup(self, module: str, name: str) -> Entry | None:
        """What `name` means inside `module`: its scope first, then the prelude."""
        info = self.modules.get(module)
        if info is not None:
            found = info.scope.get(name)
            if found is not None:
                return found
        return self.prelude.get(name)
