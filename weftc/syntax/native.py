"""The C front end (`weftc.syntax._cfront`): its tables and classes, from the Python ones.

Why: parsing is one pass over ~170k tokens for a 20,000-line file; in Python
the regex scan alone costs most of the time budget, and each token and node
pays several interpreted calls. The C twin runs the same lark tables with a
hand-written root lexer, the post-lexer and the hot builder methods in C.

The Python fast path (`weftc.syntax.fastpath`) stays the specification. The C
code gives up (`Bail`) on anything it does not do exactly, and the caller then
runs the Python fast path from the start; rules without a C builder, or whose
children the C builder does not expect, call the Python `AstBuilder` method
with lark Tokens, as the Python loop does. `WEFT_NATIVE=off` (the runtime's
switch) keeps the Python path only.
"""

from __future__ import annotations

import importlib
import os
import re
import warnings
from array import array
from pathlib import Path
from types import ModuleType
from typing import Any

from lark import Token

from weftc import source as source_module
from weftc.syntax import ast as ast_module
from weftc.syntax import builder as builder_module
from weftc.syntax import literals, postlex
from weftc.syntax.postlex import ParseContext
from weftc.syntax.tables import ParserTables


def _load() -> ModuleType | None:
    """The compiled module, or None when it is missing or `WEFT_NATIVE=off`.

    (Not `weft.accel.native_module`: importing the runtime package would add
    a quarter of a second to every `weftc` start.)
    """
    if os.environ.get("WEFT_NATIVE") == "off":
        return None
    try:
        module = importlib.import_module("weftc.syntax._cfront")
    except ImportError:
        return None
    built = Path(module.__file__ or "")
    sources = built.with_name("cfront")
    try:
        stale = max(f.stat().st_mtime for f in sources.iterdir()) > built.stat().st_mtime
    except (OSError, ValueError):
        stale = False           # an installed wheel carries no sources
    if stale:
        warnings.warn(f"{built.name} is older than weftc/syntax/cfront/: rebuild it with "
                      "`python hatch_build.py` (or `make`)", RuntimeWarning, stacklevel=2)
    return module


_cfront: ModuleType | None = _load()
Bail: type[Exception] = _cfront.Bail if _cfront is not None else type("Bail", (Exception,), {})
_bound = False


class NativeUnavailable(Exception):
    """The tables use something the C front end does not know; the Python path serves."""


class NativeFront:
    """One compiled `Engine` for a `ParserTables` and an `AstBuilder`.

    Raises `NativeUnavailable` when the module is missing or switched off,
    and also (with a RuntimeWarning) when the C code no longer fits the
    Python side, e.g. an AST class gained a field the C builders do not
    fill. Parsing then stays correct, on the Python path, and the test that
    the C engine is in use fails.
    """

    def __init__(self, tables: ParserTables, builder: Any) -> None:  # Any: the AstBuilder
        if _cfront is None:
            raise NativeUnavailable("weftc.syntax._cfront is not built or is switched off")
        try:
            self._build(tables, builder)
        except (NativeUnavailable, TypeError, ValueError, KeyError) as exc:
            warnings.warn(f"weftc's C parser front end is not used: {exc}", RuntimeWarning,
                          stacklevel=2)
            raise NativeUnavailable(str(exc)) from exc

    def _build(self, tables: ParserTables, builder: Any) -> None:
        assert _cfront is not None
        _bind_once(tables.root[1])
        terminals: tuple[str, ...] = _cfront.TERMINALS
        ids: dict[str, int] = {name: i for i, name in enumerate(terminals)}
        symbols: set[str] = set()
        for row in tables.actions.values():
            symbols.update(row)
        symbols.update(rule[1] for rule in tables.rules)
        for sym in sorted(symbols):
            if sym not in ids:
                if sym.upper() == sym and not sym.startswith("_"):
                    raise NativeUnavailable(f"terminal {sym} is unknown to the C lexer")
                ids[sym] = len(ids)
        n_states = max(tables.actions) + 1
        n_symbols = len(ids)
        self._start = {name: s for name, s in tables.start.items()}
        self._end = dict(tables.end)
        self.engine = _cfront.Engine({
            "n_states": n_states, "n_symbols": n_symbols,
            "actions": tables.actions, "symbol_ids": ids,
            "rules": [_rule(shape, builder, ids) for shape in tables.rules],
            **_lexers(tables, ids, n_states),
            "type_names": tuple(sorted(ids, key=ids.__getitem__)),
            "root_match": _root_matcher(tables),
            "type_ids": {name: i for name, i in ids.items() if i < len(terminals)},
            "builder": builder,
            "regexes": {
                "struct_body": postlex._STRUCT_BODY.match,
                "body_start": postlex._BODY_START.match,
                "checked_ref": postlex._CHECKED_REF.match,
                "type_modifier": postlex._TYPE_MODIFIER.match,
                "static_mut": postlex._STATIC_MUT.match,
                "fstring_spec": literals._SPEC.fullmatch,
            },
        })

    def parse(self, ctx: ParseContext, start: str) -> Any:
        """The tree for `ctx.text` from rule `start`; raises `Bail` if the C code gives up."""
        return self.engine.parse(ctx, ctx.text, ctx.source.name, ctx.base, ctx.base_line,
                                 ctx.base_col, self._start[start], self._end[start])


