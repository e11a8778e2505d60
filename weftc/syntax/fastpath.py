"""The fused fast path: lark's contextual lexer, our post-lexer and lark's LALR tables in one loop.

Why: `Lark.parse` stacks three generators per token (lexer, post-lexer,
parser), counts lines character by character, and wraps every reduction in two
or three Python callables (child filter, single-child expansion, transformer
dispatch), one of them hashing a `Rule` object. Most reductions in Verum are
unit chains (`expr -> operand -> postfix -> primary`) that do nothing at all.

How it works: the grammar is still compiled by lark (LALR(1) tables, the
contextual lexer's per-state scanners and keyword maps, the tree-shaping rules
of lark's parse-tree builder). This module only runs them: the text is cut
into tokens up front by one C-level scan with lark's root terminal order
(`weftc.syntax.scan`); a scanned token is used as is when the parser state's
own lexer knows its terminal (it would match the same), and only where it does
not is the text re-lexed with that state's scanner, exactly as lark's
contextual lexer does. Each token goes through `PostLexState.feed` (the same
post-lexer lark uses), then the table. Each rule gets one generated reducer that does
lark's child filtering (`_rule` splicing, `[x]` placeholders, filtered
anonymous tokens, `?rule` single-child expansion) and calls the `AstBuilder`
method; pure unit reductions only replace the state.

A C twin of this loop (`weftc.syntax.native`, docs/parser.md) runs first
when it is built; it gives up (`Bail`) on anything it does not handle
exactly, and this loop, its specification, then parses from the start.

The fast path never reports errors. Any failure (no token matches, no table
action, post-lexer stop, builder error) raises, and the caller re-runs the
text through `Lark.parse`, whose exceptions the diagnostics are built from.
So diagnostics come from one place, and a valid program yields the same AST
either way (tests compare the two paths).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from lark import Token

from weftc.syntax.native import Bail, NativeFront, NativeUnavailable
from weftc.syntax.postlex import ACTIVE_TYPES, SPECIAL_WORDS, ParseContext, PostLexState
from weftc.syntax.scan import Classifier
from weftc.syntax.tables import ParserTables, RuleShape

# A table action: a state number (shift/goto) or a reduction (size, goto symbol, reducer).
# The reducer is None for a unit rule whose value passes through unchanged.
_Reducer = Callable[[list[Any]], Any]
_Reduce = tuple[int, str, _Reducer | None]
# (alternation regexes, ignored types, keyword maps, every terminal the lexer knows)
_LexInfo = tuple[tuple[Any, ...], frozenset[str], dict[str, dict[str, str]], frozenset[str]]

_new_str = str.__new__


class _Bail(Exception):
    """The fast path cannot continue; the caller re-parses with `Lark.parse`."""


class FastParser:
    """Runs lark's LALR tables and contextual lexer (as `ParserTables`) with the builder's callbacks.

    Tables are turned into runnable form lazily, one parser state (and one
    rule, one lexer) at first use, so start-up pays only for what is reached.
    """

    def __init__(self, tables: ParserTables, builder: Any,  # Any: the AstBuilder
                 native: bool = True) -> None:
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
        shape, terminals, scan, flags = tables.root
        self._scan = re.compile(scan, flags).findall
        self._classifier = Classifier(shape[0], list(terminals), shape[2])
        # keyword type -> the terminal whose text it is (`FN` -> `IDENT`)
        self._keyword_of = {kw: raw for raw, words in shape[2].items() for kw in words.values()}
        self._native: NativeFront | None = None
        if native:
            try:
                self._native = NativeFront(tables, builder)
            except NativeUnavailable:
                pass
        #: parses the C front end gave up on (the Python loop then ran them)
        self.native_bails = 0

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
            regexes = tuple(re.compile(p, f) for p, f in patterns)
            terms = frozenset(name for rx in regexes for name in rx.groupindex) \
                | frozenset(kw for words in keywords.values() for kw in words.values())
            info = self._lexers[lid] = (regexes, frozenset(ignore), keywords, terms)
        self._lexinfo[state] = info
        return info

    # ------------------------------------------------------------ the loop

    def parse(self, ctx: ParseContext, start: str) -> Any:
        """Parse `ctx.text` from rule `start`; raises on anything but a clean parse."""
        if self._native is not None:
            try:
                return self._native.parse(ctx, start)
            except Bail:
                self.native_bails += 1
                ctx.clear_notes()   # what Python builder methods noted before the C code gave up
        text = ctx.text
        actions = self._actions
        known = self._classifier.cache.get
        classify = self._classifier.classify
        post = PostLexState(ctx)
        feed = post.feed
        active = ACTIVE_TYPES
        special = SPECIAL_WORDS
        end_state = self._end[start]
        states = [self._start[start]]
        values: list[Any] = []
        pos = 0
        line = 1
        nl = -1                 # offset of the last newline before `pos` (column = offset - nl)
        pairs = iter(self._scan(text))
        for ign, value in pairs:
            if ign:
                pos += len(ign)
                if "\n" in ign:
                    line += ign.count("\n")
                    nl = pos - len(ign) + ign.rfind("\n")
            if not value:
                break
            begin = pos
            pos += len(value)
            tt = known(value) or classify(text, begin, value)
            acts = actions[states[-1]] or self._state_actions(states[-1])
            if tt not in acts:
                tt = self._retype(states[-1], tt)
                if tt is None:      # the state's own lexer cuts differently here
                    pos, line, nl = self._diverge(pairs, text, begin, pos, line, nl, states, values, post)
                    continue
            tok = _new_str(Token, value)
            tok.type = tt
            tok.value = value
            tok.start_pos = begin
            tok.end_pos = pos
            tok.line = line
            tok.column = begin - nl
            if "\n" in value:
                line += value.count("\n")
                nl = begin + value.rfind("\n")
            tok.end_line = line
            tok.end_column = pos - nl
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
            act = acts.get(tt)
            while act.__class__ is not int:
                if act is None:
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
                    values.append(kids if reducer is _splice else reducer(kids))
                state = actions[states[-1]][origin]  # type: ignore[index]  # reached states are converted
                states.append(state)
                acts = actions[state] or self._state_actions(state)
                act = acts.get(tt)
            states.append(act)
            values.append(tok)
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
                values.append(kids if reducer is _splice else reducer(kids))
            states.append(actions[states[-1]][origin])  # type: ignore[index]  # reached states are converted
            if states[-1] == end_state:
                return values[-1]

    # ------------------------------------------------------------ the rare paths

    def _retype(self, state: int, tt: str | None) -> str | None:
        """The state's lexer type for a scanned token its actions lack, or None to re-lex.

        A scanned terminal the state's lexer also has is what that lexer
        matches (lark orders every lexer alike); a keyword the state does not
        know stays the identifier it is spelled as.
        """
        if tt is None:
            raise _Bail             # no terminal matches here
        terms = (self._lexinfo[state] or self._state_lexer(state))[3]
        if tt in terms:
            return tt
        raw = self._keyword_of.get(tt)
        return raw if raw is not None and raw in terms else None

    def _diverge(self, pairs: Iterator[tuple[str, str]], text: str, q: int, b: int, line: int,
                 nl: int, states: list[int], values: list[Any],
                 post: PostLexState) -> tuple[int, int, int]:
        """Lex from `q` with each state's own lexer until a token ends where a scanned one does.

        `b` is the end of the scanned token that could not be used; returns
        the new (position, line, last newline offset) for the scan loop.
        """
        n = len(text)
        while True:
            for ign, value in pairs if b < q else ():
                b += len(ign) + len(value)
                if b >= q:
                    break
            if q == b:
                return q, line, nl
            regexes, ignore, keywords, _ = self._lexinfo[states[-1]] or self._state_lexer(states[-1])
            m = None
            while q < n:
                for rx in regexes:
                    m = rx.match(text, q)
                    if m is not None:
                        break
                else:
                    raise _Bail
                if m.lastgroup not in ignore:
                    break
                value = m.group()
                if "\n" in value:
                    line += value.count("\n")
                    nl = q + value.rfind("\n")
                q = m.end()
                m = None
            if m is None:
                continue
            value = m.group()
            tt = m.lastgroup or ""
            words = keywords.get(tt)
            tok = _new_str(Token, value)
            tok.type = words.get(value, tt) if words is not None else tt
            tok.value = value
            tok.start_pos = q
            tok.end_pos = m.end()
            tok.line = line
            tok.column = q - nl
            if "\n" in value:
                line += value.count("\n")
                nl = q + value.rfind("\n")
            tok.end_line = line
            tok.end_column = m.end() - nl
            q = m.end()
            if tok.type in ACTIVE_TYPES or (tok.type == "IDENT" and value in SPECIAL_WORDS):
                out = post.feed(tok)
                self._shift_all(states, values, out if isinstance(out, tuple) else (out,))
            else:
                post.prev2 = post.prev
                post.prev = tok
                self._shift_all(states, values, (tok,))

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
                    values.append(kids if reducer is _splice else reducer(kids))
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
    if method is _splice and not filtered and not expand1:
        return size, origin, _splice    # the loop keeps the children list without a call
    return size, origin, _compile(include, trailing, filtered, expand1, method, name)


def _splice(kids: list[Any]) -> list[Any]:
    return kids


def _compile(include: tuple[tuple[int, bool, int], ...], trailing: int, filtered: bool,
             expand1: bool, method: Callable[[list[Any]], Any], name: str) -> _Reducer:
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
    lines.append("    return c" if method is _splice else "    return method(c)")
    scope: dict[str, Any] = {"method": method}
    exec(compile("\n".join(lines), f"<reducer {name}>", "exec"), scope)  # built from the rule's shape only
    reducer: _Reducer = scope["reduce"]
    return reducer
