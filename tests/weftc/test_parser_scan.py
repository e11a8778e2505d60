"""The bulk scanner (`weftc.syntax.scan`) cuts text exactly as lark's root lexer does.

The fast path trusts a scanned token wherever the parser state's own lexer
knows its terminal, which is sound only if the scan reproduces lark's ordered
alternation: same boundaries, same terminal, ignored text skipped only where
lark would skip it. These tests compare against lark's own lexer and probe
the rules the scan pattern is built from.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.weftc.verum_corpus import CORPUS as VERUM
from weftc.syntax import parser as parser_mod
from weftc.syntax.scan import Classifier, build_scan, first_class, has_lookaround

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "tests" / "syntax" / "accept").glob("*.vr")) \
    + sorted((ROOT / "tests" / "syntax" / "reject").glob("*.vr")) \
    + sorted((ROOT / "examples").glob("*.vr")) + sorted(VERUM.glob("*.vr"))


def _root() -> Any:  # Any: lark's root BasicLexer
    return parser_mod._engine().lark.parser.lexer.lexer.root_lexer


def _lark_tokens(text: str) -> list[tuple[str, str, int]] | None:
    """(type, text, offset) of every token lark's root lexer yields, None if it stops."""
    from lark.exceptions import UnexpectedCharacters
    from lark.lexer import LexerState, TextSlice  # type: ignore[attr-defined]  # not re-exported
    try:
        return [(t.type, str(t.value), t.start_pos)
                for t in _root().lex(LexerState(TextSlice.cast_from(text)), None)]
    except UnexpectedCharacters:
        return None


def _scan_tokens(text: str) -> list[tuple[str, str, int]] | None:
    """The same list from the bulk scan plus `Classifier`, None on unmatched text."""
    fast = parser_mod._engine().fast
    assert fast is not None
    pairs = fast._scan(text)
    assert "".join(a + b for a, b in pairs) == text, "the pairs must cover the text"
    out = []
    pos = 0
    for ign, value in pairs:
        pos += len(ign)
        if not value:
            break
        tt = fast._classifier.cache.get(value) or fast._classifier.classify(text, pos, value)
        if tt is None:
            return None
        out.append((tt, value, pos))
        pos += len(value)
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_scan_matches_lark_root_lexer_on_corpus(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    lark = _lark_tokens(text)
    ours = _scan_tokens(text)
    if lark is not None:
        assert ours == lark
    else:
        assert ours is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    " ", "\n", "\r\n", "\t", "// c\n", "/* b */", "/*", "*/", "/", "//", "a", "fn", "layer", "_x",
    "é", "0", "1.5", "0x1F", "3_u8", "'", "'a'", "'a", "b'c'", 'b"x"', '"', '"s"', '"""', 'f"',
    'f"{a}"', 'route#"/x"', "json#", "#", ">>", ">>=", ">", "<", "<<", "..", "..=", ".", "?.",
    "??", "|>", "|", "||", "&", "&&", "=", "==", "=>", "->", "-", "!", "!=", "@", "$", "\\",
    "(", ")", "{", "}", "[", "]", ";", ",", ":", "\x00"]), max_size=30))
def test_scan_matches_lark_root_lexer_on_fragments(parts: list[str]) -> None:
    text = "".join(parts)
    lark = _lark_tokens(text)
    ours = _scan_tokens(text)
    if lark is not None:
        assert ours == lark
    else:
        assert ours is None


def test_first_class_and_lookaround() -> None:
    assert first_class(r"[^\W\d]\w*") == r"[^\W\d]"
    assert first_class(r"\/\/[^\n]*") == "/"
    assert first_class(r"a?b") is None          # `a` may be absent
    assert first_class(r"(?:0x|[0-9])") is None  # groups are not analysed
    assert not has_lookaround(r"[^\W\d]\w*")     # `^` inside a class is negation
    assert has_lookaround(r"'[^\W\d]\w*(?!')")
    assert has_lookaround(r"x$") and has_lookaround(r"\bx")


def _scan(terminals: list[tuple[str, str]], ignore: set[str], text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = re.findall(build_scan(terminals, frozenset(ignore)), text)
    return found


def test_ignored_text_is_a_token_where_an_earlier_terminal_matches() -> None:
    # lark's order puts SPACED (" x") before WS: " x" is a token, " y" is skipped
    terminals = [("SPACED", " x"), ("NAME", "[a-z]+"), ("WS", " +")]
    assert _scan(terminals, {"WS"}, " x y") == [("", " x"), (" ", "y"), ("", "")]


def test_unmatched_text_becomes_a_one_character_token() -> None:
    terminals = [("NAME", "[a-z]+"), ("WS", " +")]
    # the end shows as an empty token (twice when ignored text ends the input)
    assert _scan(terminals, {"WS"}, "a $b ") == [("", "a"), (" ", "$"), ("", "b"), (" ", ""), ("", "")]


def test_classifier_does_not_cache_text_a_lookahead_terminal_could_take() -> None:
    terminals = [("LIFE", "'[a-z]+(?!')"), ("CHAR", "'[a-z]'?"), ("NAME", "[a-z]+")]
    named = "|".join(f"(?P<{n}>{rx})" for n, rx in terminals)
    cls = Classifier(((named, 0),), terminals, {})
    assert cls.classify("'a'", 0, "'a'") == "CHAR"
    assert "'a'" not in cls.cache              # LIFE could start with `'`
    assert cls.classify("abc", 0, "abc") == "NAME"
    assert cls.cache["abc"] == "NAME"          # no look-ahead terminal starts with `a`
