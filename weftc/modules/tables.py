"""Export tables and scopes: what each module offers and what each one sees.

How this works:

1. `locals`: every top-level declaration (and inline module) of a module.
   Two with one name are E1005.
2. `exports`, by fixpoint: start from the public locals; then repeatedly
   add what `public mount` brings (a single mount once its target
   resolves, a glob mount every name its module exports so far) until
   nothing changes. Tables only grow, so this terminates however the
   modules mount each other: mount cycles are legal, as in Verum.
   Precedence inside one table: locals, then explicit mounts, then globs;
   two globs that disagree give an `Ambiguous` entry.
3. `scope`: the same construction over all mounts (public or not) against
   the finished export tables, now reporting failures: E1001 unknown
   module, E1002 name not in module (or private), E1003 an explicit mount
   of an ambiguous name, E1004 a name only re-exported around a cycle,
   E1005 a name declared and mounted (or mounted twice) differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from weftc.diagnostics import Diagnostic, Label, error
from weftc.modules.loader import Loader, RawModule, is_public
from weftc.modules.model import Ambiguous, Entry, ImportSpec, ModuleRef, Symbol, Target
from weftc.modules.suggest import closest
from weftc.source import Span
from weftc.syntax import ast

_DECLS = (ast.TypeDecl, ast.ProtocolDecl, ast.ContextDecl, ast.FnDecl, ast.ConstDecl,
          ast.StaticDecl, ast.ContextGroupDecl)


def _targets(entry: Entry) -> tuple[Target, ...]:
    return entry.candidates if isinstance(entry, Ambiguous) else (entry,)


def _merge(globs: Mapping[str, set[Target]]) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for name, found in globs.items():
        if len(found) == 1:
            out[name] = next(iter(found))
        else:
            out[name] = Ambiguous(name, tuple(sorted(found, key=lambda t: t.qualified)))
    return out


@dataclass(slots=True)
class Tables:
    loader: Loader
    diagnostics: list[Diagnostic] = field(default_factory=list)
    locals: dict[str, dict[str, Target]] = field(default_factory=dict)
    local_spans: dict[str, dict[str, Span]] = field(default_factory=dict)
    exports: dict[str, dict[str, Entry]] = field(default_factory=dict)
    scopes: dict[str, dict[str, Entry]] = field(default_factory=dict)

    @property
    def modules(self) -> dict[str, RawModule]:
        return self.loader.modules

    def build(self) -> None:
        for raw in self.modules.values():
            self._collect_locals(raw)
        self._export_fixpoint()
        for raw in self.modules.values():
            self.scopes[raw.name] = self._scope(raw)

    # ------------------------------------------------------------ locals

    def _collect_locals(self, raw: RawModule) -> None:
        table: dict[str, Target] = {}
        spans: dict[str, Span] = {}
        for item in raw.items:
            if isinstance(item, _DECLS):
                name, span = item.name.name, item.name.span
                target: Target = Symbol(raw.name, name, item, is_public(item.visibility))
            elif isinstance(item, ast.ModuleDecl) and item.items is not None:
                name, span = item.path.dotted, item.path.span
                target = ModuleRef(f"{raw.name}.{name}")
            else:
                continue
            if name in table:
                self.diagnostics.append(error(
                    "E1005", f"`{name}` is defined more than once in module `{raw.name}`", span,
                    labels=[Label(spans[name], "first defined here")],
                    help="rename one of them or remove the duplicate"))
                continue
            table[name] = target
            spans[name] = span
        self.locals[raw.name] = table
        self.local_spans[raw.name] = spans

    def _public_locals(self, name: str) -> dict[str, Entry]:
        raw = self.modules[name]
        out: dict[str, Entry] = {}
        for item in raw.items:
            if isinstance(item, ast.ModuleDecl) and item.items is not None \
                    and is_public(item.visibility):
                out[item.path.dotted] = ModuleRef(f"{name}.{item.path.dotted}")
        for key, target in self.locals[name].items():
            if isinstance(target, Symbol) and target.public:
                out[key] = target
        return out

    # ------------------------------------------------------------ exports

    def _lookup(self, spec: ImportSpec) -> Entry | None:
        """A single mount's target against the current tables, or None."""
        full = ".".join(spec.path)
        if len(spec.path) > 1:
            owner = ".".join(spec.path[:-1])
            if owner in self.modules:
                found = self.exports[owner].get(spec.path[-1])
                if found is not None:
                    return found
        return ModuleRef(full) if full in self.modules else None

    def _export_fixpoint(self) -> None:
        explicit = {name: self._public_locals(name) for name in self.modules}
        globs: dict[str, dict[str, set[Target]]] = {name: {} for name in self.modules}
        for name in self.modules:
            self.exports[name] = dict(explicit[name])
        changed = True
        while changed:
            changed = False
            for raw in self.modules.values():
                mine, theirs = explicit[raw.name], globs[raw.name]
                for spec in raw.imports:
                    if not spec.public:
                        continue
                    if not spec.glob:
                        if spec.bound_name in mine:
                            continue
                        found = self._lookup(spec)
                        if found is not None:
                            mine[spec.bound_name] = found
                            theirs.pop(spec.bound_name, None)
                            changed = True
                        continue
                    source = ".".join(spec.path)
                    if source not in self.modules:
                        continue
                    for key, entry in self.exports[source].items():
                        if key in mine:
                            continue
                        have = theirs.setdefault(key, set())
                        before = len(have)
                        have.update(_targets(entry))
                        changed |= len(have) != before
            for name in self.modules:
                table = _merge(globs[name])
                table.update(explicit[name])
                self.exports[name] = table

    # ------------------------------------------------------------ scopes

    def _scope(self, raw: RawModule) -> dict[str, Entry]:
        scope: dict[str, Entry] = dict(self.locals[raw.name])
        spans = dict(self.local_spans[raw.name])
        explicit: set[str] = set()
        globs: dict[str, set[Target]] = {}
        for spec in raw.imports:
            if spec.glob:
                source = ".".join(spec.path)
                if source not in self.modules:
                    self._unknown_module(spec, len(spec.path))
                    continue
                for key, entry in self.exports[source].items():
                    globs.setdefault(key, set()).update(_targets(entry))
                continue
            target = self._resolve_single(raw, spec)
            if target is None:
                continue
            key = spec.bound_name
            if key in scope and scope[key] != target:
                what = "mounted" if key in explicit else "defined"
                self.diagnostics.append(error(
                    "E1005", f"`{key}` is {what} here and mounted again as "
                    f"`{target.qualified}`", spec.span,
                    labels=[Label(spans[key], f"`{key}` {what} here")],
                    help=f"mount it under another name: `{'.'.join(spec.path)} as ...`"))
                continue
            scope[key] = target
            spans[key] = spec.span
            explicit.add(key)
        for key, entry in _merge(globs).items():
            scope.setdefault(key, entry)
        return scope

    def _resolve_single(self, raw: RawModule, spec: ImportSpec) -> Target | None:
        name = spec.path[-1]
        full = ".".join(spec.path)
        if len(spec.path) > 1:
            owner = ".".join(spec.path[:-1])
            if owner in self.modules:
                found = self.exports[owner].get(name)
                if isinstance(found, Ambiguous):
                    shown = ", ".join(f"`{c.qualified}`" for c in found.candidates)
                    self.diagnostics.append(error(
                        "E1003", f"`{name}` is ambiguous in module `{owner}`", self._name_span(spec),
                        notes=[f"its glob mounts bring {shown}"],
                        help="mount the one you mean from its own module"))
                    return None
                if found is not None:
                    return found
                if full in self.modules:
                    return ModuleRef(full)
                if not self.modules[owner].broken:
                    self._missing_name(spec, owner)
                return None
        if full in self.modules:
            return ModuleRef(full)
        self._unknown_module(spec, len(spec.path) - 1 if len(spec.path) > 1 else 1)
        return None

    @staticmethod
    def _name_span(spec: ImportSpec) -> Span:
        ident = spec.idents[-1]
        return ident.span if ident is not None else spec.span

    # ------------------------------------------------------------ diagnostics

    def _unknown_module(self, spec: ImportSpec, depth: int) -> None:
        """E1001 on the first segment (within `path[:depth]`) that names no module."""
        k = 0
        while k < depth and self.loader.exists(".".join(spec.path[:k + 1])):
            k += 1
        k = min(k, depth - 1)
        wanted = ".".join(spec.path[:k + 1])
        ident = spec.idents[k]
        span = ident.span if ident is not None else spec.span
        notes: list[str] = []
        parent = ".".join(spec.path[:k])
        known = self.loader.known_names()
        siblings = sorted(n.rsplit(".", 1)[-1] for n in known
                          if n.count(".") == k and n.startswith(parent + "." if parent else ""))
        guess = closest(wanted, [n for n in known if n.count(".") == k]) if k else \
            closest(wanted, [n for n in known if "." not in n])
        if guess is not None:
            notes.append(f"the closest existing module is `{guess}`")
        elif parent and siblings:
            notes.append(f"modules in `{parent}`: {', '.join(siblings[:12])}")
        needed = "/".join(spec.path[:depth])
        help_text = None if spec.path[0] == "core" else \
            f"user modules are files beside the entry file: `{needed}.vr` or `{needed}/mod.vr`"
        self.diagnostics.append(error("E1001", f"unknown module `{wanted}`", span,
                                      notes=notes, help=help_text))

    def _missing_name(self, spec: ImportSpec, owner: str) -> None:
        name = spec.path[-1]
        span = self._name_span(spec)
        private = self.locals[owner].get(name)
        if private is not None:
            self.diagnostics.append(error(
                "E1002", f"`{name}` is private to module `{owner}`", span,
                notes=[f"declare it `public` in `{owner}` to mount it elsewhere"]))
            return
        cycle = self._reexport_cycle(owner, name)
        if cycle is not None:
            self.diagnostics.append(error(
                "E1004", f"mount cycle: `{name}` is re-exported by "
                f"{' -> '.join(f'`{m}`' for m in cycle)} and declared in none of them", span,
                help=f"declare `{name}` in one of these modules or mount it from where it is declared"))
            return
        offered = sorted(self.exports[owner])
        notes: list[str] = []
        guess = closest(name, offered)
        if guess is not None:
            notes.append(f"did you mean `{guess}`?")
        elif offered:
            shown = ", ".join(offered[:12]) + (", ..." if len(offered) > 12 else "")
            notes.append(f"`{owner}` exports: {shown}")
        else:
            notes.append(f"`{owner}` exports nothing")
        self.diagnostics.append(error("E1002", f"`{name}` not found in module `{owner}`", span,
                                      notes=notes))

    def _reexport_cycle(self, owner: str, name: str) -> list[str] | None:
        """The modules of a `public mount` chain for `name` that loops, if it does."""
        chain = [owner]
        current = owner
        while True:
            nxt = None
            for spec in self.modules[current].imports:
                if spec.public and not spec.glob and spec.bound_name == name and len(spec.path) > 1:
                    nxt = ".".join(spec.path[:-1])
                    break
            if nxt is None or nxt not in self.modules:
                return None
            if nxt in chain:
                return [*chain[chain.index(nxt):], nxt]
            chain.append(nxt)
            current = nxt
