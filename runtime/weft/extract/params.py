"""Path, query and header extractors.

Each `*Param` is a frozen spec whose `extract(request)` returns the typed
value or raises the rejection that describes what was wrong. Generated code
builds the specs once at import time and calls `extract` directly, e.g.

    USER_ID = PathParam.int("id", refine=lambda n: 1 <= n <= 10**9,
                            expected="UserId: n >= 1 && n <= 1_000_000_000")

`FromPath`/`FromQuery`/`FromHeader` are the markers behind the `Path[T]`,
`Query[T]` and `Header[T]` annotations: they build the same specs from a
handler's parameter when the route is registered.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, final, get_args, get_origin
from urllib.parse import parse_qsl

from weft.errors import InvalidHeader, InvalidParam, MissingHeader, MissingParam
from weft.extract.base import NO_DEFAULT, Getter, ParamInfo, refinements, split_optional
from weft.extract.scalars import parse_bool, parse_float, parse_int, parse_str, scalar_parser
from weft.http_types import Request

__all__ = [
    "FromHeader",
    "FromPath",
    "FromQuery",
    "HeaderParam",
    "PathParam",
    "QueryParam",
    "path_int",
    "query_map",
    "query_text_optional",
]

T = TypeVar("T")
_QUERY_KEY = "weft.query"
# parse_qsl raises past this many fields: a bound on per-request work.
MAX_QUERY_FIELDS = 1000


def _check(name: str, raw: str, value: T, expected: str,
           refine: Callable[[T], bool] | None) -> T:
    if refine is not None and not refine(value):
        raise InvalidParam(name, raw, expected)
    return value


def _all_refinements(refine: Callable[[Any], bool] | None, param: ParamInfo,
                     expected: str) -> tuple[Callable[[Any], bool] | None, str]:
    """Combine the refinements found in `Annotated` metadata into one predicate."""
    refs = refinements(param.metadata)
    if not refs:
        return refine, expected
    preds = tuple(r.predicate for r in refs)
    wording = " && ".join(r.expected for r in refs)
    return (lambda v: all(p(v) for p in preds)), wording


# ---------------------------------------------------------------------------
# Path
# ---------------------------------------------------------------------------

@final
@dataclass(frozen=True, slots=True)
class PathParam(Generic[T]):
    """A captured path segment, parsed and optionally refined (400 when it fails)."""

    name: str
    parse: Callable[[str], T]
    expected: str
    refine: Callable[[T], bool] | None = None

    def extract(self, req: Request) -> T:
        raw = req.path_params.get(self.name)
        if raw is None:
            raise MissingParam(self.name)
        try:
            value = self.parse(raw)
        except ValueError:
            raise InvalidParam(self.name, raw, self.expected) from None
        if self.refine is not None and not self.refine(value):
            raise InvalidParam(self.name, raw, self.expected)
        return value

    def bind(self, param: ParamInfo) -> Getter:
        _require_capture(self.name, param)
        return self.extract

    @classmethod
    def int(cls, name: str, *, refine: Callable[[builtins.int], builtins.bool] | None = None,
            expected: builtins.str = "integer") -> PathParam[builtins.int]:
        return PathParam(name, parse_int, expected, refine)

    @classmethod
    def float(cls, name: str, *, refine: Callable[[builtins.float], builtins.bool] | None = None,
              expected: builtins.str = "number") -> PathParam[builtins.float]:
        return PathParam(name, parse_float, expected, refine)

    @classmethod
    def bool(cls, name: str, *, refine: Callable[[builtins.bool], builtins.bool] | None = None,
             expected: builtins.str = "boolean") -> PathParam[builtins.bool]:
        return PathParam(name, parse_bool, expected, refine)

    @classmethod
    def str(cls, name: builtins.str, *,
            refine: Callable[[builtins.str], builtins.bool] | None = None,
            expected: builtins.str = "string") -> PathParam[builtins.str]:
        return PathParam(name, parse_str, expected, refine)


def _require_capture(name: str, param: ParamInfo) -> None:
    if param.route_params is not None and name not in param.route_params:
        have = ", ".join(f":{p}" for p in sorted(param.route_params)) or "none"
        raise TypeError(f"{param.handler}: parameter `{param.name}` extracts path parameter "
                        f"`{name}`, but the route captures {have}")


@final
@dataclass(frozen=True, slots=True)
class FromPath:
    """Marker: fill from the path capture named `name` (default: the parameter's name)."""

    name: str | None = None

    def bind(self, param: ParamInfo) -> Getter:
        parse, expected = scalar_parser(param.type)
        refine, expected = _all_refinements(None, param, expected)
        return PathParam(self.name or param.name, parse, expected, refine).bind(param)


def path_int(req: Request, name: str) -> int:
    """Verum's `path_int`: the capture `name` as an integer."""
    return PathParam(name, parse_int, "integer").extract(req)


# ---------------------------------------------------------------------------
# Query
# ---------------------------------------------------------------------------

def query_map(req: Request) -> dict[str, list[str]]:
    """The decoded query (`+` is a space), parsed once per request and cached."""
    cached: dict[str, list[str]] | None = req.extensions.get(_QUERY_KEY)
    if cached is not None:
        return cached
    out: dict[str, list[str]] = {}
    raw = req.raw_query
    if raw:
        try:
            pairs = parse_qsl(raw, keep_blank_values=True, errors="strict",
                              max_num_fields=MAX_QUERY_FIELDS)
        except UnicodeDecodeError:
            raise InvalidParam("query", raw, "UTF-8 percent-encoded query") from None
        except ValueError:
            raise InvalidParam("query", raw[:64],
                               f"query of at most {MAX_QUERY_FIELDS} fields") from None
        for k, v in pairs:
            out.setdefault(k, []).append(v)
    req.extensions[_QUERY_KEY] = out
    return out


@final
@dataclass(frozen=True, slots=True)
class QueryParam(Generic[T]):
    """One query parameter: the first value is used; `many` collects them all.

    Absent and `required` → 400 MissingParam; absent otherwise → `default`
    (`[]` when `many`). A value that does not parse or refine → 400 InvalidParam.
    """

    name: str
    parse: Callable[[str], Any]
    expected: str
    refine: Callable[[Any], bool] | None = None
    required: bool = True
    default: object = None
    many: bool = False

    def extract(self, req: Request) -> T:
        values = query_map(req).get(self.name)
        if self.many:
            return [self._one(v) for v in values or ()]  # type: ignore[return-value]
        if values is None:
            if self.required:
                raise MissingParam(self.name)
            return self.default  # type: ignore[return-value]
        return self._one(values[0])  # type: ignore[return-value]

    def _one(self, raw: str) -> object:
        try:
            value = self.parse(raw)
        except ValueError:
            raise InvalidParam(self.name, raw, self.expected) from None
        return _check(self.name, raw, value, self.expected, self.refine)

    def bind(self, param: ParamInfo) -> Getter:
        return self.extract

    @classmethod
    def int(cls, name: str, *, default: builtins.int | None = None,
            required: builtins.bool = True,
            refine: Callable[[builtins.int], builtins.bool] | None = None,
            expected: builtins.str = "integer") -> QueryParam[builtins.int]:
        return QueryParam(name, parse_int, expected, refine, required and default is None, default)

    @classmethod
    def str(cls, name: builtins.str, *, default: builtins.str | None = None,
            required: builtins.bool = True,
            refine: Callable[[builtins.str], builtins.bool] | None = None,
            expected: builtins.str = "string") -> QueryParam[builtins.str]:
        return QueryParam(name, parse_str, expected, refine, required and default is None, default)


@final
@dataclass(frozen=True, slots=True)
class FromQuery:
    """Marker: `T` required, `T | None` or a default → optional, `list[T]` → every value."""

    name: str | None = None

    def bind(self, param: ParamInfo) -> Getter:
        tp, optional = split_optional(param.type)
        many = get_origin(tp) is list
        if many:
            args = get_args(tp)
            tp = args[0] if args else str
        parse, expected = scalar_parser(tp)
        refine, expected = _all_refinements(None, param, expected)
        has_default = param.default is not NO_DEFAULT
        default = param.default if has_default else None
        required = not (optional or has_default or many)
        spec: QueryParam[object] = QueryParam(self.name or param.name, parse, expected, refine,
                                              required, default, many)
        return spec.extract


def query_text_optional(req: Request, name: str) -> str | None:
    """Verum's `query_text_optional`: the first value of `name`, if present."""
    values = query_map(req).get(name)
    return values[0] if values else None


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------

@final
@dataclass(frozen=True, slots=True)
class HeaderParam(Generic[T]):
    """A request header (repeated fields joined by `, `); missing and required → 400."""

    name: str
    parse: Callable[[str], Any]
    expected: str = "string"
    required: bool = True
    default: object = None

    def extract(self, req: Request) -> T:
        raw = req.headers.get(self.name)
        if raw is None:
            if self.required:
                raise MissingHeader(self.name)
            return self.default  # type: ignore[return-value]
        try:
            return self.parse(raw)  # type: ignore[no-any-return]
        except ValueError:
            raise InvalidHeader(self.name, raw, self.expected) from None

    def bind(self, param: ParamInfo) -> Getter:
        return self.extract


@final
@dataclass(frozen=True, slots=True)
class FromHeader:
    """Marker: the header `name`, or the parameter's name with `_` → `-` (`x_api_key`)."""

    name: str | None = None

    def bind(self, param: ParamInfo) -> Getter:
        tp, optional = split_optional(param.type)
        parse, expected = scalar_parser(tp)
        has_default = param.default is not NO_DEFAULT
        name = (self.name or param.name.replace("_", "-")).lower()
        spec: HeaderParam[object] = HeaderParam(name, parse, expected,
                                                not (optional or has_default),
                                                param.default if has_default else None)
        return spec.extract
