"""The error taxonomy: every failure on the request path becomes a response.

How this works:

* `problem()` renders an RFC 9457 `application/problem+json` response; it is
  the one place that knows the wire format, and layers call it directly.
* `WeftError` mirrors Verum's `core.net.weft.error.WeftError` sum type. Each
  variant is a small exception class, so Python code may `raise` it and the
  router turns it into a response, while generated code passes it by value
  inside `Err(...)`. The methods mirror Verum's (`category()`, `status()`,
  `public_message()`, `into_response()`) so the compiler can target them 1:1.
* `ExtractRejection` mirrors Verum's rejection sum type, plus the variants
  the JSON gates need (415, 422, position of a parse error). A rejection
  already knows its status and body (STYLE 9).

Invariant: a response body never carries server-side detail. Variants whose
reason describes the client's own input (`BadRequest`, `ExtractionRejected`,
every `ExtractRejection`) put it in `detail`; the others (`Internal`,
`UpstreamIo`) only ever show their generic public message.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar, final

from weft.http_types import Response

__all__ = [
    "BadRequest",
    "ExtractRejection",
    "ExtractionRejected",
    "Forbidden",
    "Internal",
    "InvalidBody",
    "InvalidHeader",
    "InvalidJson",
    "InvalidParam",
    "InvalidUtf8",
    "MethodNotAllowed",
    "MissingContext",
    "MissingHeader",
    "MissingParam",
    "Overloaded",
    "PayloadTooLarge",
    "PayloadTooLargeRejection",
    "RouteNotFound",
    "Timeout",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMediaType",
    "UpstreamIo",
    "WeftError",
    "WeftErrorCategory",
    "problem",
    "reason_phrase",
    "render_problem",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"
_RESERVED = frozenset({"type", "title", "status", "detail"})
# Echoed client input is capped so an error never amplifies a large request.
_ECHO_LIMIT = 200


def reason_phrase(status: int) -> str:
    """The IANA reason phrase for `status`, or a generic one for unknown codes."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error" if status >= 400 else "Status"


