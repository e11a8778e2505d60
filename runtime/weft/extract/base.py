"""The extractor contract: bind once at registration, run straight-line per request.

An extractor marker (found in a handler parameter's `Annotated[...]`
metadata) is asked once, when the route is registered, to `bind` itself to
that parameter. It returns a `Getter`: a plain function from the request to
the argument value that raises an `ExtractRejection` when the request does
not fit. The per-request cost is therefore one call per parameter and no
reflection.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, Union, final, get_args, get_origin

from weft.http_types import Request

__all__ = ["NO_DEFAULT", "Extractor", "Getter", "ParamInfo", "Refine", "split_optional"]

Getter = Callable[[Request], object]


@final
class _NoDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@final
@dataclass(frozen=True, slots=True)
class ParamInfo:
    """What an extractor learns about the parameter it fills."""

    name: str
    type: object                   # target type, `Annotated` metadata stripped
    metadata: tuple[object, ...]   # every `Annotated` metadata item, outermost last
    default: object                # NO_DEFAULT when the parameter has none
    route_params: frozenset[str] | None  # capture names of the route; None if unknown
    handler: str                   # the handler's qualified name, for messages


class Extractor(Protocol):
    """Anything that can fill a handler parameter."""

    def bind(self, param: ParamInfo) -> Getter: ...


@final
@dataclass(frozen=True, slots=True)
class Refine:
    """A refinement on an extracted value: `Annotated[int, Refine(lambda n: n > 0, "n > 0")]`.

    The compiler generates these from refinement types; `expected` is the
    wording a rejected client sees (e.g. `UserId: n >= 1`).
    """

    # Any: the predicate's argument type is the annotated type, which a
    # metadata object cannot name.
    predicate: Callable[[Any], bool]
    expected: str


def refinements(metadata: tuple[object, ...]) -> tuple[Refine, ...]:
    return tuple(m for m in metadata if isinstance(m, Refine))


def split_optional(tp: object) -> tuple[object, bool]:
    """`T | None` → (T, True); anything else → (tp, False)."""
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = get_args(tp)
        if type(None) in args:
            rest = tuple(a for a in args if a is not type(None))
            inner: object = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007
            return inner, True
    return tp, False
