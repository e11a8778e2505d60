"""Stage 1 driver: `parse(SourceFile) -> ParseResult` (AST or diagnostics, never raises).

One lark LALR parser per process, built from `grammar/verum.lark` with the
grammar analysis cached on disk, the post-lexer and the tree builder plugged
in (the AST is built during the parse; no intermediate tree).

Error recovery: when the whole-file parse fails, the text is cut into
top-level item chunks (`recovery.split_items`) and each chunk is parsed on its
own with its offsets, so one diagnostic per broken item is reported (capped at
`MAX_DIAGNOSTICS`) and later items are still checked. `module` is None
whenever an error was reported; warnings alone keep the module.
"""

from __future__ import annotations

import gc
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from lark import Lark
from lark.exceptions import LarkError

from weftc.diagnostics import Diagnostic, Severity, error, warning
from weftc.resources import grammar_path, shipped_tables_dir
from weftc.source import SourceDecodeError, SourceFile
from weftc.syntax import ast
from weftc.syntax.builder import AstBuilder, BuildError
from weftc.syntax.errors import ExampleTable, decode_error, from_exception, number_errors
from weftc.syntax.fastpath import FastParser
from weftc.syntax.postlex import ParseContext, PostLexStop, VerumPostLex
from weftc.syntax.recovery import split_items
from weftc.syntax.tables import TablesUnavailable, cache_key, from_lark, load, save

MAX_DIAGNOSTICS = 50
_FAILURES = (LarkError, PostLexStop, BuildError)


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The module (None if any syntax error) and every diagnostic found, in source order."""

    module: ast.Module | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.module is not None


def _cache_dir() -> Path | None:
    base = os.environ.get("WEFTC_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") \
        or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "weftc"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def tables_name(grammar: str) -> str:
    """The file name of the fast path's tables for this grammar, lark and Python."""
    return f"verum-tables-{cache_key(grammar)}.marshal"


def lark_name(grammar: str) -> str:
    """The file name of the `Lark` object saved at install time (same key)."""
    return f"verum-lark-{cache_key(grammar)}.pickle"


#: Lark options not saved with it: objects of ours, given again on loading
UNSAVED_OPTIONS = ("postlex", "transformer")


class _Engine:
    """The shared parsers plus the per-parse context stacks their plug-ins read.

    Valid programs go through `FastParser` only, whose tables load from a small
    cache file (the user's, else the one built at install time); the `Lark`
    object (needed for diagnostics) is built on first use, from lark's cache.
    """

    def __init__(self) -> None:
        self.postlex = VerumPostLex()
        self.builder = AstBuilder(self.postlex.contexts, self.parse_segment)
        self.grammar = grammar_path().read_text(encoding="utf-8")
        self.cache = _cache_dir()
        self._lark: Lark | None = None
        self.lock = threading.RLock()
        self.examples = ExampleTable(self._parse_example)
        self.fast = None if os.environ.get("WEFTC_SLOW_PARSER") else self._fast_parser()

    @property
    def lark(self) -> Lark:
        if self._lark is None:
            self._lark = self._shipped_lark()
        if self._lark is None:
            cache: str | bool = str(self.cache / "verum-grammar.lark-cache") if self.cache else True
            self._lark = Lark(self.grammar, parser="lalr", lexer="contextual",
                              start=["module", "expr"], postlex=self.postlex,
                              transformer=self.builder, maybe_placeholders=True,
                              propagate_positions=False, cache=cache)
        return self._lark

    def _shipped_lark(self) -> Lark | None:
        """The `Lark` saved when the package was installed (hatch_build.py), if it
        is for this grammar, lark and Python; None to build it (about 10 s once).

        lark's own path cache cannot ship: it hashes the cache file's path. Its
        public `Lark.load` takes no options, so this uses `_load`, which lark's
        cache itself uses to give the transformer and post-lexer back.
        """
        path = shipped_tables_dir() / lark_name(self.grammar)
        try:
            with path.open("rb") as f:
                loaded: Lark = Lark._load(Lark.__new__(Lark), f, postlex=self.postlex,
                                          transformer=self.builder)
        except Exception:  # missing, or from another lark: build instead
            return None
        return loaded

    def _fast_parser(self) -> FastParser | None:
        name = tables_name(self.grammar)
        path = self.cache / name if self.cache else None
        tables = load(path) if path is not None else None
        if tables is None:
            tables = load(shipped_tables_dir() / name)
        if tables is None:
            try:
                tables = from_lark(self.lark)
            except TablesUnavailable:
                return None
            if path is not None:
                save(tables, path)
        return FastParser(tables, self.builder)

    def run(self, ctx: ParseContext, start: str) -> object:
        """Parse with the fused fast path; on any failure re-parse with `Lark.parse`.

        Only the `Lark.parse` run's exceptions become diagnostics (see `fastpath`).
        """
        with self.lock:
            self.postlex.contexts.append(ctx)
            try:
                if self.fast is not None:
                    try:
                        return self.fast.parse(ctx, start)
                    except Exception:
                        ctx.clear_notes()
                return self.lark.parse(ctx.text, start=start)
            finally:
                self.postlex.contexts.pop()

    def run_slow(self, ctx: ParseContext, start: str) -> object:
        """`Lark.parse` alone (tests compare it with the fast path)."""
        with self.lock:
            self.postlex.contexts.append(ctx)
            try:
                return self.lark.parse(ctx.text, start=start)
            finally:
                self.postlex.contexts.pop()

    def _parse_example(self, text: str) -> object:
        return self.run(ParseContext(text, SourceFile.from_text("<example>", text)), "module")

    def parse_segment(self, outer: ParseContext, text: str, offset: int) -> ast.Expr | None:
        """Parse an f-string `{...}` segment at absolute `offset`; None if it is not an expression."""
        line, col = outer.source.position(offset)
        ctx = ParseContext(text, outer.source, offset, line, col, outer.fstring_depth + 1)
        try:
            result = self.run(ctx, "expr")
        except _FAILURES:
            return None
        if ctx.number_errors or ctx.unsupported:
            return None
        outer.warnings.extend((a + offset - outer.base, b + offset - outer.base, code, msg)
                              for a, b, code, msg in ctx.warnings)
        return result if isinstance(result, ast.Expr) else None


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                _ENGINE = _Engine()
    return _ENGINE


