"""Comments recovered from the source text, since the AST keeps none.

The formatter re-emits a comment when it lies in a gap between two items of
a module or container, or between two statements of a block (or before the
first / after the last of them). Comments anywhere else (inside an
expression, a signature, a type) are dropped. `scan_comments` is a small
lexer that skips string, character and byte literals so that `//` inside a
string is not taken for a comment.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Comment:
    start: int
    end: int
    text: str
    block: bool


def _skip_string(text: str, i: int) -> int:
    """Index after the string literal whose opening quote is at `i`."""
    if text.startswith('"""', i):
        end = text.find('"""', i + 3)
        if end < 0:
            return len(text)
        # `""""` inside a raw string is a literal `"` followed by the closing quotes.
        while text.startswith('"', end + 3):
            end += 1
        return end + 3
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    return n


def _skip_quote(text: str, i: int) -> int:
    """A char literal `'a'`/`'\\n'` is skipped whole; a lifetime `'a` only by its quote."""
    if text.startswith("\\", i + 1):
        end = text.find("'", i + 2)
        return i + 1 if end < 0 else end + 1
    if i + 2 < len(text) and text[i + 2] == "'":
        return i + 3
    return i + 1


def scan_comments(text: str) -> tuple[Comment, ...]:
    out: list[Comment] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
        elif c == "'":
            i = _skip_quote(text, i)
        elif c == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(Comment(i, end, text[i:end].rstrip(), False))
            i = end
        elif c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(Comment(i, end, text[i:end], True))
            i = end
        else:
            i += 1
    return tuple(out)


class CommentQueue:
    """The comments of one file, looked up by source range.

    Lookups do not consume: the formatter may render a subtree twice (flat,
    then broken over lines) and keep one rendering, and each gap belongs to
    exactly one sequence of the tree, so no comment is printed twice.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.comments = scan_comments(text)
        self._starts = [c.start for c in self.comments]

    def take(self, start: int, end: int) -> list[Comment]:
        """Comments that start in [start, end)."""
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        return list(self.comments[lo:hi])

    def any_in(self, start: int, end: int) -> bool:
        return bool(self.take(start, end))

    def same_line(self, a: int, b: int) -> bool:
        """True when offsets `a` and `b` are on one line."""
        return "\n" not in self.text[a:b]

    def blank_line_between(self, a: int, b: int) -> bool:
        """True when the source has an empty line between offsets `a` and `b`."""
        gap = self.text[a:b]
        lines = gap.split("\n")
        return any(not line.strip() for line in lines[1:-1])
