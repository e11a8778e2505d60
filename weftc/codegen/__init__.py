"""Stage 8, codegen: a checked program as a readable, typed Python package.

`generate(program)` returns the package's files (or diagnostics E6001+
for constructs with no code generation yet, and then no files). The
package runs on the `weft` runtime: see docs/codegen.md for its layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from weftc.codegen.context import Gen, Imports, py_name
from weftc.codegen.emit import (
    IsAsync,
    Parts,
    declare,
    emit_app,
    emit_contexts,
    emit_types,
    find_handlers,
)
from weftc.codegen.render import render
from weftc.codegen.symbols import SymbolTable
from weftc.diagnostics import Diagnostic
from weftc.modules import Program
from weftc.resolve.symbols import LocalSym
from weftc.syntax import ast
from weftc.typecheck.checked import CheckedProgram

__all__ = ["GeneratedPackage", "declared_async", "generate"]


@dataclass(frozen=True, slots=True)
class GeneratedPackage:
    """`files` maps a path relative to the output folder to its text;
    `python_modules` are the top-level Python modules the program binds to
    (`@python` on user declarations), which the build copies beside it."""

    name: str
    files: dict[str, str]
    python_modules: frozenset[str]


def declared_async(qualified: str, fn: ast.FnDecl) -> bool:
    """The rule used while no effect verdict is given: async iff declared `async`."""
    return "async" in fn.modifiers


def generate(program: Program, version: str, *, is_async: IsAsync = declared_async,
             checked: CheckedProgram | None = None,
             runtime_checks: frozenset[int] = frozenset(),
             ) -> tuple[GeneratedPackage | None, list[Diagnostic]]:
    """The package for `program`. `checked` is stage 4's result for this very
    `Program` (its tables are keyed by node identity); without it the
    checker runs again here (milliseconds), and if it reports errors codegen
    falls back to declared signatures. `runtime_checks` are the value
    expressions (by id) whose refinement flow is checked at run time."""
    entry = program.modules[program.entry]
    package = py_name(program.entry.replace(".", "_"))
    source = entry.source.name.rsplit("/", 1)[-1]
    if checked is None or checked.program is not program:
        checked = _check(program)
    gen = Gen(SymbolTable(program), package, program.entry, source, checked)
    gen.runtime_checks = runtime_checks
    declare(gen)
    find_handlers(gen)
    parts = Parts()
    # A helper imported into a module must not share a name with a local or
    # parameter of its functions (`fn page(text: Text)` calling `Response.ok`,
    # which lowers to weft's `text`): such helpers are imported under an alias.
    local_names = _local_names(checked, program)
    for imports in (parts.app_imports, parts.types_imports, parts.contexts_imports):
        imports.taken.update(local_names)
    emit_types(gen, parts, is_async)
    emit_contexts(gen, parts)
    emit_app(gen, parts, is_async)
    if gen.diagnostics:
        return None, gen.diagnostics
    main_start = _main_start(parts.app)
    app_imports = parts.app_imports
    if parts.endpoints:
        app_imports.need("weft.http_types", "Request")
        app_imports.need("weft.http_types", "Response")
    common = {"source": source, "version": version, "package": package}
    binds = sorted(set(gen.bind_literals))
    files = {
        f"{package}/__init__.py": render("__init__.py.j2", **common),
        f"{package}/types.py": render("types.py.j2", imports=_imports(parts.types_imports, package,
                                                                      "types"),
                                      body=parts.types, extra_checks=gen.extra_checks, **common),
        f"{package}/contexts.py": render("contexts.py.j2",
                                         imports=_imports(parts.contexts_imports, package,
                                                          "contexts"),
                                         body=parts.contexts, **common),
        f"{package}/app.py": render("app.py.j2", imports=_imports(app_imports, package, "app"),
                                    body=parts.app[:main_start], main=parts.app[main_start:],
                                    endpoints=parts.endpoints,
                                    routes=_served_routes(gen, checked), **common),
        f"{package}/_support.py": render("_support.py.j2", **common),
        f"{package}/__main__.py": render("__main__.py.j2",
                                         written_bind=repr(binds[0]) if len(binds) == 1 else "None",
                                         **common),
    }
    return GeneratedPackage(package, files, frozenset(parts.python_modules)), []


def _check(program: Program) -> CheckedProgram | None:
    from weftc.typecheck.check import check_types

    found, diags = check_types(program)
    return None if any(d.is_error for d in diags) else found


def _main_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if line.startswith("async def main("):
            return max(0, i - 1)
    return len(lines)


def _imports(imports: Imports, package: str, module: str) -> list[str]:
    return imports.lines(skip_module=f"{package}.{module}")


def _local_names(checked: CheckedProgram | None, program: Program) -> set[str]:
    """Python names of every local and parameter bound in the user's modules."""
    if checked is None:
        return set()
    user_files = {m.source.name for m in program.modules.values() if not m.is_stdlib}
    return {py_name(sym.name) for sym in checked.symbols.values()
            if isinstance(sym, LocalSym) and sym.span.file in user_files}


def _served_routes(gen: Gen, checked: CheckedProgram | None) -> list[tuple[str, str, str, str]]:
    """The route table a reader of `app.py` sees: stage 7's static table (full
    paths with `nest` prefixes, WebSocket routes too), else what lowering saw."""
    from weftc.routes.table import route_table

    if checked is not None:
        table = [(r.method, r.path, r.handler_name, gen.where(r.span))
                 for r in route_table(checked)]
        if table:
            return table
    return gen.routes
