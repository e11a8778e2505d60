"""lark's compiled Verum parser as plain data, cached on disk for a fast start.

Why: loading lark's own cache rebuilds 2,000 state dicts and a `Rule` object
per table entry, and sets up a lexer per state with every regex compiled —
most of a second here. `ParserTables` keeps only what the fast path
(`weftc.syntax.fastpath`) runs: the LALR actions with rules as numbers, each
rule's tree-shaping recipe, and each state's lexer (the contextual lexer's
alternation patterns, ignored types, keyword map). It is extracted from a real
`Lark` instance, written with `marshal` and keyed by a hash of the grammar,
lark's version and this format, so a stale file is never read.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weftc.cache_prune import keep_newest
from weftc.syntax.scan import SCAN_VERSION, build_scan

FORMAT = 2
#: table files kept in the user cache (one per grammar version)
KEEP = 4

# (index, splice `_rule` children, Nones before) per kept child
Include = tuple[tuple[int, bool, int], ...]
# (size, origin, include, trailing Nones, needs filtering, expand single child, callback name)
RuleShape = tuple[int, str, Include, int, bool, bool, str]
# (alternation patterns with flags, ignored types, {regex type: {keyword text: keyword type}})
LexerShape = tuple[tuple[tuple[str, int], ...], tuple[str, ...], dict[str, dict[str, str]]]
# The root lexer (every terminal): its shape, its terminals in lark's order, and the
# bulk-scan pattern with its flags (see `weftc.syntax.scan`).
RootShape = tuple[LexerShape, tuple[tuple[str, str], ...], str, int]


class TablesUnavailable(Exception):
    """lark's internals do not have the shape read here; the caller uses `Lark.parse` only."""


@dataclass(frozen=True, slots=True)
class ParserTables:
    """Actions per state (`>= 0`: shift/goto target, `< 0`: reduce rule `~a`), rules, lexers."""

    start: dict[str, int]
    end: dict[str, int]
    actions: dict[int, dict[str, int]]
    rules: tuple[RuleShape, ...]
    state_lexer: dict[int, int]
    lexers: tuple[LexerShape, ...]
    root: RootShape


def cache_key(grammar: str) -> str:
    import lark
    text = f"{FORMAT}.{SCAN_VERSION}\0{lark.__version__}\0{sys.version_info[:2]}\0{grammar}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load(path: Path) -> ParserTables | None:
    try:
        data = marshal.loads(path.read_bytes())
        return ParserTables(*data)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def save(tables: ParserTables, path: Path) -> None:
    """Write atomically; a failure only costs the next start-up time."""
    try:
        data = marshal.dumps((tables.start, tables.end, tables.actions, tables.rules,
                              tables.state_lexer, tables.lexers, tables.root))
    except ValueError:  # not plain data: skip the cache rather than fail the parse
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tables-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        return
    keep_newest(path.parent, "verum-tables-*.marshal", KEEP)


def from_lark(parser: Any) -> ParserTables:  # Any: a lark.Lark built with parser="lalr", lexer="contextual"
    """Extract the tables from a built lark LALR parser with a contextual lexer."""
    from lark.lexer import UnlessCallback
    from lark.parsers.lalr_analysis import Shift
    try:
        frontend = parser.parser
        table = frontend.parser.parser.parse_table
        contextual = frontend.lexer.lexer
        state_lexers = contextual.lexers
        maybe_placeholders = parser.options.maybe_placeholders
    except AttributeError as exc:
        raise TablesUnavailable(f"unexpected lark layout: {exc}") from None
    rule_ids: dict[Any, int] = {}
    rules: list[RuleShape] = []
    actions: dict[int, dict[str, int]] = {}
    for state, row in table.states.items():
        out: dict[str, int] = {}
        for sym, (action, arg) in row.items():
            if action is Shift:
                out[sym] = arg
                continue
            rid = rule_ids.get(arg)
            if rid is None:
                rid = rule_ids[arg] = len(rules)
                rules.append(_rule_shape(arg, maybe_placeholders))
            out[sym] = ~rid
        actions[state] = out
    lexer_ids: dict[int, int] = {}
    lexers: list[LexerShape] = []
    state_lexer: dict[int, int] = {}
    for state, basic in state_lexers.items():
        lid = lexer_ids.get(id(basic))
        if lid is None:
            lid = lexer_ids[id(basic)] = len(lexers)
            lexers.append(_lexer_shape(basic, UnlessCallback))
        state_lexer[state] = lid
    return ParserTables(dict(table.start_states), dict(table.end_states), actions, tuple(rules),
                        state_lexer, tuple(lexers), _root_shape(contextual, UnlessCallback))


def _rule_shape(rule: Any, maybe_placeholders: bool) -> RuleShape:
    """The child filter lark's parse-tree builder applies to `rule` (LALR), as data."""
    expansion = rule.expansion
    size = len(expansion)
    empty = rule.options.empty_indices if maybe_placeholders else None
    if empty:
        nones = [len(run) for run in "".join(str(int(b)) for b in empty).split("0")]
    else:
        nones = [0] * (size + 1)
    include: list[tuple[int, bool, int]] = []
    pending = 0
    for i, sym in enumerate(expansion):
        pending += nones[i]
        if rule.options.keep_all_tokens or not (sym.is_term and sym.filter_out):
            include.append((i, not sym.is_term and sym.name.startswith("_"), pending))
            pending = 0
    pending += nones[size]
    filtered = bool(empty) or len(include) < size or any(x for _, x, _ in include)
    name = str(rule.alias or rule.options.template_source or rule.origin.name)
    expand1 = bool(rule.options.expand1) and not rule.alias
    return size, str(rule.origin.name), tuple(include), pending, filtered, expand1, name


def _root_shape(contextual: Any, unless: type) -> RootShape:
    """The root lexer (all terminals) as data, plus the bulk-scan pattern built from it."""
    try:
        root = contextual.root_lexer
        shape = _lexer_shape(root, unless)
        terminals = tuple((str(t.name), str(t.pattern.to_regexp())) for t in root.scanner.terminals)
        flags = int(root.g_regex_flags)
    except AttributeError as exc:
        raise TablesUnavailable(f"unexpected lark lexer layout: {exc}") from None
    return shape, terminals, build_scan(list(terminals), frozenset(shape[1])), flags


def _lexer_shape(basic: Any, unless: type) -> LexerShape:
    scanner = basic.scanner
    mres = getattr(scanner, "_mres", None)
    if not mres:
        raise TablesUnavailable("lark scanner has no compiled alternations")
    keywords: dict[str, dict[str, str]] = {}
    for ttype, callback in basic.callback.items():
        if not isinstance(callback, unless):
            raise TablesUnavailable(f"unsupported lexer callback for {ttype}")
        words: dict[str, str] = {}
        for term in callback.scanner.terminals:   # type: ignore[attr-defined]
            if term.pattern.flags or term.pattern.type != "str":
                raise TablesUnavailable(f"keyword {term.name} is not a plain string")
            words[term.pattern.value] = term.name
        keywords[ttype] = words
    patterns = tuple((str(m.pattern), int(m.flags)) for m in mres)
    return patterns, tuple(sorted(basic.ignore_types)), keywords
