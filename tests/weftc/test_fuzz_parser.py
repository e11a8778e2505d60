"""Mutation fuzzing of the syntax stage and of the CLI's rendering path.

Valid programs (the accepted corpus and the examples) are damaged at random
(characters and tokens deleted, inserted, duplicated, swapped; text
truncated; raw bytes injected). Whatever comes out, the stage must return
diagnostics rather than raise, every failed parse must carry an error, every
diagnostic must point inside the file, and the human, JSON and SARIF
renderers must accept them. When a mutant still parses, it must survive the
formatter's round trip too.
"""

from __future__ import annotations

import json
from pathlib import Path

from ast_util import strip_spans
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weftc.diagnostics import render_human, render_json, render_sarif
from weftc.fmt import format_module
from weftc.pipeline import Compilation, load_bytes, run_stages
from weftc.source import SourceFile
from weftc.syntax.parser import parse
from weftc.treeview import render_tree

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [p.read_bytes() for p in sorted((ROOT / "tests" / "syntax" / "accept").glob("*.vr"))
         + sorted((ROOT / "examples").glob("*.vr"))]
TOKENS = [b"{", b"}", b"(", b")", b"[", b"]", b"<", b">", b">>", b'"', b'"""', b'f"', b"'",
          b"/*", b"*/", b"//", b"=>", b"->", b";", b",", b".", b"..", b"..=", b"?", b"|", b"||",
          b"&&", b"@", b"#", b'route#"', b"json#", b"fn", b"let", b"match", b"if", b"else",
          b"type", b"is", b"where", b"using", b"provide", b"implement", b"protocol", b"0x",
          b"1e", b"1.", b"0b2", b"\n", b"\\", b"{{", b"}}", b"\x00", b"\xe2\x82\xac", b"$",
          b"select", b"yield", b"it", b"self", b"_", b"=", b"!", b"\r\n", b"\t"]


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "token", "duplicate", "swap",
                                     "truncate", "bytes"]))
        n = len(data)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        if kind == "delete":
            del data[i:j]
        elif kind == "insert":
            data[i:i] = draw(st.text(max_size=5)).encode()
        elif kind == "token":
            data[i:i] = draw(st.sampled_from(TOKENS))
        elif kind == "duplicate":
            data[i:i] = data[i:j]
        elif kind == "swap":
            k = draw(st.integers(0, n))
            a, b = sorted((i, k))
            data[a:b] = data[a:b][::-1] if draw(st.booleans()) else data[b:b + (b - a)]
        elif kind == "truncate":
            del data[i:]
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


def check_rendering(comp: Compilation) -> None:
    diags = comp.diagnostics
    lines = comp.source.text.count("\n") + 1
    for d in diags:
        assert d.code[0] in "EW" and len(d.code) == 5, d.code
        assert 1 <= d.span.line <= lines and 1 <= d.span.end_line <= lines, d
        assert d.span.column >= 1 and d.span.end_column >= 1, d
        assert (d.span.line, d.span.column) <= (d.span.end_line, d.span.end_column), d
        assert d.message
    human = render_human(diags, comp.sources)
    assert all(d.code in human for d in diags)
    doc = json.loads(render_json(comp.source.name, diags))
    assert doc["ok"] is comp.ok and len(doc["diagnostics"]) == len(diags)
    sarif = json.loads(render_sarif(diags, "0"))
    assert len(sarif["runs"][0]["results"]) == len(diags)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutants())
def test_mutated_programs_give_diagnostics(raw: bytes) -> None:
    comp = run_stages(load_bytes("fuzz.vr", raw))
    if comp.module is None:
        assert not comp.ok, "a failed parse must report an error"
    check_rendering(comp)
    if comp.ok and comp.module is not None:
        render_tree(comp.module)
        out = format_module(comp.module, comp.source)
        again = parse(SourceFile.from_text("fuzz.vr", out))
        assert again.module is not None and not [d for d in again.diagnostics if d.is_error], out
        assert strip_spans(again.module) == strip_spans(comp.module), out


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes(raw: bytes) -> None:
    comp = run_stages(load_bytes("noise.vr", raw))
    if comp.module is None:
        assert not comp.ok
    check_rendering(comp)
