"""Symbolic values: what a Verum value is while the verifier walks a body.

A scalar is a Z3 term (Int, Real, Bool, String). A record is a `RecordVal`
whose fields are created on first use, each a fresh term carrying its
declared refinement; a sum-typed value is an `EnumVal` (an Int tag); a list
is a `ListVal` known only by its length. Anything else has no encoding
(`None`): it is never needed to prove a goal, and a goal that needs it is
reported as unencodable rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import z3

from weftc.types import Named


@dataclass(eq=False, slots=True)
class RecordVal:
    """A record value; `fields` fills lazily (`Scope.field` creates them)."""

    type: Named
    label: str
    fields: dict[str, Value] = field(default_factory=dict)

    def with_field(self, name: str, value: Value) -> RecordVal:
        """A copy with one field replaced (assignment never mutates a shared value)."""
        return RecordVal(self.type, self.label, {**self.fields, name: value})


@dataclass(frozen=True, eq=False, slots=True)
class EnumVal:
    """A value of a sum type, known by its variant's index."""

    type: Named
    tag: z3.ArithRef
    variants: tuple[str, ...]


@dataclass(frozen=True, eq=False, slots=True)
class ListVal:
    """A list, text-independent: only its length takes part in proofs."""

    length: z3.ArithRef


Value: TypeAlias = "z3.ExprRef | RecordVal | EnumVal | ListVal | None"


class Unencodable(Exception):
    """A predicate or value the verifier cannot express in Z3 (E2003 in a goal)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def same_sort(a: Value, b: Value) -> bool:
    return (isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef)
            and a.sort() == b.sort())
