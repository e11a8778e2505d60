"""The fused fast path must agree exactly with `Lark.parse` (never speed).

For every program the corpus holds, a fast-path parse either fails (and the
driver falls back to lark, whose errors give the diagnostics) or produces the
same AST, spans and side records (E0007 numbers, W0001 warnings) as lark.
The fast path must never accept what lark rejects.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.weftc.program_gen import programs
from tests.weftc.verum_corpus import CORPUS as VERUM
from weftc.source import SourceFile
from weftc.syntax import parser as parser_mod
from weftc.syntax.postlex import ParseContext
from weftc.syntax.tables import from_lark, load, save

ROOT = Path(__file__).resolve().parents[2]
ACCEPT = sorted((ROOT / "tests" / "syntax" / "accept").glob("*.vr"))
REJECT = sorted((ROOT / "tests" / "syntax" / "reject").glob("*.vr"))
OTHERS = sorted((ROOT / "examples").glob("*.vr")) + sorted(VERUM.glob("*.vr"))


def _text(path: Path) -> str:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def _outcome(run: Any, text: str, start: str = "module") -> tuple[object, str | None, tuple[object, ...]]:
    ctx = ParseContext(text, SourceFile.from_text("t.vr", text))
    try:
        result, failure = run(ctx, start), None
    except Exception as exc:
        result, failure = None, type(exc).__name__
    return result, failure, (ctx.number_errors, ctx.warnings, ctx.unsupported)


def _fast_only(ctx: ParseContext, start: str) -> object:
    engine = parser_mod._engine()
    assert engine.fast is not None
    engine.postlex.contexts.append(ctx)
    try:
        return engine.fast.parse(ctx, start)
    finally:
        engine.postlex.contexts.pop()


def _bench_program(lines: int) -> str:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.parse_bench import generate
    finally:
        sys.path.remove(str(ROOT))
    return generate(lines)


def test_fast_path_is_enabled() -> None:
    assert parser_mod._engine().fast is not None


@pytest.mark.parametrize("path", ACCEPT + OTHERS, ids=lambda p: p.name)
def test_fast_path_matches_lark_on_valid_programs(path: Path) -> None:
    text = _text(path)
    slow = _outcome(parser_mod._engine().run_slow, text)
    fast = _outcome(_fast_only, text)
    if slow[1] is None:
        assert fast == slow
    else:
        assert fast[1] is not None, "fast path accepted what lark rejects"


@pytest.mark.parametrize("path", REJECT, ids=lambda p: p.name)
def test_fast_path_never_accepts_rejected_programs(path: Path) -> None:
    text = _text(path)
    slow = _outcome(parser_mod._engine().run_slow, text)
    fast = _outcome(_fast_only, text)
    if slow[1] is not None:
        assert fast[1] is not None
    else:   # rejected for a side record (E0007, E0009 `static mut`): same records
        assert fast == slow


def test_generated_program_and_expressions_match() -> None:
    engine = parser_mod._engine()
    text = _bench_program(400)
    assert _outcome(_fast_only, text) == _outcome(engine.run_slow, text)
    for expr in ("a + b * c ** d", "x |> .map(f) ?? y", "List<List<Int>>.new()", "|x| x >> 2",
                 "f<Int>(a)[0].b?.c(1,)", "if a { b } else { c }", "-1..=10"):
        fast = _outcome(_fast_only, expr, "expr")
        assert fast[1] is None
        assert fast == _outcome(engine.run_slow, expr, "expr")


def test_fallback_keeps_lark_diagnostics() -> None:
    # the fast path fails here; the public result is lark's diagnostic
    result = parser_mod.parse_text("fn f() { let x = 1 }")
    assert result.module is None
    assert [d.code for d in result.diagnostics] == ["E0001"]
    assert "expected `;` after `let` statement" in result.diagnostics[0].message


def test_tables_round_trip_through_cache(tmp_path: Path) -> None:
    tables = from_lark(parser_mod._engine().lark)
    path = tmp_path / "tables.marshal"
    save(tables, path)
    assert load(path) == tables
    path.write_bytes(b"not marshal data")
    assert load(path) is None


# Places where a parser state's own lexer cuts differently from the bulk scan
# (`weftc.syntax.scan`), or where a keyword is only a keyword in some states.
DIVERGING = [
    "fn f() -> List<List<Int>> { let x: Map<Text, List<Int>> = m; x }",
    "fn f() { let v = extract_json<List<List<Byte>>>(&req, &cfg); v >> 2 }",
    "fn f() { let t = p.0.1; let u = (a, b).1; t >>= 1; }",
    "fn layer(stream: Int) -> Int { let impl = stream; let dyn = impl; dyn }",
    "fn f(x: impl Display + Send, y: &dyn Handler) { x.layer.stream(y) }",
    "type Id is Int{>= 0 && <= 1_000};\ntype P is (Int, Text);",
    "fn f() {\r\n    let s = \"\"\"raw\nline \"\" two\"\"\";\r\n    let c = 'c'; s\r\n}",
    "fn é() { let naïve = \"§ → µ\"; /* multi\nline */ naïve }",
    "fn f() { let s = f\"{a >> 1} and {List<Int>.new()} {{x}}\"; s }",
    "mount core.async.cancellation.{Token};\nfn f() { self.type_name }",
]


@pytest.mark.parametrize("text", DIVERGING)
def test_fast_path_matches_lark_where_lexers_diverge(text: str) -> None:
    slow = _outcome(parser_mod._engine().run_slow, text)
    fast = _outcome(_fast_only, text)
    assert slow[1] is None, slow[1]
    assert fast == slow


@pytest.mark.parametrize("text", ["fn f() { let x = $; }", "fn f() { let s = \"open; }",
                                  "fn f() { x >>> y }", "fn f() { 1 \x00 2 }", "/* open"])
def test_fast_path_rejects_what_lark_rejects(text: str) -> None:
    assert _outcome(parser_mod._engine().run_slow, text)[1] is not None
    assert _outcome(_fast_only, text)[1] is not None


_PIECES = ["{", "}", "(", ")", "<", ">", ">>", ">>=", "..", ".0", ".", "?", "|", "||", ",", ";",
           "=", "=>", "->", "&", "!", "fn", "let", "if", "else", "match", "impl", "dyn", "layer",
           "type", "is", "not", "mut", "0", "1.5", "x", "Int", '"s"', 'f"{a}"', "'c'", " ", "\n",
           "//c\n", "/*c*/", "$"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(_PIECES)), max_size=3))
def test_fast_path_matches_lark_on_random_programs(program: str, edits: list[tuple[int, str]]) -> None:
    text = program
    for at, piece in edits:
        at %= len(text) + 1
        text = text[:at] + piece + text[at:]
    slow = _outcome(parser_mod._engine().run_slow, text)
    fast = _outcome(_fast_only, text)
    if slow[1] is None:
        assert fast == slow
    else:
        assert fast[1] is not None, "fast path accepted what lark rejects"
