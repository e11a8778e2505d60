"""The `Lark` object saved at install time behaves as one built from the grammar.

hatch_build.py saves the parser's lark analysis with the package, and the
diagnostics path loads it instead of spending about 10 s building it on a
fresh machine. Every program of the syntax corpus, accepted or rejected, must
get the same result from the saved object as from a fresh build: the same
AST or the same diagnostics.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lark import Lark

from weftc.syntax import parser
from weftc.syntax.ast_json import to_json
from weftc.syntax.errors import ExampleTable

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted((ROOT / "tests" / "syntax" / "accept").glob("*.vr")) \
    + sorted((ROOT / "tests" / "syntax" / "reject").glob("*.vr"))


@pytest.fixture(scope="module")
def slow_engine() -> Iterator[parser._Engine]:
    """The shared engine with its fast path off, so every parse goes through lark."""
    engine = parser._engine()
    fast, lark, examples = engine.fast, engine._lark, engine.examples
    engine.fast = None
    try:
        yield engine
    finally:
        engine.fast, engine._lark, engine.examples = fast, lark, examples


def _results(engine: parser._Engine, lark: Lark) -> list[object]:
    engine._lark = lark
    # the message table is keyed by the Lark object's own state numbers
    engine.examples = ExampleTable(engine._parse_example)
    out: list[object] = []
    for path in CORPUS:
        text = path.read_bytes().decode("utf-8", errors="replace")
        result = parser.parse_text(text, path.name)
        out.append(to_json(result.module) if result.module is not None else
                   [(d.code, d.span.start, d.span.end, d.message) for d in result.diagnostics])
    return out


@pytest.mark.timeout(600)
def test_saved_lark_answers_like_a_fresh_one(slow_engine: parser._Engine) -> None:
    saved = slow_engine._shipped_lark()
    assert saved is not None, "no saved Lark: install with `make` or run `python hatch_build.py`"
    fresh = Lark(slow_engine.grammar, parser="lalr", lexer="contextual", start=["module", "expr"],
                 postlex=slow_engine.postlex, transformer=slow_engine.builder,
                 maybe_placeholders=True, propagate_positions=False)
    assert _results(slow_engine, saved) == _results(slow_engine, fresh)
