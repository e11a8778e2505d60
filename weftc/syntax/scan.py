"""The bulk scanner: the whole text cut into (ignored, token) pairs by one C-level `findall`.

Why: matching lark's per-state alternation once per token costs far more than
the regex work itself (about 40 % of a parse). lark sorts terminals in one
global order and every contextual-lexer state uses a subsequence of it, so the
root lexer's first match at a position is exactly what a state's lexer
matches there whenever the state knows that terminal. The fast path
(`weftc.syntax.fastpath`) therefore scans once with the root alternation and
falls back to the state's own lexer only where the root terminal is not one
of the state's (`>>` in a type, `x.0`).

The scan pattern, built here from lark's ordered root terminals, is
`(ignored*)(token|any one character|end)`:

* an ignored terminal (whitespace, comments) is only taken where no token
  terminal that precedes it in lark's order could match (a negative
  look-ahead, kept short by a first-character test), so the order of the
  alternation is lark's;
* the token alternation has no named groups (they disable the regex engine's
  first-character skip); `classify` names the terminal afterwards by running
  lark's named root pattern at the position, cached per token text where
  that is sound (no look-around terminal could have matched);
* "any one character" catches text no terminal matches, and `end` closes the
  list with an empty token, so the pairs always concatenate to the text.
"""

from __future__ import annotations

import re

SCAN_VERSION = 1                    # part of the table cache key: bump when `build_scan` changes
Terminal = tuple[str, str]          # (name, regular expression) in lark's order
_SPECIAL = set(".^$*+?{}[]\\|()")
_OPTIONAL = ("*", "?", "{0")


def has_lookaround(regex: str) -> bool:
    """Conservatively, whether a match may depend on the text around it (assertions, anchors)."""
    i = 0
    in_class = False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            if not in_class and regex[i + 1:i + 2] in ("b", "B", "A", "Z"):
                return True
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if regex[i + 1:i + 2] == "^":
                i += 1
            if regex[i + 1:i + 2] == "]":
                i += 1
        elif c in "^$" or regex.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            return True
        i += 1
    return False


def first_class(regex: str) -> str | None:
    """A character-class regex holding every first character of a match, or None if unknown."""
    if not regex:
        return None
    c = regex[0]
    if c == "\\":
        if len(regex) < 2 or regex[1].isalnum():
            return None
        atom, rest = re.escape(regex[1]), regex[2:]
    elif c == "[":
        end = _class_end(regex)
        if end < 0:
            return None
        atom, rest = regex[:end + 1], regex[end + 1:]
    elif c in _SPECIAL:
        return None
    else:
        atom, rest = re.escape(c), regex[1:]
    if rest.startswith(_OPTIONAL):
        return None
    return atom


def _class_end(regex: str) -> int:
    """Index of the `]` closing the class that opens `regex`, or -1."""
    i = 1
    if regex[i:i + 1] == "^":
        i += 1
    if regex[i:i + 1] == "]":
        i += 1
    while i < len(regex):
        if regex[i] == "\\":
            i += 2
            continue
        if regex[i] == "]":
            return i
        i += 1
    return -1


def _first_chars(regex: str, limit: int = 512) -> frozenset[str] | None:
    """Every possible first character (BMP) of a match, if known and few."""
    cls = first_class(regex)
    if cls is None:
        return None
    probe = re.compile(cls)
    chars = frozenset(ch for ch in map(chr, range(0x10000)) if probe.fullmatch(ch))
    return chars if len(chars) <= limit else None


def _may_start_with(regex: str, chars: frozenset[str]) -> bool:
    cls = first_class(regex)
    if cls is None:
        return True
    probe = re.compile(cls)
    return any(probe.fullmatch(ch) for ch in chars)


def build_scan(terminals: list[Terminal], ignore: frozenset[str]) -> str:
    """The `(ignored*)(token|.|end)` pattern for `findall` (see the module docstring)."""
    tokens: list[str] = []
    ignored: list[str] = []
    for name, regex in terminals:
        if name not in ignore:
            tokens.append(regex)
            continue
        starts = _first_chars(regex)
        guard = [t for t in tokens if starts is None or _may_start_with(t, starts)]
        body = f"(?:{regex})"
        if guard:
            body = f"(?!{'|'.join(f'(?:{t})' for t in guard)}){body}"
        ignored.append(body)
    ign = f"(?:{'|'.join(ignored)})*" if ignored else ""
    tok = "|".join(f"(?:{t})" for t in tokens)
    return f"({ign})({tok}|[\\s\\S]|\\Z)"


class Classifier:
    """Names the root terminal of a scanned token; caches by text where sound.

    `named` is lark's root alternation (named groups, in order); `order` the
    terminal names in that order; `keywords` lark's keyword map per terminal
    (`IDENT` text `fn` is the keyword type `FN`). A token text is cached only
    if no look-around terminal ordered before its terminal could start with
    its first character, since only look-around makes the match depend on the
    text after the token.
    """

    __slots__ = ("cache", "keywords", "named", "rank", "watch")

    def __init__(self, named: tuple[tuple[str, int], ...], terminals: list[Terminal],
                 keywords: dict[str, dict[str, str]]) -> None:
        self.named = tuple(re.compile(p, f) for p, f in named)
        self.rank = {name: i for i, (name, _) in enumerate(terminals)}
        # (rank, first-character class or None) of each look-around terminal
        self.watch = tuple((i, re.compile(cls) if (cls := first_class(rx)) else None)
                           for i, (_, rx) in enumerate(terminals) if has_lookaround(rx))
        self.keywords = keywords
        self.cache: dict[str, str] = {}

    def classify(self, text: str, start: int, value: str) -> str | None:
        """The global token type at `start` (keywords resolved), or None if no terminal matches."""
        for rx in self.named:
            m = rx.match(text, start)
            if m is not None:
                break
        else:
            return None
        raw = m.lastgroup
        if raw is None or m.end() != start + len(value):
            return None
        words = self.keywords.get(raw)
        tt = words.get(value, raw) if words is not None else raw
        rank = self.rank.get(raw, -1)
        if all(r > rank or (cls is not None and not cls.match(value)) for r, cls in self.watch):
            self.cache[value] = tt
        return tt
