"""The formatter: canonical output that parses back to the same tree.

Property: for every accepted corpus file, every example and random programs,
`parse(fmt(parse(x)))` equals `parse(x)` up to spans, and `fmt` is idempotent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ast_util import first_difference, strip_spans
from corpus_gaps import cases
from hypothesis import HealthCheck, given, settings
from program_gen import programs

from weftc.fmt import format_module
from weftc.source import SourceFile
from weftc.syntax import ast
from weftc.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "tests" / "syntax" / "accept").glob("*.vr")) + sorted(
    (ROOT / "examples").glob("*.vr"))


def parse_ok(text: str, name: str = "t.vr") -> tuple[ast.Module, SourceFile]:
    src = SourceFile.from_text(name, text)
    result = parse(src)
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors and result.module is not None, "\n".join(
        f"{d.code} {d.span.line}:{d.span.column} {d.message}" for d in errors) + "\n" + text
    return result.module, src


def assert_round_trip(text: str, name: str = "t.vr") -> str:
    module, src = parse_ok(text, name)
    out = format_module(module, src)
    again, src2 = parse_ok(out, name)
    diff = first_difference(strip_spans(module), strip_spans(again))
    assert diff is None, f"tree changed by formatting at {diff}\n--- formatted:\n{out}"
    assert format_module(again, src2) == out, "formatting is not idempotent"
    assert format_module(module) == format_module(again), "comment-free output differs"
    return out


@pytest.mark.parametrize("path", cases(FILES))
def test_round_trip_file(path: Path) -> None:
    assert_round_trip(path.read_text(encoding="utf-8"), path.name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_round_trip_generated(text: str) -> None:
    assert_round_trip(text)


def fmt(text: str) -> str:
    module, src = parse_ok(text)
    return format_module(module, src)


def test_canonical_layout() -> None:
    ugly = ("mount core.net.weft.{Router,Method};\nmount core.time.*;\n"
            "const A:Int=1;const B : Int = 2;\n"
            "type P is {x:Int,y:Int};\n"
            "fn   f( a:Int,b : Int )->Int {let c=a+b;c}\n")
    assert fmt(ugly) == (
        "mount core.net.weft.{Router, Method};\nmount core.time.*;\n\n"
        "const A: Int = 1;\nconst B: Int = 2;\n\n"
        "type P is {\n    x: Int,\n    y: Int,\n};\n\n"
        "fn f(a: Int, b: Int) -> Int {\n    let c = a + b;\n    c\n}\n")


def test_long_lists_break_with_trailing_commas() -> None:
    args = ", ".join(f"argument_number_{k}" for k in range(8))
    out = fmt(f"fn f() {{\n    g({args});\n}}\n")
    assert "    g(\n        argument_number_0,\n" in out
    assert "        argument_number_7,\n    );\n" in out


def test_long_method_chain_breaks_per_call() -> None:
    out = fmt('fn main() {\n    let app = Router.new().route("/", Method.Get, hello)'
              '.route("/hello/:name", Method.Get, echo_name).layer(TracingLayer.new());\n}\n')
    assert ("    let app = Router.new()\n"
            '        .route("/", Method.Get, hello)\n'
            '        .route("/hello/:name", Method.Get, echo_name)\n'
            "        .layer(TracingLayer.new());\n") in out


def test_comments_between_items_and_statements_are_kept() -> None:
    text = ("// @test: parse-pass\n// header\n\n/* block */\nfn f() {\n"
            "    // before let\n    let a = 1; // trailing\n\n    a\n}\n"
            "fn g() -> Response { /* ... */ }\n")
    out = fmt(text)
    assert out.startswith("// @test: parse-pass\n// header\n\n/* block */\nfn f() {\n")
    assert "    // before let\n    let a = 1; // trailing\n\n    a\n" in out
    assert "fn g() -> Response {\n    /* ... */\n}\n" in out


def test_adjacent_prefix_operators_stay_apart() -> None:
    out = fmt("fn f(x: Int) {\n    let a = & &x;\n    let b = * *x;\n    let c = - -x;\n}\n")
    assert "& &x" in out and "* *x" in out and "- -x" in out


def test_empty_module() -> None:
    assert fmt("") == ""
    assert fmt("// only a comment\n") == "// only a comment\n"
