"""RFC 9457 rendering and the WeftError / ExtractRejection taxonomy."""

from __future__ import annotations

import json

import pytest
import weft.errors as errors
from weft.errors import (
    BadRequest,
    ExtractionRejected,
    ExtractRejection,
    Forbidden,
    Internal,
    InvalidBody,
    InvalidHeader,
    InvalidJson,
    InvalidParam,
    InvalidUtf8,
    MethodNotAllowed,
    MissingContext,
    MissingHeader,
    MissingParam,
    Overloaded,
    PayloadTooLarge,
    PayloadTooLargeRejection,
    RouteNotFound,
    Timeout,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    UpstreamIo,
    WeftError,
    WeftErrorCategory,
    problem,
)
from weft.http_types import Response


def body(resp: Response) -> dict[str, object]:
    assert resp.header("content-type") == "application/problem+json"
    doc = json.loads(resp.body)
    assert isinstance(doc, dict)
    return doc


def test_problem_defaults_title_to_reason_phrase() -> None:
    resp = problem(404)
    assert resp.status == 404
    assert body(resp) == {"type": "about:blank", "title": "Not Found", "status": 404}


def test_problem_full() -> None:
    resp = problem(409, "Conflict!", "the thing exists", type_="https://e.x/conflict",
                   headers=[("x-a", "1")], instance="/things/1", count=3)
    assert body(resp) == {"type": "https://e.x/conflict", "title": "Conflict!", "status": 409,
                          "detail": "the thing exists", "instance": "/things/1", "count": 3}
    assert resp.header("x-a") == "1"
    # standard members come first, in RFC order
    assert list(body(resp))[:4] == ["type", "title", "status", "detail"]


def test_problem_rejects_reserved_extension() -> None:
    with pytest.raises(ValueError, match="type"):
        problem(400, type="x")


def test_problem_unknown_status_phrase() -> None:
    assert body(problem(599))["title"] == "Error"


def test_problem_non_ascii_is_utf8() -> None:
    resp = problem(400, detail="naïve ✓")
    assert "naïve ✓".encode() in resp.body


@pytest.mark.parametrize(("err", "status", "category"), [
    (BadRequest("x"), 400, WeftErrorCategory.CLIENT),
    (RouteNotFound(), 404, WeftErrorCategory.CLIENT),
    (MethodNotAllowed(("GET",)), 405, WeftErrorCategory.CLIENT),
    (ExtractionRejected("x"), 400, WeftErrorCategory.CLIENT),
    (Timeout(), 504, WeftErrorCategory.TRANSIENT),
    (Overloaded(), 503, WeftErrorCategory.TRANSIENT),
    (TooManyRequests(), 429, WeftErrorCategory.TRANSIENT),
    (UpstreamIo("db down"), 502, WeftErrorCategory.UPSTREAM),
    (Internal("boom"), 500, WeftErrorCategory.PERMANENT),
    (PayloadTooLarge(10), 413, WeftErrorCategory.CLIENT),
    (Unauthorized(), 401, WeftErrorCategory.SECURITY),
    (Forbidden(), 403, WeftErrorCategory.SECURITY),
])
def test_weft_error_status_category_and_body(err: WeftError, status: int,
                                             category: WeftErrorCategory) -> None:
    assert err.status() == status
    assert err.category() is category
    resp = err.into_response()
    assert resp.status == status
    doc = body(resp)
    assert doc["status"] == status
    assert isinstance(doc["detail"], str)


def test_verum_public_messages() -> None:
    assert BadRequest("r").public_message() == "bad request"
    assert RouteNotFound().public_message() == "not found"
    assert MethodNotAllowed().public_message() == "method not allowed"
    assert ExtractionRejected("r").public_message() == "request validation failed"
    assert Timeout().public_message() == "gateway timeout"
    assert Overloaded().public_message() == "service unavailable"
    assert UpstreamIo("r").public_message() == "upstream unavailable"
    assert Internal("r").public_message() == "internal error"


def test_internal_details_never_leak() -> None:
    for err in (Internal("password=hunter2 at db1.internal"), UpstreamIo("db1.internal:5432 refused"),
                Forbidden("user 7 is not in group admins")):
        resp = err.into_response()
        assert b"hunter2" not in resp.body and b"db1" not in resp.body and b"admins" not in resp.body
    # but the reason is kept for logs
    assert "hunter2" in str(Internal("password=hunter2"))


