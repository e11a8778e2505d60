"""Response builders, `into_response`, and the Ok/Err result type."""

from __future__ import annotations

import asyncio
import json as stdjson
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from weft import response as r
from weft.errors import BadRequest, MissingParam
from weft.http_types import Response
from weft.result import Err, Ok, Result, UnwrapError


def test_text_html_json_bytes() -> None:
    t = r.text("héllo", 201, [("x-a", "1")])
    assert (t.status, t.body, t.headers) == (
        201, "héllo".encode(), [("content-type", "text/plain; charset=utf-8"), ("x-a", "1")])
    assert r.html("<b>x</b>").header("content-type") == "text/html; charset=utf-8"
    j = r.json({"a": [1, 2], "é": None})
    assert j.header("content-type") == "application/json"
    assert j.body == '{"a":[1,2],"é":null}'.encode()
    b = r.bytes_(b"\x00\x01", content_type="image/png")
    assert (b.body, b.header("content-type")) == (b"\x00\x01", "image/png")
    assert r.status(204).status == 204 and r.status(204).body == b""


def test_builders_do_not_set_content_length() -> None:
    for resp in (r.text("x"), r.json([1]), r.html("x"), r.bytes_(b"x")):
        assert resp.header("content-length") is None


def test_json_dataclass() -> None:
    @dataclass
    class P:
        x: int
        tags: list[str]
    assert stdjson.loads(r.json(P(1, ["a"])).body) == {"x": 1, "tags": ["a"]}
    with pytest.raises(TypeError):
        r.json(object())


def test_redirect() -> None:
    resp = r.redirect("/new")
    assert resp.status == 307 and resp.header("location") == "/new"
    assert r.redirect("/x", 301).status == 301
    with pytest.raises(ValueError):
        r.redirect("/x", 200)
    with pytest.raises(ValueError):
        r.redirect("/x\r\nSet-Cookie: a=b")


def test_stream() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"
    resp = r.stream(gen(), content_type="text/plain")
    assert resp.stream is not None and resp.body == b""

    async def collect() -> bytes:
        assert resp.stream is not None
        return b"".join([c async for c in resp.stream])
    assert asyncio.run(collect()) == b"ab"


def test_with_headers() -> None:
    resp = r.with_headers(r.with_header(r.text("x"), "x-a", "1"), [("x-b", "2")])
    assert resp.header("x-a") == "1" and resp.header("x-b") == "2"


@pytest.mark.parametrize(("value", "status", "ctype", "body"), [
    ("hi", 200, "text/plain; charset=utf-8", b"hi"),
    (b"\x00", 200, "application/octet-stream", b"\x00"),
    (bytearray(b"z"), 200, "application/octet-stream", b"z"),
    ({"a": 1}, 200, "application/json", b'{"a":1}'),
    ([1, "x"], 200, "application/json", b'[1,"x"]'),
    (None, 200, None, b""),
    (HTTPStatus.NO_CONTENT, 204, None, b""),
    ((201, {"id": 1}), 201, "application/json", b'{"id":1}'),
    ((202, [("x-a", "1")], "ok"), 202, "text/plain; charset=utf-8", b"ok"),
    ((202, {"x-a": "1"}, "ok"), 202, "text/plain; charset=utf-8", b"ok"),
    (Ok("fine"), 200, "text/plain; charset=utf-8", b"fine"),
])
def test_into_response(value: object, status: int, ctype: str | None, body: bytes) -> None:
    resp = r.into_response(value)
    assert (resp.status, resp.header("content-type"), resp.body) == (status, ctype, body)


def test_into_response_passthrough_and_protocol() -> None:
    orig = Response(418)
    assert r.into_response(orig) is orig

    class Teapot:
        def into_response(self) -> Response:
            return Response(418, [], b"short and stout")
    assert isinstance(Teapot(), r.IntoResponse)
    assert r.into_response(Teapot()).status == 418
    err = r.into_response(Err(BadRequest("bad")))
    assert err.status == 400 and err.header("content-type") == "application/problem+json"
    assert r.into_response(MissingParam("id")).status == 400
    assert r.into_response(Err(MissingParam("id"))).status == 400
    assert r.into_response((200, [("x-h", "1")], Err(BadRequest("b")))).header("x-h") == "1"


def test_into_response_subclasses() -> None:
    class S(str):
        pass
    assert r.into_response(S("x")).body == b"x"


def test_into_response_refusals() -> None:
    with pytest.raises(TypeError, match="bare number"):
        r.into_response(42)
    with pytest.raises(TypeError, match="cannot turn"):
        r.into_response(object())
    with pytest.raises(TypeError, match="2 or 3 items"):
        r.into_response((1, 2, 3, 4))
    with pytest.raises(TypeError, match="status"):
        r.into_response(("200", "x"))

    class Wrong:
        def into_response(self) -> object:
            return "not a response"
    with pytest.raises(TypeError, match="not a Response"):
        r.into_response(Wrong())

    async def coro() -> str:
        return "x"
    c = coro()
    with pytest.raises(TypeError, match="awaitable"):
        r.into_response(c)
    c.close()


def _half(n: int) -> Result[int, str]:
    return Ok(n // 2) if n % 2 == 0 else Err(f"{n} is odd")


def test_result_helpers() -> None:
    ok, err = _half(4), _half(3)
    assert ok.is_ok() and not ok.is_err() and err.is_err() and not err.is_ok()
    assert ok.unwrap() == 2 and err.unwrap_err() == "3 is odd"
    assert ok.unwrap_or(0) == 2 and err.unwrap_or(0) == 0
    assert err.unwrap_or_else(len) == 8
    assert ok.map(lambda v: v + 1) == Ok(3) and err.map(lambda v: v + 1) == err
    assert err.map_err(str.upper) == Err("3 IS ODD") and ok.map_err(str.upper) == ok
    assert ok.and_then(_half) == Ok(1) and _half(2).and_then(_half) == Err("1 is odd")
    assert err.and_then(_half) == err
    assert ok.ok() == 2 and ok.err() is None and err.ok() is None and err.err() == "3 is odd"
    with pytest.raises(UnwrapError):
        err.unwrap()
    with pytest.raises(UnwrapError):
        ok.unwrap_err()
    with pytest.raises(UnwrapError) as info:
        Err(ValueError("v")).unwrap()
    assert isinstance(info.value.__cause__, ValueError)
    match ok:
        case Ok(v):
            assert v == 2
        case Err(_):
            pytest.fail("not an error")


def test_result_is_frozen() -> None:
    import dataclasses
    with pytest.raises(dataclasses.FrozenInstanceError):
        Ok(1).value = 2  # type: ignore[misc]
