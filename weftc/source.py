"""Source files and spans: the coordinates every stage and diagnostic shares.

A `Span` is byte offsets into a `SourceFile` plus 1-based line/column of both
ends, computed once at parse time so later stages never re-scan text.
Columns count characters (code points), not bytes, since that is what an
editor shows.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    file: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: Span) -> Span:
        """The span covering `self` through `other`."""
        return Span(self.file, self.start, other.end, self.line, self.column,
                    other.end_line, other.end_column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<builtin>", 0, 0, 1, 1, 1, 1)


class SourceDecodeError(Exception):
    """The file is not UTF-8; carries the byte offset of the first bad byte."""

    def __init__(self, path: str, offset: int, reason: str) -> None:
        super().__init__(f"{path}: not valid UTF-8 at byte {offset}: {reason}")
        self.path = path
        self.offset = offset


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One `.vr` file's text with a line index for offset → line/column."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @staticmethod
    def from_text(name: str, text: str) -> SourceFile:
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        return SourceFile(name, text, tuple(starts))

    @staticmethod
    def read(path: str | Path) -> SourceFile:
        """Read and decode a file; raises OSError or SourceDecodeError."""
        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceDecodeError(str(path), exc.start, exc.reason) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        return SourceFile.from_text(str(path), text)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        idx = bisect.bisect_right(self._line_starts, offset) - 1
        return idx + 1, offset - self._line_starts[idx] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(self.name, start, end, line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its newline ('' past the end)."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end].rstrip("\r")
