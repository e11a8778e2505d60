"""Path, query and header extractors, direct and declarative (bound by the router)."""

from __future__ import annotations

import asyncio
import enum
import json
from dataclasses import dataclass
from typing import Annotated, Literal

import pytest
from weft.errors import InvalidHeader, InvalidParam, MissingHeader, MissingParam
from weft.extract import (
    Body,
    FromHeader,
    FromJson,
    FromPath,
    Header,
    HeaderParam,
    Json,
    JsonExtractorConfig,
    Path,
    PathParam,
    Query,
    QueryParam,
    Refine,
    Text,
    path_int,
    query_map,
    query_text_optional,
)
from weft.extract.scalars import parse_bool, parse_float, parse_int, scalar_parser
from weft.http_types import Headers, Request, Response
from weft.router import Router


class Kind(enum.Enum):
    A = "a"
    B = "b"


@dataclass
class Item:
    name: str


def call(router: Router, req: Request) -> tuple[int, object]:
    resp = asyncio.run(router(req))
    ctype = resp.header("content-type") or ""
    return resp.status, json.loads(resp.body) if "json" in ctype else resp.body


def with_params(**params: str) -> Request:
    req = Request("GET", "/")
    req.path_params = dict(params)
    return req


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("-12", -12), ("123456789012345678901", 123456789012345678901)])
def test_parse_int_ok(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["", " 1", "1_000", "+1", "1.0", "١٢", "0x1", "-"])
def test_parse_int_strict(text: str) -> None:
    with pytest.raises(ValueError):
        parse_int(text)


def test_parse_float_and_bool() -> None:
    assert parse_float("1.5e3") == 1500.0 and parse_float("-.5") == -0.5 and parse_float("2") == 2.0
    for bad in ("nan", "inf", "1_0", "", "1e999"):
        with pytest.raises(ValueError):
            parse_float(bad)
    assert parse_bool("TRUE") is True and parse_bool("0") is False
    with pytest.raises(ValueError):
        parse_bool("yes")


def test_scalar_parser_enum_literal_and_refusal() -> None:
    parse, expected = scalar_parser(Kind)
    assert parse("b") is Kind.B and expected == "one of a, b"
    parse, _ = scalar_parser(Literal["x", "y"])
    assert parse("x") == "x"
    with pytest.raises(ValueError):
        parse("z")
    with pytest.raises(TypeError):
        scalar_parser(list)
    with pytest.raises(TypeError):
        scalar_parser(Literal[1])


def test_path_param_refinement_names_the_refinement() -> None:
    spec = PathParam.int("id", refine=lambda n: 1 <= n <= 10**9,
                         expected="UserId: n >= 1 && n <= 1_000_000_000")
    assert spec.extract(with_params(id="42")) == 42
    with pytest.raises(InvalidParam) as info:
        spec.extract(with_params(id="0"))
    assert info.value.expected == "UserId: n >= 1 && n <= 1_000_000_000"
    assert b"UserId: n >= 1" in info.value.into_response().body
    with pytest.raises(InvalidParam):
        spec.extract(with_params(id="abc"))
    with pytest.raises(MissingParam):
        spec.extract(with_params())
    assert PathParam.str("s", refine=str.isalpha).extract(with_params(s="ab")) == "ab"
    assert PathParam.float("f").extract(with_params(f="1.5")) == 1.5
    assert PathParam.bool("b").extract(with_params(b="true")) is True
    assert path_int(with_params(n="7"), "n") == 7


def test_query_map_and_specs() -> None:
    req = Request("GET", "/", "a=1&a=2&b=x+y&c=%C3%A9&empty=")
    assert query_map(req) == {"a": ["1", "2"], "b": ["x y"], "c": ["é"], "empty": [""]}
    assert query_map(req) is query_map(req)  # parsed once
    assert QueryParam.int("a").extract(req) == 1
    assert QueryParam.int("missing", default=5).extract(req) == 5
    assert QueryParam.str("b").extract(req) == "x y"
    assert query_text_optional(req, "c") == "é" and query_text_optional(req, "zz") is None
    with pytest.raises(MissingParam):
        QueryParam.int("missing").extract(req)
    with pytest.raises(InvalidParam):
        QueryParam.int("b").extract(req)
    with pytest.raises(InvalidParam):
        QueryParam.int("a", refine=lambda n: n > 1).extract(req)
    with pytest.raises(InvalidParam):
        query_map(Request("GET", "/", "a=%FF"))


def test_header_spec() -> None:
    req = Request("GET", "/", headers=Headers([("X-N", "3"), ("x-list", "a"), ("x-list", "b")]))
    assert HeaderParam("x-n", parse_int, "integer").extract(req) == 3
    assert HeaderParam("x-list", str).extract(req) == "a, b"
    with pytest.raises(MissingHeader):
        HeaderParam("x-key", str).extract(req)
    assert HeaderParam("x-key", str, required=False, default="d").extract(req) == "d"
    with pytest.raises(InvalidHeader):
        HeaderParam("x-list", parse_int, "integer").extract(req)


# -- declarative extractors through the router --------------------------------

