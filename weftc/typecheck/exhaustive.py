"""Match exhaustiveness and reachability (Maranget's usefulness algorithm).

Checked patterns are summarised as a small space: `Wild` (matches anything),
`Ctor` (one constructor of a type with sub-patterns, plus the full list of
its siblings when the type has finitely many: sum variants, `true`/`false`,
the single constructor of a tuple or record) and `Or`. Literals of infinite
types (Int, Text, ...) are constructors whose `siblings` is None, so only a
wildcard completes them.

`useful(rows, q)` returns a witness (a list of spaces, one per column) of a
value `q` matches that no row does, or None. A match is exhaustive iff the
all-wildcard vector is not useful against its unguarded arms; an arm is
unreachable iff it is not useful against the unguarded arms before it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CtorInfo:
    """One constructor of a finite type: its name, arity and how to print it."""

    name: str
    arity: int
    label: str
    shape: str = "tuple"  # "tuple", "record", "unit", "literal", "slice" (nil/cons)


class Space:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Wild(Space):
    pass


@dataclass(frozen=True, slots=True)
class Ctor(Space):
    name: str
    args: tuple[Space, ...]
    siblings: tuple[CtorInfo, ...] | None
    label: str
    shape: str = "tuple"


@dataclass(frozen=True, slots=True)
class Or(Space):
    alternatives: tuple[Space, ...]


WILD = Wild()
Row = list[Space]


def _expand(rows: list[Row]) -> list[Row]:
    out: list[Row] = []
    for row in rows:
        if row and isinstance(row[0], Or):
            out.extend(_expand([[alt, *row[1:]] for alt in row[0].alternatives]))
        else:
            out.append(row)
    return out


def _specialize(rows: list[Row], name: str, arity: int) -> list[Row]:
    out: list[Row] = []
    for row in _expand(rows):
        head = row[0]
        if isinstance(head, Ctor):
            if head.name == name:
                args = list(head.args) + [WILD] * (arity - len(head.args))
                out.append(args[:arity] + row[1:])
        else:
            out.append([WILD] * arity + row[1:])
    return out


def _default(rows: list[Row]) -> list[Row]:
    return [row[1:] for row in _expand(rows) if isinstance(row[0], Wild)]


def useful(rows: list[Row], q: Row, depth: int = 0) -> Row | None:
    if not q:
        return None if rows else []
    if depth > 64:
        return None
    head = q[0]
    if isinstance(head, Or):
        for alt in head.alternatives:
            w = useful(rows, [alt, *q[1:]], depth + 1)
            if w is not None:
                return w
        return None
    if isinstance(head, Ctor):
        arity = len(head.args)
        w = useful(_specialize(rows, head.name, arity), list(head.args) + q[1:], depth + 1)
        if w is None:
            return None
        return [Ctor(head.name, tuple(w[:arity]), head.siblings, head.label, head.shape),
                *w[arity:]]
    heads = [r[0] for r in _expand(rows) if isinstance(r[0], Ctor)]
    used = {h.name for h in heads if isinstance(h, Ctor)}
    siblings = next((h.siblings for h in heads if isinstance(h, Ctor) and h.siblings), None)
    if siblings is not None and all(c.name in used for c in siblings):
        for c in siblings:
            w = useful(_specialize(rows, c.name, c.arity), [WILD] * c.arity + q[1:], depth + 1)
            if w is not None:
                return [Ctor(c.name, tuple(w[:c.arity]), siblings, c.label, c.shape),
                        *w[c.arity:]]
        return None
    w = useful(_default(rows), q[1:], depth + 1)
    if w is None:
        return None
    if siblings is not None:
        missing = next(c for c in siblings if c.name not in used)
        return [Ctor(missing.name, (WILD,) * missing.arity, siblings, missing.label,
                     missing.shape), *w]
    return [WILD, *w]


def show(s: Space) -> str:
    """A witness in Verum pattern syntax (`ApiError.Unauthorized`, `Ok(Some(_))`)."""
    if isinstance(s, Ctor):
        if s.shape == "slice":
            return _show_slice(s)
        if s.shape == "tuple" and s.label == "":
            return "(" + ", ".join(show(a) for a in s.args) + ("," if len(s.args) == 1 else "") \
                + ")"
        if s.shape == "record":
            return f"{s.label} {{ .. }}"
        if s.args:
            return f"{s.label}(" + ", ".join(show(a) for a in s.args) + ")"
        return s.label
    if isinstance(s, Or):
        return " | ".join(show(a) for a in s.alternatives)
    return "_"


def _show_slice(s: Ctor) -> str:
    items: list[str] = []
    cur: Space = s
    while isinstance(cur, Ctor) and cur.name == "cons" and len(cur.args) == 2:
        items.append(show(cur.args[0]))
        cur = cur.args[1]
    if not (isinstance(cur, Ctor) and cur.name == "nil"):
        items.append("..")
    return "[" + ", ".join(items) + "]"


def missing_patterns(rows: list[Space], limit: int = 6) -> list[str]:
    """Up to `limit` patterns no row covers (empty: the rows are exhaustive)."""
    table: list[Row] = [[r] for r in rows]
    found: list[str] = []
    while len(found) < limit:
        w = useful(table, [WILD])
        if w is None:
            break
        text = show(w[0])
        if text in found:
            break
        found.append(text)
        table.append([w[0]])
        if text == "_":
            break
    return found


def reachable(previous: list[Space], arm: Space) -> bool:
    return useful([[r] for r in previous], [arm]) is not None
