"""Verum's `extract_json<T>` and `JsonExtractError` (`core.net.weft.json_extractor`).

The runtime's JSON gates (`weft.extract.body.decode_json`) raise
`ExtractRejection`s; Verum programs match on `JsonExtractError` variants
instead (`Err(JsonExtractError.PayloadTooLarge { len, cap })`). This module
runs the same five gates and reports the Verum variant, each of which
answers HTTP exactly as the runtime's rejection does (`into_response`).

Verum passes the target type as a type argument; Python needs it as a
value, so the compiler emits `extract_json(JsonTarget[T](T), req, cfg)`:
the runtime form drives the converter, the type argument keeps mypy's `T`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar, final

from weft.errors import (
    ExtractRejection,
    InvalidBody,
    InvalidJson,
    InvalidUtf8,
    PayloadTooLargeRejection,
    Unprocessable,
    UnsupportedMediaType,
)
from weft.extract.body import JsonExtractorConfig, decode_json
from weft.extract.materialise import converter_for, run
from weft.http_types import Request, Response
from weft.result import Err, Ok, Result

__all__ = [
    "InvalidUtf8Body",
    "JsonError",
    "JsonExtractError",
    "JsonTarget",
    "MissingContentType",
    "ParseError",
    "PayloadTooLarge",
    "RefinementViolation",
    "ShapeMismatch",
    "WrongContentType",
    "extract_json",
    "into_response",
]

T = TypeVar("T")
_MEDIA = "application/json"
# The materialiser words a failed field refinement this way (`_annotated`).
_REFINEMENT_MARK = " does not satisfy "


@final
class JsonTarget(Generic[T]):
    """A target type as a value: `form` is what the converter reads (`list[int]`).

    A plain slotted class: `JsonTarget[int](int)` sets `__orig_class__`,
    which a frozen slotted dataclass refuses with a TypeError."""

    __slots__ = ("form",)

    def __init__(self, form: object) -> None:
        self.form = form


@final
@dataclass(frozen=True, slots=True)
class JsonError:
    """Where the JSON syntax broke: 1-based line and column."""

    message: str
    line: int
    column: int


@final
@dataclass(frozen=True, slots=True)
class MissingContentType:
    def into_response(self) -> Response:
        return UnsupportedMediaType(None, _MEDIA).into_response()


@final
@dataclass(frozen=True, slots=True)
class WrongContentType:
    actual: str

    def into_response(self) -> Response:
        return UnsupportedMediaType(self.actual, _MEDIA).into_response()


@final
@dataclass(frozen=True, slots=True)
class PayloadTooLarge:
    len: int
    cap: int

    def into_response(self) -> Response:
        return PayloadTooLargeRejection(self.cap).into_response()


@final
@dataclass(frozen=True, slots=True)
class InvalidUtf8Body:
    """Verum's `JsonExtractError.InvalidUtf8` (renamed: `weft.errors` owns the name)."""

    offset: int

    def into_response(self) -> Response:
        return InvalidUtf8(self.offset).into_response()


@final
@dataclass(frozen=True, slots=True)
class ParseError:
    json_err: JsonError

    def into_response(self) -> Response:
        e = self.json_err
        return InvalidJson(e.message, 0, e.line, e.column).into_response()


@final
@dataclass(frozen=True, slots=True)
class ShapeMismatch:
    reason: str
    path: str

    def into_response(self) -> Response:
        return Unprocessable(self.reason, self.path).into_response()


@final
@dataclass(frozen=True, slots=True)
class RefinementViolation:
    reason: str
    path: str

    def into_response(self) -> Response:
        return Unprocessable(self.reason, self.path).into_response()


JsonExtractError = (MissingContentType | WrongContentType | PayloadTooLarge | InvalidUtf8Body
                    | ParseError | ShapeMismatch | RefinementViolation)


def into_response(error: JsonExtractError) -> Response:
    """Verum's `IntoResponse for JsonExtractError` (the union alias has no methods)."""
    return error.into_response()


def _verum_error(rejection: ExtractRejection, body_len: int) -> JsonExtractError:
    match rejection:
        case UnsupportedMediaType(actual=None):
            return MissingContentType()
        case UnsupportedMediaType(actual=str(actual)):
            return WrongContentType(actual)
        case PayloadTooLargeRejection(limit=cap):
            return PayloadTooLarge(body_len, cap)
        case InvalidUtf8(offset=offset):
            return InvalidUtf8Body(offset)
        case InvalidJson(reason=reason, line=line, column=column):
            return ParseError(JsonError(reason, line, column))
        case InvalidBody(reason=reason):  # NaN/Infinity, nesting too deep
            return ParseError(JsonError(reason, 0, 0))
        case Unprocessable(reason=reason, path=path) if _REFINEMENT_MARK in reason:
            return RefinementViolation(reason, path)
        case Unprocessable(reason=reason, path=path):
            return ShapeMismatch(reason, path)
    raise TypeError(f"decode_json raised an unexpected rejection: {rejection!r}")


def extract_json(target: JsonTarget[T], req: Request,
                 config: JsonExtractorConfig) -> Result[T, JsonExtractError]:
    """The body as a `T`, or the first gate it failed, as a Verum variant."""
    try:
        value = run(converter_for(target.form), decode_json(req, config))
    except ExtractRejection as e:
        return Err(_verum_error(e, len(req.body)))
    return Ok(value)  # type: ignore[arg-type]  # the converter built for T returns a T
