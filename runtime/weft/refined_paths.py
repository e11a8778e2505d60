"""Verum's `core.net.weft.refined_routes`: a path capture checked by a named
predicate at run time, for handlers that read captures by hand.

(Refinement *types* on extractor parameters are compiled instead: see
`weft.extract.PathParam`; this module is the library form Verum offers for
predicates the prover does not see.) A failed check is an `InvalidParam`
rejection (400 problem+json) carrying the refinement's `expected` text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, final

from weft.errors import ExtractRejection, InvalidParam, MissingParam
from weft.http_types import Request
from weft.result import Err, Ok, Result

__all__ = ["PathRefinement", "int_between", "refined_path_int", "refined_path_text", "slug",
           "text_one_of"]

T = TypeVar("T")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_INT = re.compile(r"[+-]?[0-9]+")


@final
@dataclass(frozen=True, slots=True)
class PathRefinement(Generic[T]):
    """The capture `name` must satisfy `check`; `expected` says how, for the 400."""

    name: str
    check: Callable[[T], bool]
    expected: str

    @staticmethod
    def new(name: str, expected: str, check: Callable[[T], bool]) -> PathRefinement[T]:
        return PathRefinement(name, check, expected)


def int_between(name: str, low: int, high: int) -> PathRefinement[int]:
    return PathRefinement(name, lambda n: low <= n <= high, f"integer in [{low}, {high}]")


def text_one_of(name: str, allowed: list[str]) -> PathRefinement[str]:
    choices = frozenset(allowed)
    return PathRefinement(name, choices.__contains__, f"one of {', '.join(sorted(choices))}")


def slug(name: str) -> PathRefinement[str]:
    return PathRefinement(name, lambda s: _SLUG.fullmatch(s) is not None,
                          "slug (lower-case letters, digits, single dashes)")


def refined_path_int(req: Request, refinement: PathRefinement[int]) -> Result[int, ExtractRejection]:
    raw = req.path_params.get(refinement.name)
    if raw is None:
        return Err(MissingParam(refinement.name))
    if _INT.fullmatch(raw) is None or not refinement.check(int(raw)):
        return Err(InvalidParam(refinement.name, raw, refinement.expected))
    return Ok(int(raw))


def refined_path_text(req: Request,
                      refinement: PathRefinement[str]) -> Result[str, ExtractRejection]:
    raw = req.path_params.get(refinement.name)
    if raw is None:
        return Err(MissingParam(refinement.name))
    if not refinement.check(raw):
        return Err(InvalidParam(refinement.name, raw, refinement.expected))
    return Ok(raw)