def test_client_reasons_are_shown() -> None:
    assert body(BadRequest("missing name").into_response())["detail"] == "missing name"
    assert body(ExtractionRejected("id must be > 0").into_response())["detail"] == "id must be > 0"


def test_error_headers() -> None:
    assert MethodNotAllowed(("GET", "HEAD")).into_response().header("allow") == "GET, HEAD"
    assert Overloaded(3).into_response().header("retry-after") == "3"
    assert Overloaded().into_response().header("retry-after") is None
    assert TooManyRequests(1).into_response().header("retry-after") == "1"
    resp = Unauthorized(challenge='Bearer realm="api"').into_response()
    assert resp.header("www-authenticate") == 'Bearer realm="api"'


def test_category_retryable_and_verum_aliases() -> None:
    assert WeftErrorCategory.TRANSIENT.is_retryable()
    assert WeftErrorCategory.UPSTREAM.is_retryable()
    assert not WeftErrorCategory.CLIENT.is_retryable()
    assert not WeftErrorCategory.SECURITY.is_retryable()
    assert not WeftErrorCategory.PERMANENT.is_retryable()
    assert WeftErrorCategory["ErrTransient"] is WeftErrorCategory.TRANSIENT
    assert WeftErrorCategory["ErrUpstream"] is WeftErrorCategory.UPSTREAM
    assert [c.default_status() for c in WeftErrorCategory] == [503, 500, 403, 400, 502]


def test_errors_are_raisable_values_with_equality() -> None:
    with pytest.raises(WeftError) as info:
        raise BadRequest("x")
    assert info.value == BadRequest("x")
    assert BadRequest("x") != BadRequest("y")
    assert RouteNotFound() == RouteNotFound()
    assert hash(BadRequest("x")) == hash(BadRequest("x"))
    assert str(Timeout()) == "weft: gateway timeout"
    match BadRequest("why"):
        case BadRequest(reason):
            assert reason == "why"


@pytest.mark.parametrize(("rej", "status", "fragment", "ext"), [
    (MissingParam("id"), 400, "missing required parameter: id", {"param": "id"}),
    (InvalidParam("id", "abc", "integer"), 400, "`id` = `abc` is not a valid integer",
     {"param": "id", "value": "abc", "expected": "integer"}),
    (MissingHeader("x-key"), 400, "missing required header: x-key", {"header": "x-key"}),
    (InvalidHeader("x-n", "q", "integer"), 400, "header `x-n`", {"header": "x-n"}),
    (InvalidBody("nope"), 400, "invalid request body: nope", {}),
    (InvalidUtf8(3), 400, "not UTF-8 at byte 3", {"offset": 3}),
    (InvalidJson("Expecting value", 5, 1, 6), 400, "line 1 column 6",
     {"offset": 5, "line": 1, "column": 6}),
    (PayloadTooLargeRejection(1024), 413, "payload exceeds 1024 bytes", {"limit": 1024}),
    (UnsupportedMediaType("text/plain", "application/json"), 415, "expected application/json",
     {"expected": "application/json"}),
    (UnsupportedMediaType(None, "application/json"), 415, "no content-type", {}),
    (Unprocessable("expected integer", "$.a[1]"), 422, "$.a[1]: expected integer",
     {"path": "$.a[1]"}),
])
def test_rejections(rej: ExtractRejection, status: int, fragment: str,
                    ext: dict[str, object]) -> None:
    assert rej.status() == status
    resp = rej.into_response()
    assert resp.status == status
    doc = body(resp)
    assert fragment in str(doc["detail"])
    for k, v in ext.items():
        assert doc[k] == v
    assert str(rej) == rej.public_message()


def test_missing_context_is_a_server_error_without_names() -> None:
    resp = MissingContext("Database").into_response()
    assert resp.status == 500
    assert b"Database" not in resp.body


def test_echoed_values_are_capped() -> None:
    resp = InvalidParam("q", "x" * 10_000, "integer").into_response()
    assert len(resp.body) < 1000


def test_exports_pinned() -> None:
    assert sorted(errors.__all__) == errors.__all__
    for name in errors.__all__:
        assert hasattr(errors, name)