async def show(id: Path[int], verbose: Query[bool] = False, tags: Query[list[str]] = [],  # noqa: B006
               page: Query[int | None] = None) -> dict[str, object]:
    return {"id": id, "verbose": verbose, "tags": tags, "page": page}


def keyed(x_api_key: Header[str], trace: Annotated[str | None, FromHeader("x-trace")] = None,
          n: Header[int | None] = None) -> dict[str, object]:
    return {"key": x_api_key, "trace": trace, "n": n}


async def create(item: Json[Item], req: Request) -> tuple[int, dict[str, object]]:
    return 201, {"name": item.name, "path": req.path}


def small(doc: Annotated[list[int], FromJson(JsonExtractorConfig(max_body_bytes=8))]) -> str:
    return str(sum(doc))


def raw(data: Body) -> Response:
    return Response(200, [], data[::-1])


def textual(s: Text) -> str:
    return s.upper()


def refined(uid: Annotated[int, Refine(lambda n: n > 0, "UserId: n > 0"), FromPath("id")]) -> str:
    return f"user {uid}"


def explicit(uid: Annotated[int, PathParam.int("id", refine=lambda n: n < 100,
                                              expected="n < 100")]) -> str:
    return f"small {uid}"


def nothing() -> str:
    return "nothing"


def app() -> Router:
    return (Router()
            .get("/users/:id", show)
            .get("/keyed", keyed)
            .post("/items", create)
            .post("/small", small)
            .post("/raw", raw)
            .post("/text", textual)
            .get("/refined/:id", refined)
            .get("/explicit/:id", explicit)
            .get("/nothing", nothing))


def test_declarative_path_and_query() -> None:
    r = app()
    assert call(r, Request("GET", "/users/7", "verbose=1&tags=a&tags=b&page=2")) == (
        200, {"id": 7, "verbose": True, "tags": ["a", "b"], "page": 2})
    assert call(r, Request("GET", "/users/7")) == (
        200, {"id": 7, "verbose": False, "tags": [], "page": None})
    status, doc = call(r, Request("GET", "/users/x"))
    assert status == 400 and isinstance(doc, dict) and doc["param"] == "id"
    status, doc = call(r, Request("GET", "/users/1", "page=two"))
    assert status == 400 and isinstance(doc, dict) and doc["param"] == "page"


def test_declarative_headers() -> None:
    r = app()
    req = Request("GET", "/keyed", headers=Headers([("x-api-key", "k"), ("x-trace", "t")]))
    assert call(r, req) == (200, {"key": "k", "trace": "t", "n": None})
    status, doc = call(r, Request("GET", "/keyed"))
    assert status == 400 and isinstance(doc, dict) and doc["header"] == "x-api-key"
    bad = Request("GET", "/keyed", headers=Headers([("x-api-key", "k"), ("n", "x")]))
    assert call(r, bad)[0] == 400


def test_declarative_bodies() -> None:
    r = app()
    js = Headers([("content-type", "application/json")])
    assert call(r, Request("POST", "/items", headers=js, body=b'{"name":"n"}')) == (
        201, {"name": "n", "path": "/items"})
    assert call(r, Request("POST", "/items", headers=js, body=b'{"nom":"n"}'))[0] == 422
    assert call(r, Request("POST", "/items", body=b'{"name":"n"}'))[0] == 415
    assert call(r, Request("POST", "/small", headers=js, body=b"[1,2,3]")) == (200, b"6")
    assert call(r, Request("POST", "/small", headers=js, body=b"[1,2,3,4]"))[0] == 413
    assert call(r, Request("POST", "/raw", body=b"abc")) == (200, b"cba")
    assert call(r, Request("POST", "/text", body=b"abc")) == (200, b"ABC")
    assert call(r, Request("POST", "/text", body=b"\xff"))[0] == 400


def test_declarative_refinements() -> None:
    r = app()
    assert call(r, Request("GET", "/refined/5")) == (200, b"user 5")
    status, doc = call(r, Request("GET", "/refined/0"))
    assert status == 400 and isinstance(doc, dict) and doc["expected"] == "UserId: n > 0"
    assert call(r, Request("GET", "/explicit/5")) == (200, b"small 5")
    status, doc = call(r, Request("GET", "/explicit/500"))
    assert status == 400 and isinstance(doc, dict) and doc["expected"] == "n < 100"
    assert call(r, Request("GET", "/nothing")) == (200, b"nothing")


def test_registration_errors() -> None:
    def wrong_name(uid: Path[int]) -> str:
        return ""
    with pytest.raises(TypeError, match="captures :id"):
        Router().get("/users/:id", wrong_name)

    def unannotated(a, b):  # type: ignore[no-untyped-def]
        return ""
    with pytest.raises(TypeError, match="needs an extractor"):
        Router().get("/", unannotated)

    def kwonly(*, a: Query[int]) -> str:
        return ""
    with pytest.raises(TypeError, match="positional"):
        Router().get("/", kwonly)

    def bad_body(b: Annotated[int, Body.__metadata__[0]]) -> str:
        return ""
    with pytest.raises(TypeError, match="raw body"):
        Router().post("/", bad_body)

    def bad_query(q: Query[dict[str, int]]) -> str:
        return ""
    with pytest.raises(TypeError):
        Router().get("/", bad_query)
