"""Run-time refinement checks for flows the compiler could not decide.

`weftc` proves refinement flows at compile time. When the solver cannot
decide one (it answers `unknown`) in a function marked `@verify(runtime)`,
the generated code checks that one flow here instead, and the build reports
it as warning W2002. Everything proven carries no check at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class RefinementViolation(Exception):
    """A value failed a refinement that was checked at run time (W2002 flows)."""


def checked(value: T, ok: Callable[[T], bool], what: str) -> T:
    """`value` when `ok(value)`; otherwise RefinementViolation naming the refinement."""
    if not ok(value):
        raise RefinementViolation(f"run-time refinement check failed: {value!r} is not {what}")
    return value
