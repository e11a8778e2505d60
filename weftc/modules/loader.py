"""Finding, parsing and registering the modules a program reaches.

Module path = file path. `core.*` comes from the stdlib (parsed once and
cached, see `stdlib_cache`); any other path is a user module, looked up
relative to the entry file's folder: `models.user` is `models/user.vr` or
`models/user/mod.vr`. An inline `module name { ... }` is the module
`<enclosing>.name` in the same file.

Registering a module removes its `@cfg`-false items, flattens its mount
trees into `ImportSpec`s (relative `.x` and `super.x` made absolute) and
queues every module those mounts may name, so that after `load_all` the
set of modules is closed under mounts.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from weftc.diagnostics import Diagnostic, error
from weftc.modules.cfg import CfgEnv, cfg_active
from weftc.modules.model import ImportSpec
from weftc.modules.stdlib_cache import ParsedFile, load_stdlib, stdlib_files
from weftc.source import SourceDecodeError, SourceFile, Span
from weftc.syntax import ast, parse

STDLIB_ROOT = "core"
PRELUDE = "core.prelude"
_PUBLIC = frozenset({"public", "pub", "internal", "protected"})


def is_public(vis: ast.Visibility | None) -> bool:
    """`public`/`pub` and the restricted forms count as exported; the
    restrictions (`public(super)`, `internal`, ...) are not enforced."""
    return vis is not None and vis.keyword in _PUBLIC


def is_stdlib_name(name: str) -> bool:
    return name == STDLIB_ROOT or name.startswith(STDLIB_ROOT + ".")


@dataclass(slots=True)
class RawModule:
    """A registered module before its tables are built."""

    name: str
    source: SourceFile
    items: tuple[ast.Item, ...]
    is_stdlib: bool
    imports: list[ImportSpec]
    unimplemented: str | None
    broken: bool = False


def attribute_text(attrs: tuple[ast.Attribute, ...], name: str) -> str | None:
    """The text argument of `@name("...")`, "" for a bare `@name`, None if absent."""
    for a in attrs:
        if a.name.name == name:
            if a.args and isinstance(a.args[0].value, ast.TextLit):
                return a.args[0].value.value
            return ""
    return None


@dataclass(slots=True)
class Loader:
    entry: SourceFile
    cfg: CfgEnv
    user_root: Path
    stdlib_dir: Path | None = None
    modules: dict[str, RawModule] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _missing: set[str] = field(default_factory=set)
    _queue: deque[str] = field(default_factory=deque)
    _stdlib: dict[str, ParsedFile] | None = None
    _stdlib_names: frozenset[str] | None = None

    # ------------------------------------------------------------ locating

    def stdlib_names(self) -> frozenset[str]:
        if self._stdlib_names is None:
            self._stdlib_names = frozenset(stdlib_files(self.stdlib_dir))
        return self._stdlib_names

    def _user_file(self, name: str) -> Path | None:
        parts = name.split(".")
        base = self.user_root.joinpath(*parts)
        for cand in (base.with_suffix(".vr"), base / "mod.vr"):
            if cand.is_file():
                return cand
        return None

    def exists(self, name: str) -> bool:
        """Whether a module of that name exists (loaded or on disk), without loading it."""
        if name in self.modules:
            return True
        if is_stdlib_name(name):
            return name in self.stdlib_names()
        return self._user_file(name) is not None

    def known_names(self) -> set[str]:
        """Module names worth suggesting: the stdlib's and every loaded one."""
        return set(self.stdlib_names()) | set(self.modules)

    def ensure(self, name: str) -> bool:
        """Load module `name` if it exists; False if there is no such module."""
        if name in self.modules:
            return True
        if name in self._missing or not name:
            return False
        if is_stdlib_name(name):
            if self._stdlib is None:
                self._stdlib = load_stdlib(self.stdlib_dir)
            parsed = self._stdlib.get(name)
            if parsed is None:
                self._missing.add(name)
                return False
            self.diagnostics.extend(parsed.diagnostics)
            self.register(name, parsed.source, parsed.module, is_stdlib=True)
            return True
        path = self._user_file(name)
        if path is None:
            self._missing.add(name)
            return False
        try:
            source = SourceFile.read(path)
        except (OSError, SourceDecodeError) as exc:
            stub = SourceFile.from_text(str(path), "")
            self.diagnostics.append(error("E1001", f"cannot read module `{name}`: {exc}",
                                          stub.span(0, 0)))
            self.register(name, stub, None, is_stdlib=False)
            return True
        result = parse(source)
        self.diagnostics.extend(result.diagnostics)
        self.register(name, source, result.module, is_stdlib=False)
        return True

    # ------------------------------------------------------------ registering

    def register(self, name: str, source: SourceFile, module: ast.Module | None,
                 *, is_stdlib: bool) -> None:
        if module is None:
            self.modules[name] = RawModule(name, source, (), is_stdlib, [], None, broken=True)
            return
        self._register_items(name, source, module.items, is_stdlib, None)

    def _register_items(self, name: str, source: SourceFile, items: tuple[ast.Item, ...],
                        is_stdlib: bool, inherited: str | None) -> None:
        kept = self._filter(items)
        unimplemented = inherited
        for item in kept:
            if isinstance(item, ast.ModuleDecl) and item.items is None:
                reason = attribute_text(item.attributes, "unimplemented")
                if reason is not None:
                    unimplemented = reason or "declared without a runtime"
        raw = RawModule(name, source, kept, is_stdlib, [], unimplemented)
        self.modules[name] = raw
        current = tuple(name.split("."))
        for item in kept:
            if isinstance(item, ast.Mount):
                raw.imports.extend(self._flatten(item, current))
            elif isinstance(item, ast.ModuleDecl) and item.items is not None:
                child = f"{name}.{item.path.dotted}"
                own = attribute_text(item.attributes, "unimplemented")
                self._register_items(child, source, item.items, is_stdlib,
                                     own or unimplemented)
        for spec in raw.imports:
            self._queue.extend(self._candidates(spec))

    def _filter(self, items: tuple[ast.Item, ...]) -> tuple[ast.Item, ...]:
        """Drop `@cfg`-false items, recursively inside item containers."""
        out: list[ast.Item] = []
        for item in items:
            attrs: tuple[ast.Attribute, ...] = getattr(item, "attributes", ())
            if not cfg_active(attrs, self.cfg, self.diagnostics.append):
                continue
            if isinstance(item, ast.ImplementBlock):
                item = dataclasses.replace(item, items=self._filter(item.items))
            elif isinstance(item, (ast.ProtocolDecl, ast.ContextDecl)):
                item = dataclasses.replace(item, members=self._filter(item.members))
            out.append(item)
        return tuple(out)

    @staticmethod
    def _candidates(spec: ImportSpec) -> list[str]:
        full = ".".join(spec.path)
        if spec.glob:
            return [full]
        return [".".join(spec.path[:-1]), full] if len(spec.path) > 1 else [full]

    def load_all(self) -> None:
        """Load queued modules until every module a mount may name is loaded."""
        while self._queue:
            self.ensure(self._queue.popleft())

    # ------------------------------------------------------------ mount trees

    def _flatten(self, mount: ast.Mount, current: tuple[str, ...]) -> list[ImportSpec]:
        public = is_public(mount.visibility)
        tree = mount.tree
        segs = list(tree.path)
        base: list[tuple[str, ast.Ident | None]] = []
        if tree.relative or (segs and segs[0].name in ("super", "self")):
            base = [(s, None) for s in current]
            while segs and segs[0].name in ("super", "self"):
                head = segs.pop(0)
                if head.name == "super":
                    if not base:
                        self.diagnostics.append(error(
                            "E1001", "`super` goes above the root module", head.span))
                        return []
                    base.pop()
        root = dataclasses.replace(tree, path=tuple(segs))
        out: list[ImportSpec] = []
        self._walk(root, base, public, out, mount.span)
        return out

    def _walk(self, node: ast.MountTree, prefix: list[tuple[str, ast.Ident | None]],
              public: bool, out: list[ImportSpec], span: Span) -> None:
        segs = prefix + [(i.name, i) for i in node.path]
        if node.kind == "group":
            for child in node.children:
                self._walk(child, segs, public, out, child.span)
            return
        if not segs:
            self.diagnostics.append(error("E1001", "a mount must name a module", node.span))
            return
        out.append(ImportSpec(tuple(s for s, _ in segs), tuple(i for _, i in segs),
                              node.kind == "glob", node.alias, public, node.span))
