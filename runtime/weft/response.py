"""Response builders and `into_response`, the IntoResponse protocol.

A handler may return anything `into_response` accepts; the router calls it
once on the way out. The type checks run most-common first and compare
exact types, so the usual `str`/`dict`/`Response` return costs one or two
`is` tests. Builders never set `content-length`: the serializer derives it
from the body (and uses chunked coding for a stream).

Mapping (Verum's `IntoResponse` impls plus Python's natural values):

=============================  ==============================================
value                          response
=============================  ==============================================
`Response`                     itself
`str`                          200 `text/plain; charset=utf-8`
`bytes` / `bytearray`          200 `application/octet-stream`
`dict` / `list` / dataclass     200 `application/json`
`None`                         200, empty body (Verum's `()` → `resp_ok()`)
`HTTPStatus`                   that status, empty body (Verum's `StatusCode`)
`(status, body)`               `body`'s response with `status`
`(status, headers, body)`      same, with extra headers appended
`Ok(v)` / `Err(e)`             `into_response(v)` / `into_response(e)`
object with `into_response()`  whatever it returns (`WeftError`,
                               `ExtractRejection`, user types)
=============================  ==============================================

A bare `int` is refused: it is ambiguous between a status and a JSON number.
"""

from __future__ import annotations

import dataclasses
import json as _json
from collections.abc import AsyncIterable, Iterable
from http import HTTPStatus
from typing import Final, Protocol, runtime_checkable

from weft.http_types import Response, body_response
from weft.result import Err, Ok

__all__ = [
    "IntoResponse",
    "bytes_",
    "html",
    "into_response",
    "json",
    "redirect",
    "status",
    "stream",
    "text",
    "with_header",
    "with_headers",
]

TEXT_PLAIN = "text/plain; charset=utf-8"
TEXT_HTML = "text/html; charset=utf-8"
APPLICATION_JSON = "application/json"
OCTET_STREAM = "application/octet-stream"

# One immutable field per common content type: the header list each response
# gets is new (handlers may append to it), its item is shared, so building it
# is one list and the serializer's block cache hashes the same tuple.
#: the header `into_response` gives a str (shared: the router's C twin gives it too)
TEXT_HEADER: Final = ("content-type", TEXT_PLAIN)
_CT_JSON = ("content-type", APPLICATION_JSON)
_CT_OCTETS = ("content-type", OCTET_STREAM)



