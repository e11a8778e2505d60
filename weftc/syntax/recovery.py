"""Cutting a broken file into top-level item chunks for error recovery.

A light scanner (strings, chars, comments and brackets only; no parser) walks
the text. A chunk ends after a `;` at bracket depth 0, or after a `}` that
brings the depth back to 0 (taking a directly following `;` along). A line that
starts in column 1 with an item keyword always starts a new chunk, even inside
unbalanced brackets: that is how a missing `}` costs one diagnostic instead of
swallowing the rest of the file. The scan is linear and never fails.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r'"""(?:""""|[^"]|"(?!""))*(?:"""|$)'       # raw string (or unterminated to EOF)
    r'|"(?:[^"\\\n]|\\.)*"?'                     # string (possibly unterminated)
    r"|'(?:[^'\\\n]|\\[^\n][^'\n]*)'"            # char
    r"|//[^\n]*"                                 # line comment
    r"|/\*[\s\S]*?(?:\*/|$)"                     # block comment (or unterminated)
    r"|[{}()\[\];]"                              # structure
    r"|\n(?=(?:@|pub\b|public\b|internal\b|private\b|protected\b|fn\b|async\s+fn\b|pure\b"
    r"|unsafe\s+fn\b|type\b|mount\b|implement\b|context\b|protocol\b|const\b|static\b"
    r"|module\b|using\b))"                       # item keyword in column 1
)
_AFTER_CLOSE = re.compile(r"(?:\s|//[^\n]*|/\*[\s\S]*?\*/)*;")


def split_items(text: str) -> list[tuple[int, int]]:
    """Half-open (start, end) ranges covering the non-blank parts of `text`, one per item."""
    chunks: list[tuple[int, int]] = []
    depth = 0
    start = 0
    pos = 0

    def cut(end: int) -> None:
        nonlocal start
        if text[start:end].strip():
            chunks.append((start, end))
        start = end

    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        pos = m.end()
        if tok[0] == "\n":
            pending = text[start:m.start()]
            last_line = pending[pending.rfind("\n") + 1:].lstrip()
            if depth > 0 or (pending.strip() and not last_line.startswith("@")):
                cut(m.start() + 1)
                depth = 0
        elif tok in "([{":
            depth += 1
        elif tok in ")]":
            depth = max(0, depth - 1)
        elif tok == "}":
            depth = max(0, depth - 1)
            if depth == 0:
                semi = _AFTER_CLOSE.match(text, pos)
                cut(semi.end() if semi else pos)
        elif tok == ";" and depth == 0:
            cut(pos)
    cut(len(text))
    return chunks
