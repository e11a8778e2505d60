"""Facts and the constants they mention: what slicing a goal's hypotheses needs."""

from __future__ import annotations

from collections.abc import Iterator

import z3


def consts(term: z3.ExprRef) -> set[str]:
    """Names of the uninterpreted constants in `term`."""
    return set(const_terms(term))


class FactSet:
    """Facts indexed by the constants they mention, so slicing a goal's cone
    of influence costs what the cone holds, not what the program holds."""

    def __init__(self) -> None:
        self.items: list[z3.BoolRef] = []
        self.names: list[frozenset[str]] = []
        self.by_name: dict[str, list[int]] = {}

    def append(self, fact: z3.BoolRef) -> None:
        i = len(self.items)
        names = frozenset(consts(fact))
        self.items.append(fact)
        self.names.append(names)
        for n in names:
            self.by_name.setdefault(n, []).append(i)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[z3.BoolRef]:
        return iter(self.items)

    def since(self, start: int) -> list[z3.BoolRef]:
        return self.items[start:]


def const_terms(term: z3.ExprRef) -> dict[str, z3.ExprRef]:
    """The uninterpreted constants of `term`, by name (for model completion)."""
    out: dict[str, z3.ExprRef] = {}
    seen: set[int] = set()
    stack = [term]
    while stack:
        t = stack.pop()
        tid = t.get_id()
        if tid in seen:
            continue
        seen.add(tid)
        n = t.num_args() if z3.is_app(t) else 0
        if n == 0:
            if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
                out[t.decl().name()] = t
        else:
            stack.extend(t.arg(i) for i in range(n))
    return out
