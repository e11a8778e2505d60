"""Body extractors: raw bytes, UTF-8 text, and JSON behind five gates.

The JSON gates run in a fixed order, so a client always learns about the
first thing wrong with its request:

1. content type — `application/json` or any `application/*+json`  → 415
2. size         — at most `max_body_bytes` (default 1 MiB)         → 413
3. encoding     — valid UTF-8                                       → 400
4. syntax       — RFC 8259 JSON (no NaN/Infinity), with position    → 400
5. shape        — materialised into the target type                → 422, naming the field

The request body is already buffered by the protocol layer (under its own
limit); gate 2 is the per-route cap.
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, replace
from typing import Annotated, Generic, TypeVar, final

from weft.errors import (
    ExtractRejection,
    InvalidBody,
    InvalidJson,
    InvalidUtf8,
    PayloadTooLargeRejection,
    UnsupportedMediaType,
)
from weft.extract.base import Getter, ParamInfo, refinements
from weft.extract.materialise import Converter, converter_for, run
from weft.http_types import Request
from weft.result import Err, Ok, Result

__all__ = [
    "FromBody",
    "FromJson",
    "FromText",
    "JsonBody",
    "JsonExtractorConfig",
    "body_bytes",
    "body_text",
    "decode_json",
    "extract_json",
    "is_json_content_type",
]

T = TypeVar("T")


@final
@dataclass(frozen=True, slots=True)
class JsonExtractorConfig:
    """Per-route JSON limits (Verum's `JsonExtractorConfig`)."""

    max_body_bytes: int = 1024 * 1024
    accept_plus_json: bool = True
    require_content_type: bool = True

    @classmethod
    def default(cls) -> JsonExtractorConfig:
        return cls()

    def with_max_body_bytes(self, n: int) -> JsonExtractorConfig:
        return replace(self, max_body_bytes=n)

    def relaxed_content_type(self) -> JsonExtractorConfig:
        """Accept a body with no content-type header (a wrong one is still refused)."""
        return replace(self, require_content_type=False)


DEFAULT_JSON = JsonExtractorConfig()
_EXPECTED_MEDIA = "application/json"


def is_json_content_type(value: str, accept_plus_json: bool = True) -> bool:
    """True for `application/json` and, if allowed, `application/<x>+json` (parameters ignored)."""
    media = value.split(";", 1)[0].strip().lower()
    if media == "application/json":
        return True
    return accept_plus_json and media.startswith("application/") and media.endswith("+json")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


_decode = _json.JSONDecoder(parse_constant=_reject_constant).decode


def decode_json(req: Request, config: JsonExtractorConfig = DEFAULT_JSON) -> object:
    """Gates 1 to 4: the parsed document, or an `ExtractRejection` raised."""
    ct = req.headers.get("content-type")
    if ct is None:
        if config.require_content_type:
            raise UnsupportedMediaType(None, _EXPECTED_MEDIA)
    elif not is_json_content_type(ct, config.accept_plus_json):
        raise UnsupportedMediaType(ct, _EXPECTED_MEDIA)
    body = req.body
    if len(body) > config.max_body_bytes:
        raise PayloadTooLargeRejection(config.max_body_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidUtf8(e.start) from None
    try:
        return _decode(text)
    except _json.JSONDecodeError as e:
        raise InvalidJson(e.msg, e.pos, e.lineno, e.colno) from None
    except RecursionError:
        raise InvalidBody("JSON nested too deeply") from None
    except ValueError as e:  # NaN/Infinity, or an integer too long to convert
        raise InvalidBody(str(e)[:200]) from None


@final
@dataclass(frozen=True, slots=True)
class JsonBody(Generic[T]):
    """A JSON extractor for one target type, compiled once."""

    target: object
    convert: Converter
    config: JsonExtractorConfig = DEFAULT_JSON

    @classmethod
    def of(cls, target: type[T], config: JsonExtractorConfig = DEFAULT_JSON) -> JsonBody[T]:
        return cls(target, converter_for(target), config)

    def extract(self, req: Request) -> T:
        return run(self.convert, decode_json(req, self.config))  # type: ignore[return-value]


def extract_json(req: Request, target: type[T],
                 config: JsonExtractorConfig = DEFAULT_JSON) -> Result[T, ExtractRejection]:
    """Verum's `extract_json<T>`: the value, or the rejection, as a `Result`."""
    try:
        return Ok(run(converter_for(target), decode_json(req, config)))  # type: ignore[arg-type]
    except ExtractRejection as e:
        return Err(e)


def body_bytes(req: Request) -> bytes:
    return req.body


def body_text(req: Request) -> str:
    """The body as UTF-8 text, or `InvalidUtf8` (400)."""
    try:
        return req.body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidUtf8(e.start) from None


# ---------------------------------------------------------------------------
# Markers (used through the aliases in `weft.extract`)
# ---------------------------------------------------------------------------

@final
@dataclass(frozen=True, slots=True)
class FromJson:
    """Fill the parameter from the JSON body, materialised into its type."""

    config: JsonExtractorConfig = DEFAULT_JSON

    def bind(self, param: ParamInfo) -> Getter:
        tp = param.type
        refs = refinements(param.metadata)
        if refs:
            tp = Annotated[(tp, *refs)]
        return JsonBody(tp, converter_for(tp), self.config).extract


@final
@dataclass(frozen=True, slots=True)
class FromBody:
    """Fill the parameter with the raw body bytes."""

    def bind(self, param: ParamInfo) -> Getter:
        if param.type not in (bytes, object):
            raise TypeError(f"{param.handler}: `{param.name}` takes the raw body, so it is bytes, "
                            f"not {param.type!r}")
        return body_bytes


@final
@dataclass(frozen=True, slots=True)
class FromText:
    """Fill the parameter with the body decoded as UTF-8."""

    def bind(self, param: ParamInfo) -> Getter:
        if param.type not in (str, object):
            raise TypeError(f"{param.handler}: `{param.name}` takes the body text, so it is str, "
                            f"not {param.type!r}")
        return body_text
