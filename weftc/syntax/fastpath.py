"""The fused fast path: lark's contextual lexer, our post-lexer and lark's LALR tables in one loop.

Why: `Lark.parse` stacks three generators per token (lexer, post-lexer,
parser), counts lines character by character, and wraps every reduction in two
or three Python callables (child filter, single-child expansion, transformer
dispatch), one of them hashing a `Rule` object. Most reductions in Verum are
unit chains (`expr -> operand -> postfix -> primary`) that do nothing at all.

How it works: the grammar is still compiled by lark (LALR(1) tables, the
contextual lexer's per-state scanners and keyword maps, the tree-shaping rules
of lark's parse-tree builder). This module only runs them: per parser state it
lexes with that state's own scanner (exactly what lark's contextual lexer
does), feeds the token through `PostLexState.feed` (the same post-lexer lark
uses), and applies the table. Each rule gets one generated reducer that does
lark's child filtering (`_rule` splicing, `[x]` placeholders, filtered
anonymous tokens, `?rule` single-child expansion) and calls the `AstBuilder`
method; pure unit reductions only replace the state.

The fast path never reports errors. Any failure (no token matches, no table
action, post-lexer stop, builder error) raises, and the caller re-runs the
text through `Lark.parse`, whose exceptions the diagnostics are built from.
So diagnostics come from one place, and a valid program yields the same AST
either way (tests compare the two paths).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lark import Token

from weftc.syntax.postlex import ACTIVE_TYPES, SPECIAL_WORDS, ParseContext, PostLexState
from weftc.syntax.tables import ParserTables, RuleShape

# A table action: a state number (shift/goto) or a reduction (size, goto symbol, reducer).
# The reducer is None for a unit rule whose value passes through unchanged.
_Reducer = Callable[[list[Any]], Any]
_Reduce = tuple[int, str, _Reducer | None]
_LexInfo = tuple[tuple[Any, ...], frozenset[str], dict[str, dict[str, str]]]

_new_str = str.__new__


class _Bail(Exception):
    """The fast path cannot continue; the caller re-parses with `Lark.parse`."""


class FastParser:
    """Runs lark's LALR tables and contextual lexer (as `ParserTables`) with the builder's callbacks.

    Tables are turned into runnable form lazily, one parser state (and one
    rule, one lexer) at first use, so start-up pays only for what is reached.
    """

    def __init__(self, tables: ParserTables, builder: Any) -> None:  # Any: the AstBuilder
        self._tables = tables
        self._start = tables.start
        self._end = tables.end
        self._builder = builder
        # indexed by state number; None until the state is first reached
        size = max(tables.actions) + 1
        self._actions: list[dict[str, Any] | None] = [None] * size
        self._lexinfo: list[_LexInfo | None] = [None] * size
        self._lexers: dict[int, _LexInfo] = {}
        self._reducers: dict[int, _Reduce] = {}

    # ------------------------------------------------------------ lazy conversion

    def _state_actions(self, state: int) -> dict[str, Any]:
        acts: dict[str, Any] = {}   # values: int (shift/goto) or _Reduce
        reducers = self._reducers
        for sym, a in self._tables.actions[state].items():
            if a >= 0:
                acts[sym] = a
            else:
                found = reducers.get(a)
                if found is None:
                    found = reducers[a] = _make_reduce(self._tables.rules[~a], self._builder)
                acts[sym] = found
        self._actions[state] = acts
        return acts

    def _state_lexer(self, state: int) -> _LexInfo:
        lid = self._tables.state_lexer[state]
        info = self._lexers.get(lid)
        if info is None:
            patterns, ignore, keywords = self._tables.lexers[lid]
            info = self._lexers[lid] = (tuple(re.compile(p, f) for p, f in patterns),
                                        frozenset(ignore), keywords)
        self._lexinfo[state] = info
        return info

    # ------------------------------------------------------------ the loop

    def parse(self, ctx: ParseContext, start: str) -> Any:
        """Parse `ctx.text` from rule `start`; raises on anything but a clean parse."""
        text = ctx.text
        n = len(text)
        actions = self._actions
        lexinfo = self._lexinfo
        post = PostLexState(ctx)
        feed = post.feed
        active = ACTIVE_TYPES
        special = SPECIAL_WORDS
        end_state = self._end[start]
        states = [self._start[start]]
        values: list[Any] = []
        pos = 0
        line = 1
        line_start = 0
        while pos < n:
            state = states[-1]
            info = lexinfo[state] or self._state_lexer(state)
            for mre in info[0]:
                m = mre.match(text, pos)
                if m is not None:
                    break
            else:
                raise _Bail
            value = m.group()
            tt = m.lastgroup
            end = m.end()
            if tt in info[1]:               # whitespace, comments
                if "\n" in value:
                    line += value.count("\n")
                    line_start = pos + value.rfind("\n") + 1
                pos = end
                continue
            keywords = info[2].get(tt)
            if keywords is not None:
                tt = keywords.get(value, tt)
            tok = _new_str(Token, value)
            tok.type = tt
            tok.value = value
            tok.start_pos = pos
            tok.end_pos = end
            tok.line = line
            tok.column = pos - line_start + 1
            if "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rfind("\n") + 1
            tok.end_line = line
            tok.end_column = end - line_start + 1
            pos = end
            if tt in active or (tt == "IDENT" and value in special):
                out = feed(tok)
                if isinstance(out, tuple):
                    self._shift_all(states, values, out)
                    continue
                tok = out
                tt = tok.type
            else:
                post.prev2 = post.prev
                post.prev = tok
            while True:
                acts = actions[states[-1]] or self._state_actions(states[-1])
                act = acts.get(tt)
                if act is None:
                    raise _Bail
                if act.__class__ is int:
                    states.append(act)
                    values.append(tok)
                    break
                size, origin, reducer = act
                if reducer is None:
                    del states[-1]
                    states.append(actions[states[-1]][origin])  # type: ignore[index]  # reached states are converted
                    continue
                if size:
                    kids = values[-size:]
                    del values[-size:]
                    del states[-size:]
                else:
                    kids = []
                values.append(reducer(kids))
                states.append(actions[states[-1]][origin])  # type: ignore[index]  # reached states are converted
        # end of input: reduce until the start rule is accepted
        while True:
            acts = actions[states[-1]] or self._state_actions(states[-1])
            act = acts.get("$END")
            if act is None or act.__class__ is int:
                raise _Bail
            size, origin, reducer = act
            if reducer is None:
                del states[-1]
            else:
                if size:
                    kids = values[-size:]
                    del values[-size:]
                    del states[-size:]
                else:
                    kids = []
                values.append(reducer(kids))
            states.append(actions[states[-1]][origin])  # type: ignore[index]  # reached states are converted
            if states[-1] == end_state:
                return values[-1]

    def _shift_all(self, states: list[int], values: list[Any], toks: tuple[Token, ...]) -> None:
        """Feed tokens one by one (the rare case of a post-lexer split)."""
        actions = self._actions
        for tok in toks:
            tt = tok.type
            while True:
                acts = actions[states[-1]] or self._state_actions(states[-1])
                act = acts.get(tt)
                if act is None:
                    raise _Bail
                if act.__class__ is int:
                    states.append(act)
                    values.append(tok)
                    break
                size, origin, reducer = act
                if reducer is None:
                    del states[-1]
                else:
                    kids = values[-size:] if size else []
                    if size:
                        del values[-size:]
                        del states[-size:]
                    values.append(reducer(kids))
                states.append(actions[states[-1]][origin])  # type: ignore[index]  # reached states are converted


def _make_reduce(shape: RuleShape, builder: Any) -> _Reduce:
    """One rule's reduction, shaped as lark's parse-tree builder (LALR, placeholders on) shapes it."""
    size, origin, include, trailing, filtered, expand1, name = shape
    if expand1 and size == 1 and not filtered:
        return size, origin, None          # unit rule: the child is the value
    method = getattr(builder, name, None)
    if method is None:
        if name.startswith("_"):
            method = _splice            # spliced into the parent: keep the children list
        else:
            default = builder.__default__

            def method(kids: list[Any], _name: str = name) -> Any:
                return default(_name, kids, None)
    return size, origin, _compile(include, trailing, filtered, expand1, method)


def _splice(kids: list[Any]) -> list[Any]:
    return kids


def _compile(include: tuple[tuple[int, bool, int], ...], trailing: int, filtered: bool,
             expand1: bool, method: Callable[[list[Any]], Any]) -> _Reducer:
    """Generate the reducer's code: a list display of the kept children, then the call."""
    lines = ["def reduce(s):"]
    if not filtered:
        lines.append("    c = s")
    else:
        parts: list[str] = []
        first_alias = bool(include) and include[0][1] and include[0][2] == 0
        for k, (i, splice, nn) in enumerate(include):
            parts.extend(["None"] * nn)
            if k == 0 and first_alias:
                continue
            parts.append(f"*s[{i}]" if splice else f"s[{i}]")
        parts.extend(["None"] * trailing)
        if first_alias:
            # lark extends the left child's list in place (linear left recursion)
            lines.append(f"    c = s[{include[0][0]}]")
            if parts:
                lines.append(f"    c += [{', '.join(parts)}]")
        else:
            lines.append(f"    c = [{', '.join(parts)}]")
    if expand1:
        lines.append("    if len(c) == 1:\n        return c[0]")
    lines.append("    return method(c)")
    scope: dict[str, Any] = {"method": method}
    exec("\n".join(lines), scope)  # code built above from the rule's shape only
    reducer: _Reducer = scope["reduce"]
    return reducer
