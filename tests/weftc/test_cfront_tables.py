"""What the C front end copies from the Python parser stays equal to it.

`weftc/syntax/cfront/` keeps a few lists of its own (the post-lexer's
special and reserved words, the terminal names it can lex); everything else
(tables, keyword map, operator precedence, node fields) is read from the
Python side when the engine is built, and checked there. These tests fail
when one side changes without the other. (That the engine is built and used,
and that each C builder names a builder method: test_parser_native.py.)
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest

from weftc.syntax import native, postlex
from weftc.syntax.parser import _engine

pytestmark = pytest.mark.skipif(os.environ.get("WEFT_NATIVE") == "off",
                                reason="the C front end is switched off in this run")


def _cfront() -> Any:
    assert native._cfront is not None, "weftc.syntax._cfront is not built (run `make` or hatch_build.py)"
    return native._cfront


def test_word_lists_equal_the_python_post_lexer() -> None:
    lists = _cfront().word_lists()
    terminals = _cfront().TERMINALS
    assert sorted(lists["block"]) == sorted(postlex._BLOCK_WORDS)
    assert sorted(lists["prefix"]) == sorted(postlex._PREFIX_WORDS)
    assert sorted(lists["item"]) == sorted(postlex._ITEM_WORDS)
    assert sorted(terminals[i] for i in lists["reserved"]) == sorted(postlex.RESERVED.values())


def test_every_reserved_word_is_a_keyword_of_the_root_lexer() -> None:
    # the C post-lexer re-types only tokens the lexer found to be keywords
    fast = _engine().fast
    assert fast is not None
    assert set(postlex.RESERVED) <= set(fast._tables.root[0][2]["IDENT"])


def test_every_grammar_terminal_is_known_to_the_c_lexer() -> None:
    fast = _engine().fast
    assert fast is not None
    tables = fast._tables
    names = {name for name, _ in tables.root[1]}
    names |= {kw for words in tables.root[0][2].values() for kw in words.values()}
    assert names <= set(_cfront().TERMINALS)


@pytest.mark.parametrize("spec", [
    {},
    {"n_states": 0, "n_symbols": 1, "n_lexers": 1},
    {"n_states": 2, "n_symbols": 500, "n_lexers": 1, "actions": {0: {"X": 5}}, "symbol_ids": {}},
], ids=["empty", "no-states", "unknown-symbol"])
def test_a_malformed_engine_spec_is_refused(spec: dict[str, object]) -> None:
    with pytest.raises((KeyError, ValueError)):
        _cfront().Engine(spec)


def test_an_unbuilt_engine_refuses_to_parse() -> None:
    engine = _cfront().Engine.__new__(_cfront().Engine)
    with pytest.raises(ValueError):
        engine.parse(None, "", "f", 0, 1, 1, 0, 0)


def test_tables_the_c_code_does_not_know_fall_back_with_a_warning() -> None:
    fast = _engine().fast
    assert fast is not None
    tables = fast._tables
    actions = dict(tables.actions)
    actions[0] = {**actions[0], "NEW_TERMINAL": 1}
    changed = dataclasses.replace(tables, actions=actions)
    with pytest.warns(RuntimeWarning, match="NEW_TERMINAL"), pytest.raises(native.NativeUnavailable):
        native.NativeFront(changed, _engine().builder)