def _bind_once(root_terminals: tuple[tuple[str, str], ...]) -> None:
    global _bound
    if _bound or _cfront is None:
        return
    terminals: tuple[str, ...] = _cfront.TERMINALS
    precedence: dict[int, tuple[int, bool, str]] = {}
    assign: list[int] = []
    for op, (prec, right) in builder_module._PRECEDENCE.items():
        tid = terminals.index(_terminal_of(op, root_terminals))
        precedence[tid] = (prec, right, op)
        if op in builder_module._ASSIGN_OPS:
            assign.append(tid)
    _cfront.bind({"token": Token, "ast": ast_module, "builder": builder_module,
                  "source": source_module, "precedence": precedence, "assign": assign,
                  "is_precedence": builder_module._IS_PRECEDENCE})
    _bound = True


def _terminal_of(op: str, root_terminals: tuple[tuple[str, str], ...]) -> str:
    """The grammar terminal spelled `op` (`"+="` -> `PLUSEQ`), first in lark's order."""
    for name, regex in root_terminals:
        if re.fullmatch(regex, op):
            return name
    raise NativeUnavailable(f"no terminal for operator {op!r}")


def _rule(shape: Any, builder: Any, ids: dict[str, int]) -> tuple[Any, ...]:
    """A rule as the C reductions take it; the same choices as `fastpath._make_reduce`.

    (size, origin, unit, filtered, expand1, trailing, include, C builder or -1,
    Python method, or None for a `_rule` whose children list is its value)
    """
    size, origin, include, trailing, filtered, expand1, name = shape
    natives: tuple[str, ...] = _cfront.NATIVE_BUILDERS if _cfront is not None else ()
    flat = tuple(x for i, splice, nn in include for x in (i, int(splice), nn))
    if expand1 and size == 1 and not filtered:
        return size, ids[origin], True, False, False, 0, (), -1, None
    method = getattr(builder, name, None)
    if method is None:
        if name.startswith("_"):
            return size, ids[origin], False, filtered, expand1, trailing, flat, -1, None
        default = builder.__default__

        def method(kids: list[Any], _name: str = name) -> Any:
            return default(_name, kids, None)
    native = natives.index(name) if name in natives else -1
    return size, ids[origin], False, filtered, expand1, trailing, flat, native, method


def _lexers(tables: ParserTables, ids: dict[str, int], n_states: int) -> dict[str, Any]:
    """Per state its lexer; per lexer the terminals it knows (for `FastParser._retype`)."""
    n_terms = len(_cfront.TERMINALS) if _cfront is not None else 0
    group = re.compile(r"\(\?P<(\w+)>")
    known: list[bytearray] = []
    for patterns, _ignore, keywords in tables.lexers:
        row = bytearray(n_terms)
        names = {g for p, _ in patterns for g in group.findall(p)}
        names |= {kw for words in keywords.values() for kw in words.values()}
        for name in names:
            if name in ids and ids[name] < n_terms:
                row[ids[name]] = 1
        known.append(row)
    known.append(bytearray(n_terms))          # for a state without a lexer: knows nothing
    state_lexer = array("i", [len(known) - 1]) * n_states
    for state, lid in tables.state_lexer.items():
        state_lexer[state] = lid
    root_keywords = tables.root[0][2]
    keyword_of = array("i", [-1]) * n_terms
    for raw, spelled in root_keywords.items():
        for kw in spelled.values():
            keyword_of[ids[kw]] = ids[raw]
    words = [(word, ids[kw]) for word, kw in root_keywords.get("IDENT", {}).items()]
    return {"n_lexers": len(known), "lexer_terms": b"".join(known),
            "state_lexer": state_lexer.tobytes(), "keyword_of": keyword_of.tobytes(),
            "keywords": words}


def _root_matcher(tables: ParserTables) -> Any:
    """lark's root lexer at one position: (type, end), keywords resolved, or None."""
    shape = tables.root[0]
    named = tuple(re.compile(p, f) for p, f in shape[0])
    keywords = shape[2]

    def match(text: str, pos: int) -> tuple[str, int] | None:
        for rx in named:
            m = rx.match(text, pos)
            if m is not None:
                raw = m.lastgroup or ""
                words = keywords.get(raw)
                return (words.get(m.group(), raw) if words is not None else raw), m.end()
        return None
    return match
