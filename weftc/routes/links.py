"""Matching a `route#"…"` link against the route table, as the runtime router would.

A link's text splits on `/` into segments; each is literal text or one whole
`{expr}` interpolation (an interpolation inside a segment, `v{n}`, cannot be
matched statically and is reported). A route matches when the segment counts
agree (a trailing `*rest` takes one or more), static segments are equal and
every `:param` takes one link segment. Among matches the router's priority
decides — static before parameter before wildcard, segment by segment — so
the route chosen here is the one that will serve the link.
"""

from __future__ import annotations

from dataclasses import dataclass

from weftc.routes.table import Route
from weftc.syntax import ast


@dataclass(frozen=True, slots=True)
class LinkSegment:
    """Literal `text`, or an interpolated `expr`; `mixed` for text glued to `{expr}`."""

    text: str = ""
    expr: ast.Expr | None = None
    mixed: bool = False


@dataclass(frozen=True, slots=True)
class Capture:
    """One route parameter and the link segment it captures."""

    param: str
    segment: LinkSegment


def link_segments(lit: ast.RouteLiteral) -> tuple[LinkSegment, ...]:
    pieces: list[list[str | ast.Expr]] = [[]]
    for part in lit.parts:
        if isinstance(part, ast.FStringText):
            chunks = part.value.split("/")
            pieces[-1].append(chunks[0])
            for chunk in chunks[1:]:
                pieces.append([chunk])
        else:
            pieces[-1].append(part.expr)
    out: list[LinkSegment] = []
    for piece in pieces:
        items = [p for p in piece if not (isinstance(p, str) and p == "")]
        if not items:
            continue
        if len(items) == 1 and isinstance(items[0], ast.Expr):
            out.append(LinkSegment(expr=items[0]))
        elif all(isinstance(p, str) for p in items):
            out.append(LinkSegment(text="".join(p for p in items if isinstance(p, str))))
        else:
            out.append(LinkSegment(mixed=True))
    return tuple(out)


def _captures(route: Route, segs: tuple[LinkSegment, ...]) -> tuple[Capture, ...] | None:
    rsegs = route.segments
    wild = bool(rsegs) and rsegs[-1].wildcard
    if wild:
        if len(segs) < len(rsegs):
            return None
    elif len(segs) != len(rsegs):
        return None
    caps: list[Capture] = []
    for i, rs in enumerate(rsegs):
        ls = segs[i]
        if rs.wildcard:
            break
        if rs.param is None:
            if ls.expr is not None or ls.mixed or ls.text != rs.text:
                return None
        else:
            if ls.mixed:
                return None
            caps.append(Capture(rs.param, ls))
    return tuple(caps)


def _priority(route: Route) -> tuple[int, ...]:
    return tuple(2 if s.wildcard else (1 if s.param is not None else 0) for s in route.segments)


def match_link(routes: tuple[Route, ...], lit: ast.RouteLiteral
               ) -> tuple[Route, tuple[Capture, ...]] | None:
    """The route that serves `lit` (GET routes first, as a link is followed with
    GET) and what each of its parameters captures; None when none matches."""
    segs = link_segments(lit)
    found: list[tuple[Route, tuple[Capture, ...]]] = []
    for r in routes:
        caps = _captures(r, segs)
        if caps is not None:
            found.append((r, caps))
    if not found:
        return None
    found.sort(key=lambda rc: (rc[0].method not in ("GET", "ANY"), _priority(rc[0])))
    return found[0]


def has_mixed(lit: ast.RouteLiteral) -> bool:
    return any(s.mixed for s in link_segments(lit))