def _default(value: object) -> object:
    """Encode dataclass instances as objects; everything else is an error."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = _json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_default).encode


@runtime_checkable
class IntoResponse(Protocol):
    """A value that knows how to become a response."""

    def into_response(self) -> Response: ...


def _headers(content_type: str, extra: Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    hdrs = [("content-type", content_type)]
    if extra:
        hdrs.extend(extra)
    return hdrs


def text(body: str, status: int = 200, headers: Iterable[tuple[str, str]] | None = None) -> Response:
    """A UTF-8 plain-text response."""
    return Response(status, _headers(TEXT_PLAIN, headers), body.encode("utf-8"))


def html(body: str, status: int = 200, headers: Iterable[tuple[str, str]] | None = None) -> Response:
    """A UTF-8 HTML response."""
    return Response(status, _headers(TEXT_HTML, headers), body.encode("utf-8"))


def json(value: object, status: int = 200,
         headers: Iterable[tuple[str, str]] | None = None) -> Response:
    """A compact JSON response; non-ASCII is sent as UTF-8, not escaped."""
    return Response(status, _headers(APPLICATION_JSON, headers), _dumps(value).encode("utf-8"))


def status(code: int, headers: Iterable[tuple[str, str]] | None = None) -> Response:
    """A response with only a status (and optional headers)."""
    return Response(code, list(headers) if headers else [])


def bytes_(body: bytes, status: int = 200, content_type: str = OCTET_STREAM,
           headers: Iterable[tuple[str, str]] | None = None) -> Response:
    """Raw bytes with an explicit content type."""
    return Response(status, _headers(content_type, headers), bytes(body))


def redirect(location: str, status: int = 307) -> Response:
    """A redirect; 307/308 keep the method, 301/302/303 may turn it into GET."""
    if status not in (301, 302, 303, 307, 308):
        raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, not {status}")
    if "\r" in location or "\n" in location:
        raise ValueError("redirect location may not contain CR or LF")
    return Response(status, [("location", location)])


def stream(chunks: AsyncIterable[bytes], status: int = 200, content_type: str = OCTET_STREAM,
           headers: Iterable[tuple[str, str]] | None = None) -> Response:
    """A streamed body: sent chunked on HTTP/1.1 unless a content-length is set."""
    return Response(status, _headers(content_type, headers), b"", chunks)


def with_header(resp: Response, name: str, value: str) -> Response:
    """Append one header and return the same response (for chaining)."""
    resp.headers.append((name, value))
    return resp


def with_headers(resp: Response, headers: Iterable[tuple[str, str]]) -> Response:
    """Append several headers and return the same response."""
    resp.headers.extend(headers)
    return resp


def into_response(value: object) -> Response:
    """Turn a handler's return value into a `Response` (table in the module doc)."""
    t = type(value)
    if t is Response:
        return value  # type: ignore[return-value]  # exact type checked above
    if t is str:
        return body_response(200, [TEXT_HEADER], value.encode("utf-8"))  # type: ignore[attr-defined]
    if t is dict or t is list:
        return body_response(200, [_CT_JSON], _dumps(value).encode("utf-8"))
    if value is None:
        return body_response(200, [], b"")
    if t is bytes or t is bytearray or t is memoryview:
        return body_response(200, [_CT_OCTETS], bytes(value))  # type: ignore[call-overload]
    if t is tuple:
        return _from_tuple(value)  # type: ignore[arg-type]
    if t is Ok:
        return into_response(value.value)  # type: ignore[attr-defined]
    if t is Err:
        return into_response(value.error)  # type: ignore[attr-defined]
    if isinstance(value, HTTPStatus):
        return Response(int(value), [])
    if isinstance(value, Response):
        return value
    method = getattr(value, "into_response", None)
    if method is not None:
        out = method()
        if not isinstance(out, Response):
            raise TypeError(f"{t.__name__}.into_response() returned {type(out).__name__}, "
                            "not a Response")
        return out
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict | list) or (dataclasses.is_dataclass(value)
                                          and not isinstance(value, type)):
        return json(value)
    if t is int or t is bool or t is float:
        raise TypeError(f"a handler returned the bare number {value!r}; return "
                        "weft.response.status(n) for a status or weft.response.json(n) for JSON")
    if hasattr(value, "__await__"):
        raise TypeError(f"a handler returned an awaitable {t.__name__}; declare it `async def` "
                        "or await the value before returning")
    raise TypeError(f"cannot turn a {t.__name__} into a response; return a Response, str, bytes, "
                    "dict, list, None, (status, body) or an object with into_response()")


def _from_tuple(value: tuple[object, ...]) -> Response:
    if len(value) == 2:
        code, body = value
        extra: object = None
    elif len(value) == 3:
        code, extra, body = value
    else:
        raise TypeError(f"a response tuple has 2 or 3 items (status, [headers,] body), not {len(value)}")
    if not isinstance(code, int):
        raise TypeError(f"the first item of a response tuple is the status, not {type(code).__name__}")
    resp = into_response(body)
    resp.status = int(code)
    if extra is not None:
        if isinstance(extra, dict):
            resp.headers.extend((str(k), str(v)) for k, v in extra.items())
        elif isinstance(extra, list | tuple):
            resp.headers.extend((str(k), str(v)) for k, v in extra)
        else:
            raise TypeError("the headers of a response tuple are a dict or a list of pairs")
    return resp
