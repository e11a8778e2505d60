"""Route patterns: `/users/:id/files/*rest`.

A pattern starts with `/` and has no empty segments (so no trailing slash,
except the root `/`). A segment is a literal, `:name` (one non-empty
segment) or `*name` (the non-empty rest of the path; last segment only).
Names are Python identifiers, unique within a pattern. Literals are written
decoded; `%XX` in a literal is decoded so `/a%20b` and `/a b` are the same
route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final
from urllib.parse import unquote

__all__ = ["PARAM", "STATIC", "WILDCARD", "Pattern", "RouteConflict", "Segment", "parse_pattern"]

STATIC = 0
PARAM = 1
WILDCARD = 2


@final
class RouteConflict(ValueError):
    """Two routes that would answer the same requests with the same method."""

    def __init__(self, method: str, existing: str, new: str) -> None:
        super().__init__(f"route conflict: {method} {new} duplicates {method} {existing} "
                         "(same method, equivalent pattern)")
        self.method = method
        self.existing = existing
        self.new = new


@final
@dataclass(frozen=True, slots=True)
class Segment:
    kind: int
    text: str  # the literal, or the capture name


@final
@dataclass(frozen=True, slots=True)
class Pattern:
    template: str
    segments: tuple[Segment, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Capture names in path order."""
        return tuple(s.text for s in self.segments if s.kind != STATIC)

    @property
    def is_static(self) -> bool:
        return all(s.kind == STATIC for s in self.segments)

    def join(self, other: Pattern) -> Pattern:
        """`self` as a prefix of `other` (for `nest`)."""
        if self.segments and self.segments[-1].kind == WILDCARD:
            raise ValueError(f"cannot nest under a wildcard prefix: {self.template}")
        clash = set(self.names) & set(other.names)
        if clash:
            raise ValueError(f"nested route {other.template} reuses capture names "
                             f"{sorted(clash)} of prefix {self.template}")
        segments = self.segments + other.segments
        return Pattern(_render(segments), segments)


def _render(segments: tuple[Segment, ...]) -> str:
    marks = {STATIC: "", PARAM: ":", WILDCARD: "*"}
    return "/" + "/".join(marks[s.kind] + s.text for s in segments)


def parse_pattern(pattern: str) -> Pattern:
    """Parse a route pattern, raising ValueError with the reason."""
    if not pattern.startswith("/"):
        raise ValueError(f"route pattern must start with '/': {pattern!r}")
    if pattern == "/":
        return Pattern("/", ())
    parts = pattern[1:].split("/")
    segments: list[Segment] = []
    seen: set[str] = set()
    for i, part in enumerate(parts):
        if not part:
            raise ValueError(f"empty segment in route pattern {pattern!r} "
                             "(no '//' and no trailing '/')")
        if part[0] in ":*":
            kind = PARAM if part[0] == ":" else WILDCARD
            name = part[1:]
            if not name.isidentifier():
                raise ValueError(f"capture name {name!r} in {pattern!r} must be an identifier")
            if name in seen:
                raise ValueError(f"capture name {name!r} appears twice in {pattern!r}")
            if kind == WILDCARD and i != len(parts) - 1:
                raise ValueError(f"wildcard must be the last segment: {pattern!r}")
            seen.add(name)
            segments.append(Segment(kind, name))
        else:
            literal = unquote(part, errors="strict") if "%" in part else part
            if "/" in literal:
                raise ValueError(f"literal segment {part!r} in {pattern!r} decodes to a '/'")
            segments.append(Segment(STATIC, literal))
    segs = tuple(segments)
    return Pattern(_render(segs), segs)