def _encode(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def problem(status: int, title: str | None = None, detail: str | None = None, *,
            type_: str = "about:blank", headers: list[tuple[str, str]] | None = None,
            **extensions: object) -> Response:
    """Render an RFC 9457 problem details response.

    `title` defaults to the status's reason phrase (RFC 9457 §4.2.1 asks for
    that when `type` is `about:blank`). Extension members are emitted after
    the standard ones and must be JSON-serialisable; they may not reuse a
    standard member name.
    """
    return render_problem(status, title, detail, type_, headers, extensions)


def render_problem(status: int, title: str | None, detail: str | None, type_: str,
                   headers: list[tuple[str, str]] | None,
                   extensions: Mapping[str, object]) -> Response:
    """`problem()` with the extension members passed as one mapping."""
    clash = _RESERVED.intersection(extensions)
    if clash:
        raise ValueError(f"problem(): extension members may not be named {sorted(clash)}")
    doc: dict[str, object] = {"type": type_, "title": title if title is not None else reason_phrase(status),
                              "status": status}
    if detail is not None:
        doc["detail"] = detail
    doc.update(extensions)
    hdrs = [("content-type", PROBLEM_CONTENT_TYPE)]
    if headers:
        hdrs.extend(headers)
    return Response(status, hdrs, _encode(doc))


def _echo(value: str) -> str:
    return value if len(value) <= _ECHO_LIMIT else value[:_ECHO_LIMIT] + "…"


# ---------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------

@final
class WeftErrorCategory(enum.Enum):
    """Coarse classification that retry and circuit-breaker layers act on."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"
    SECURITY = "security"
    CLIENT = "client"
    UPSTREAM = "upstream"
    # Aliases spelled as in Verum (`WeftErrorCategory.ErrTransient`).
    ErrTransient = "transient"
    ErrPermanent = "permanent"
    ErrSecurity = "security"
    ErrClient = "client"
    ErrUpstream = "upstream"

    def is_retryable(self) -> bool:
        """Transient and upstream failures may succeed when tried again."""
        return self in (WeftErrorCategory.TRANSIENT, WeftErrorCategory.UPSTREAM)

    def default_status(self) -> int:
        return _CATEGORY_STATUS[self.value]


_CATEGORY_STATUS = {"transient": 503, "permanent": 500, "security": 403, "client": 400,
                    "upstream": 502}


# ---------------------------------------------------------------------------
# WeftError: framework failures
# ---------------------------------------------------------------------------

class WeftError(Exception):
    """Base of the framework failure variants; raise one or return it in `Err`.

    Subclasses set `_status`, `_category` and `_public`; `detail()` is what
    the problem body says and defaults to the public message.
    """

    _status: ClassVar[int] = 500
    _category: ClassVar[WeftErrorCategory] = WeftErrorCategory.PERMANENT
    _public: ClassVar[str] = "internal error"

    def category(self) -> WeftErrorCategory:
        return self._category

    def status(self) -> int:
        return self._status

    def public_message(self) -> str:
        return self._public

    def detail(self) -> str:
        """The problem body's `detail`: never server-side information."""
        return self._public

    def response_headers(self) -> list[tuple[str, str]] | None:
        return None

    def into_response(self) -> Response:
        return problem(self._status, None, self.detail(), headers=self.response_headers())

    def __str__(self) -> str:
        return f"weft: {self._public}"


@final
@dataclass(unsafe_hash=True)
class BadRequest(WeftError):
    """The request is malformed in a way no extractor describes."""

    reason: str
    _status = 400
    _category = WeftErrorCategory.CLIENT
    _public = "bad request"

    def detail(self) -> str:
        return _echo(self.reason)

    def __str__(self) -> str:
        return f"weft: bad request ({self.reason})"


@final
@dataclass(unsafe_hash=True)
class RouteNotFound(WeftError):
    """No route's pattern matches the path."""

    _status = 404
    _category = WeftErrorCategory.CLIENT
    _public = "not found"


@final
@dataclass(unsafe_hash=True)
class MethodNotAllowed(WeftError):
    """The path matches but not for this method; `allowed` feeds `Allow`."""

    allowed: tuple[str, ...] = ()
    _status = 405
    _category = WeftErrorCategory.CLIENT
    _public = "method not allowed"

    def response_headers(self) -> list[tuple[str, str]] | None:
        return [("allow", ", ".join(self.allowed))]


@final
@dataclass(unsafe_hash=True)
class ExtractionRejected(WeftError):
    """An extractor refused the request (the text form of a rejection)."""

    reason: str
    _status = 400
    _category = WeftErrorCategory.CLIENT
    _public = "request validation failed"

    def detail(self) -> str:
        return _echo(self.reason)

    def __str__(self) -> str:
        return f"weft: extraction rejected ({self.reason})"


@final
@dataclass(unsafe_hash=True)
class Timeout(WeftError):
    """The handler did not finish within its deadline."""

    _status = 504
    _category = WeftErrorCategory.TRANSIENT
    _public = "gateway timeout"


@final
@dataclass(unsafe_hash=True)
class Overloaded(WeftError):
    """Load was shed; `retry_after` seconds, when known, become `Retry-After`."""

    retry_after: int | None = None
    _status = 503
    _category = WeftErrorCategory.TRANSIENT
    _public = "service unavailable"

    def response_headers(self) -> list[tuple[str, str]] | None:
        return None if self.retry_after is None else [("retry-after", str(self.retry_after))]


@final
@dataclass(unsafe_hash=True)
class TooManyRequests(WeftError):
    """A rate limit refused the request."""

    retry_after: int | None = None
    _status = 429
    _category = WeftErrorCategory.TRANSIENT
    _public = "too many requests"

    def response_headers(self) -> list[tuple[str, str]] | None:
        return None if self.retry_after is None else [("retry-after", str(self.retry_after))]


@final
@dataclass(unsafe_hash=True)
class UpstreamIo(WeftError):
    """A dependency failed; `reason` is for logs only, never the client."""

    reason: str
    _status = 502
    _category = WeftErrorCategory.UPSTREAM
    _public = "upstream unavailable"

    def __str__(self) -> str:
        return f"weft: upstream I/O error ({self.reason})"


@final
@dataclass(unsafe_hash=True)
class Internal(WeftError):
    """A bug or unexpected state; `reason` is for logs only, never the client."""

    reason: str = ""
    _status = 500
    _category = WeftErrorCategory.PERMANENT
    _public = "internal error"

    def __str__(self) -> str:
        return f"weft: internal error ({self.reason})"


@final
@dataclass(unsafe_hash=True)
class PayloadTooLarge(WeftError):
    """The body exceeds the configured cap (Verum Q16)."""

    limit: int | None = None
    _status = 413
    _category = WeftErrorCategory.CLIENT
    _public = "payload too large"

    def detail(self) -> str:
        return self._public if self.limit is None else f"payload exceeds {self.limit} bytes"


@final
@dataclass(unsafe_hash=True)
class Unauthorized(WeftError):
    """Credentials are missing or invalid; `challenge` becomes `WWW-Authenticate`."""

    reason: str = ""
    challenge: str | None = None
    _status = 401
    _category = WeftErrorCategory.SECURITY
    _public = "unauthorized"

    def response_headers(self) -> list[tuple[str, str]] | None:
        return None if self.challenge is None else [("www-authenticate", self.challenge)]


@final
@dataclass(unsafe_hash=True)
class Forbidden(WeftError):
    """The principal is known but not allowed; the reason stays server-side."""

    reason: str = ""
    _status = 403
    _category = WeftErrorCategory.SECURITY
    _public = "forbidden"


# ---------------------------------------------------------------------------
# ExtractRejection: an extractor's refusal, with its status and body
# ---------------------------------------------------------------------------

class ExtractRejection(Exception):
    """Base of the rejection variants. Extractors raise these; the router
    (or generated dispatch) answers with `into_response()`."""

    _status: ClassVar[int] = 400

    def status(self) -> int:
        return self._status

    def public_message(self) -> str:
        raise NotImplementedError

    def extensions(self) -> dict[str, object]:
        """Extra problem members that locate the fault for the client."""
        return {}

    def into_response(self) -> Response:
        return render_problem(self._status, None, self.public_message(), "about:blank", None,
                              self.extensions())

    def __str__(self) -> str:
        return self.public_message()


@final
@dataclass(unsafe_hash=True)
class MissingParam(ExtractRejection):
    name: str

    def public_message(self) -> str:
        return f"missing required parameter: {self.name}"

    def extensions(self) -> dict[str, object]:
        return {"param": self.name}


@final
@dataclass(unsafe_hash=True)
class InvalidParam(ExtractRejection):
    """A path or query value did not parse or failed its refinement."""

    name: str
    value: str
    expected: str

    def public_message(self) -> str:
        return f"parameter `{self.name}` = `{_echo(self.value)}` is not a valid {self.expected}"

    def extensions(self) -> dict[str, object]:
        return {"param": self.name, "value": _echo(self.value), "expected": self.expected}


@final
@dataclass(unsafe_hash=True)
class MissingHeader(ExtractRejection):
    name: str

    def public_message(self) -> str:
        return f"missing required header: {self.name}"

    def extensions(self) -> dict[str, object]:
        return {"header": self.name}


@final
@dataclass(unsafe_hash=True)
class InvalidHeader(ExtractRejection):
    name: str
    value: str
    expected: str

    def public_message(self) -> str:
        return f"header `{self.name}` = `{_echo(self.value)}` is not a valid {self.expected}"

    def extensions(self) -> dict[str, object]:
        return {"header": self.name, "expected": self.expected}


@final
@dataclass(unsafe_hash=True)
class InvalidBody(ExtractRejection):
    reason: str

    def public_message(self) -> str:
        return f"invalid request body: {self.reason}"


@final
@dataclass(unsafe_hash=True)
class InvalidUtf8(ExtractRejection):
    """The body is not UTF-8; `offset` is the first bad byte."""

    offset: int

    def public_message(self) -> str:
        return f"invalid request body: not UTF-8 at byte {self.offset}"

    def extensions(self) -> dict[str, object]:
        return {"offset": self.offset}


@final
@dataclass(unsafe_hash=True)
class InvalidJson(ExtractRejection):
    """The body is not JSON; the position is 1-based line/column and 0-based offset."""

    reason: str
    offset: int
    line: int
    column: int

    def public_message(self) -> str:
        return f"invalid JSON: {self.reason} at line {self.line} column {self.column}"

    def extensions(self) -> dict[str, object]:
        return {"offset": self.offset, "line": self.line, "column": self.column}


@final
@dataclass(unsafe_hash=True)
class PayloadTooLargeRejection(ExtractRejection):
    """Verum's `ExtractRejection.PayloadTooLarge(limit)` (renamed: the
    `WeftError` variant owns the short name in this flat namespace)."""

    limit: int
    _status = 413

    def public_message(self) -> str:
        return f"payload exceeds {self.limit} bytes"

    def extensions(self) -> dict[str, object]:
        return {"limit": self.limit}


@final
@dataclass(unsafe_hash=True)
class UnsupportedMediaType(ExtractRejection):
    """The body's content type is not one the extractor accepts."""

    actual: str | None
    expected: str
    _status = 415

    def public_message(self) -> str:
        got = "no content-type" if self.actual is None else f"content-type `{_echo(self.actual)}`"
        return f"expected {self.expected}, got {got}"

    def extensions(self) -> dict[str, object]:
        return {"expected": self.expected}


@final
@dataclass(unsafe_hash=True)
class Unprocessable(ExtractRejection):
    """Well-formed JSON of the wrong shape or failing a refinement; `path`
    names the bad field (`$.items[2].qty`)."""

    reason: str
    path: str = "$"
    _status = 422

    def public_message(self) -> str:
        return f"{self.path}: {self.reason}"

    def extensions(self) -> dict[str, object]:
        return {"path": self.path}


@final
@dataclass(unsafe_hash=True)
class MissingContext(ExtractRejection):
    """A handler needs a context the application did not provide: a server
    bug, so the client sees a 500 with no name in it."""

    name: str
    _status = 500

    def public_message(self) -> str:
        return f"required context not provided: {self.name}"

    def into_response(self) -> Response:
        return problem(500, None, "internal error")

