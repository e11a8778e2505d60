"""State shared while one package is generated: imports, names, diagnostics.

`Unsupported` is how a lowering step says "this construct has no code
generation yet"; the build turns it into an E6xxx diagnostic at the
construct's span instead of emitting broken code.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

from weftc.codegen.symbols import SymbolTable
from weftc.diagnostics import Diagnostic, error
from weftc.modules import Symbol
from weftc.source import Span
from weftc.syntax import ast
from weftc.typecheck.checked import CheckedProgram

# Codes documented in docs/codegen.md.
E_UNSUPPORTED = "E6001"
E_PREDICATE = "E6002"
E_UNIMPLEMENTED = "E6003"
E_ENTRY = "E6004"
E_HANDLER = "E6005"


class Unsupported(Exception):
    def __init__(self, span: Span, what: str, code: str = E_UNSUPPORTED,
                 help: str | None = None) -> None:
        super().__init__(what)
        self.span = span
        self.what = what
        self.code = code
        self.help = help

    def diagnostic(self) -> Diagnostic:
        prefix = "codegen: " if self.code != E_UNIMPLEMENTED else ""
        return error(self.code, f"{prefix}{self.what}", self.span, help=self.help)


def py_name(name: str) -> str:
    """A Verum identifier as a Python identifier (keywords get a trailing `_`)."""
    return f"{name}_" if keyword.iskeyword(name) or name in ("None", "True", "False") else name


@dataclass(slots=True)
class Imports:
    """`from module import name [as alias]` lines, collision-free."""

    wanted: dict[tuple[str, str], str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def need(self, module: str, name: str) -> str:
        key = (module, name)
        if key in self.wanted:
            return self.wanted[key]
        alias = name
        if alias in self.taken:
            alias = f"{module.replace('.', '_')}_{name}"
        self.wanted[key] = alias
        self.taken.add(alias)
        return alias

    def target(self, target: str) -> str:
        """The expression for a `@python("mod:Qual.attr")` target."""
        module, _, qual = target.partition(":")
        head, *rest = qual.split(".")
        return ".".join([self.need(module, head), *rest])

    def lines(self, skip_module: str | None = None) -> list[str]:
        by_module: dict[str, list[str]] = {}
        for (module, name), alias in sorted(self.wanted.items()):
            if module == skip_module:
                continue
            by_module.setdefault(module, []).append(name if alias == name else f"{name} as {alias}")
        return [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(by_module.items())]


@dataclass(slots=True)
class Gen:
    """Everything the lowering of one program shares."""

    symbols: SymbolTable
    package: str
    entry_module: str
    source_name: str
    # Stage 4's tables: the type of every expression (see semtypes.py).
    checked: CheckedProgram | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Python names of user declarations, by qualified Verum name.
    user_fns: dict[str, str] = field(default_factory=dict)
    user_types: dict[str, str] = field(default_factory=dict)
    sum_variants: dict[str, dict[str, str]] = field(default_factory=dict)
    contexts: dict[str, str] = field(default_factory=dict)
    async_fns: set[str] = field(default_factory=set)
    # refined type alias -> (check function, predicate text)
    refinements: dict[str, tuple[str, str]] = field(default_factory=dict)
    # handler fn -> the name it is registered under in the route table
    endpoints: dict[str, str] = field(default_factory=dict)
    routes: list[tuple[str, str, str, str]] = field(default_factory=list)
    bind_literals: list[str] = field(default_factory=list)
    # inline refinements of record fields: (fn, python type, body, text)
    extra_checks: list[tuple[str, str, str, str]] = field(default_factory=list)
    # user types that implement `core.net.weft.handler.Handler`
    handler_types: set[str] = field(default_factory=set)
    # value expressions (by id) whose refinement flow stage 5 left to a
    # run-time check (`@verify(runtime)`, W2002)
    runtime_checks: frozenset[int] = frozenset()
    # the type parameters of the function being emitted, with their bounds:
    # generated code erases each to its bound (see pytypes.annotation)
    type_params: dict[str, tuple[ast.TypeExpr, ...]] = field(default_factory=dict)

    def where(self, span: Span) -> str:
        return f"{span.file.rsplit('/', 1)[-1]}:{span.line}"

    def report(self, exc: Unsupported) -> None:
        self.diagnostics.append(exc.diagnostic())

    def is_user_symbol(self, sym: Symbol) -> bool:
        return self.symbols.is_user(sym)

    def check_unimplemented(self, sym: Symbol, span: Span, reason: str | None) -> None:
        if reason:
            raise Unsupported(span, f"`{sym.name}` is declared but has no runtime yet: {reason}",
                              E_UNIMPLEMENTED)


def fn_is_async(fn: ast.FnDecl) -> bool:
    return "async" in fn.modifiers
