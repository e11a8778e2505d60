"""Stage 2, modules: `mount` resolution over the user's files and `stdlib/`.

`load_program(entry)` parses the entry file, loads every module its mounts
reach (user modules relative to the entry's folder, `core.*` from the
stdlib, the prelude always) and returns a `Program` with per-module export
tables and per-file scopes, plus the diagnostics of every file it read.
"""

from __future__ import annotations

from pathlib import Path

from weftc.diagnostics import Diagnostic, sort_key
from weftc.modules.cfg import CfgEnv, cfg_active
from weftc.modules.loader import PRELUDE, Loader, attribute_text, is_public
from weftc.modules.model import (
    Ambiguous,
    Declaration,
    Entry,
    ImportSpec,
    ModuleInfo,
    ModuleRef,
    Program,
    Symbol,
    Target,
)
from weftc.modules.stdlib_cache import load_stdlib, stdlib_files
from weftc.modules.tables import Tables
from weftc.source import SourceFile
from weftc.syntax import ast, parse

__all__ = [
    "PRELUDE",
    "Ambiguous",
    "CfgEnv",
    "Declaration",
    "Entry",
    "ImportSpec",
    "ModuleInfo",
    "ModuleRef",
    "Program",
    "Symbol",
    "Target",
    "attribute_text",
    "cfg_active",
    "entry_module_name",
    "is_public",
    "load_program",
    "load_stdlib",
    "stdlib_files",
]


def entry_module_name(source: SourceFile, module: ast.Module | None) -> str:
    """The entry's module path: its `module a.b;` declaration, else the file stem."""
    if module is not None:
        for item in module.items:
            if isinstance(item, ast.ModuleDecl) and item.items is None:
                return item.path.dotted
    stem = Path(source.name).stem
    return stem if stem.isidentifier() else "main"


def load_program(entry: SourceFile, *, cfg: CfgEnv | None = None,
                 parsed: ast.Module | None = None,
                 stdlib_dir: Path | None = None) -> tuple[Program, list[Diagnostic]]:
    """Resolve every mount the entry reaches.

    `parsed` skips re-parsing the entry when stage 1 already did it (its
    diagnostics are then not repeated). The `Program` is complete even when
    diagnostics hold errors: failed mounts are simply absent from scopes.
    """
    diagnostics: list[Diagnostic] = []
    if parsed is None:
        result = parse(entry)
        diagnostics.extend(result.diagnostics)
        parsed = result.module
    loader = Loader(entry, cfg or CfgEnv.host(), Path(entry.name).resolve().parent,
                    stdlib_dir)
    name = entry_module_name(entry, parsed)
    loader.register(name, entry, parsed, is_stdlib=False)
    loader.ensure(PRELUDE)
    loader.load_all()
    tables = Tables(loader)
    tables.build()
    modules = {
        raw.name: ModuleInfo(raw.name, raw.source, raw.items, raw.is_stdlib, tuple(raw.imports),
                             tables.locals[raw.name], tables.exports[raw.name],
                             tables.scopes[raw.name], raw.unimplemented)
        for raw in loader.modules.values()
    }
    prelude = dict(tables.exports.get(PRELUDE, {}))
    diagnostics.extend(loader.diagnostics)
    diagnostics.extend(tables.diagnostics)
    diagnostics.sort(key=sort_key)
    return Program(name, modules, prelude), diagnostics