def _side_diagnostics(ctx: ParseContext) -> list[Diagnostic]:
    out = list(number_errors(ctx))
    for a, b, msg in ctx.unsupported:
        out.append(error("E0009", msg, ctx.source.span(ctx.base + a, ctx.base + b)))
    for a, b, code, msg in ctx.warnings:
        out.append(warning(code, msg, ctx.source.span(ctx.base + a, ctx.base + b)))
    return out


def _chunk_context(source: SourceFile, start: int, end: int) -> ParseContext:
    line, col = source.position(start)
    return ParseContext(source.text[start:end], source, start, line, col)


def _recover(engine: _Engine, source: SourceFile, first: Diagnostic) -> list[Diagnostic]:
    # An end-of-file error says little about where the damage is: let the
    # chunks speak. Otherwise keep the first error and check the items after it.
    at_eof = first.code == "E0002"
    diags: list[Diagnostic] = [] if at_eof else [first]
    for start, end in split_items(source.text):
        if len(diags) >= MAX_DIAGNOSTICS:
            break
        if not at_eof and start <= first.span.start:
            continue            # the whole-file parse already reported this item
        ctx = _chunk_context(source, start, end)
        try:
            engine.run(ctx, "module")
        except _FAILURES as exc:
            diags.append(from_exception(exc, ctx, engine.examples))
        diags.extend(_side_diagnostics(ctx))
    if not any(d.severity is Severity.ERROR for d in diags):
        diags.insert(0, first)
    return diags


def parse(source: SourceFile) -> ParseResult:
    """Parse one file. Never raises: every failure is a diagnostic.

    The cyclic garbage collector is paused meanwhile: a parse allocates many
    acyclic objects, and collections triggered by them only re-walk the growing
    AST (about a tenth of the parse time on large files).
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _parse(source)
    except RecursionError:
        diag = error("E0001", "program too deeply nested to parse", source.span(0, 0))
    except Exception as exc:  # a parser bug must still not escape
        diag = error("E0001", f"internal parser error ({type(exc).__name__}: {exc}); "
                     "please report this", source.span(0, 0))
    finally:
        if paused:
            gc.enable()
    return ParseResult(None, (diag,))


def _parse(source: SourceFile) -> ParseResult:
    engine = _engine()
    ctx = ParseContext(source.text, source)
    try:
        module = engine.run(ctx, "module")
    except _FAILURES as exc:
        first = from_exception(exc, ctx, engine.examples)
        diags = _recover(engine, source, first)
        diags.sort(key=lambda d: (d.span.start, d.code))
        return ParseResult(None, tuple(diags[:MAX_DIAGNOSTICS]))
    diags = _side_diagnostics(ctx)
    diags.sort(key=lambda d: (d.span.start, d.code))
    has_error = any(d.severity is Severity.ERROR for d in diags)
    assert isinstance(module, ast.Module)
    return ParseResult(None if has_error else module, tuple(diags[:MAX_DIAGNOSTICS]))


def parse_text(text: str, name: str = "<string>") -> ParseResult:
    """Parse source text given directly (tests, REPL, formatter round trips)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse(SourceFile.from_text(name, text))


def parse_file(path: str | Path) -> ParseResult:
    """Read and parse a file; a non-UTF-8 file gives E0010. OSError propagates (a usage error)."""
    try:
        source = SourceFile.read(path)
    except SourceDecodeError as exc:
        return ParseResult(None, (decode_error(path, exc),))
    return parse(source)
