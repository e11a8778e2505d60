"""The JSON extractor's five gates, in order, and materialisation into types."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Annotated, Literal, NotRequired, TypedDict

import pytest
from weft.errors import (
    InvalidBody,
    InvalidJson,
    InvalidUtf8,
    PayloadTooLargeRejection,
    Unprocessable,
    UnsupportedMediaType,
)
from weft.extract import (
    JsonBody,
    JsonExtractorConfig,
    Refine,
    body_text,
    decode_json,
    extract_json,
    is_json_content_type,
    materialise,
)
from weft.http_types import Headers, Request
from weft.result import Err, Ok


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Line:
    sku: str
    qty: Annotated[int, Refine(lambda n: n >= 1, "qty >= 1")]


@dataclass
class Order:
    customer: str
    lines: list[Line]
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    color: Color = Color.RED


class Point(TypedDict):
    x: float
    y: float
    label: NotRequired[str]


@dataclass
class Tree:
    value: int
    children: list[Tree] = field(default_factory=list)


@dataclass
class Positive:
    n: int

    def __post_init__(self) -> None:
        if self.n <= 0:
            raise ValueError("n must be positive")


def req(body: bytes, ctype: str | None = "application/json") -> Request:
    hdrs = Headers([("content-type", ctype)] if ctype is not None else [])
    return Request("POST", "/", headers=hdrs, body=body)


@pytest.mark.parametrize(("ctype", "ok"), [
    ("application/json", True), ("Application/JSON; charset=utf-8", True),
    ("application/problem+json", True), ("application/vnd.api+json", True),
    ("text/json", False), ("text/plain", False), ("application/jsonx", False),
    ("application/x-www-form-urlencoded", False),
])
def test_content_types(ctype: str, ok: bool) -> None:
    assert is_json_content_type(ctype) is ok


def test_plus_json_can_be_refused() -> None:
    assert not is_json_content_type("application/vnd.api+json", accept_plus_json=False)


def test_gate_order() -> None:
    cfg = JsonExtractorConfig(max_body_bytes=4)
    # a wrong content type wins over everything else
    with pytest.raises(UnsupportedMediaType):
        decode_json(req(b"\xff" * 100, "text/plain"), cfg)
    with pytest.raises(UnsupportedMediaType) as missing:
        decode_json(req(b"{}", None), cfg)
    assert missing.value.actual is None
    # then size
    with pytest.raises(PayloadTooLargeRejection) as big:
        decode_json(req(b"\xff" * 5), cfg)
    assert big.value.limit == 4 and big.value.status() == 413
    # then UTF-8
    with pytest.raises(InvalidUtf8) as utf:
        decode_json(req(b'"a\xff"'), JsonExtractorConfig())
    assert utf.value.offset == 2
    # then syntax, with its position
    with pytest.raises(InvalidJson) as syn:
        decode_json(req(b'{\n  "a": }'))
    assert (syn.value.line, syn.value.column, syn.value.offset) == (2, 8, 9)


def test_relaxed_content_type() -> None:
    cfg = JsonExtractorConfig.default().relaxed_content_type().with_max_body_bytes(10)
    assert decode_json(req(b"[1]", None), cfg) == [1]
    with pytest.raises(UnsupportedMediaType):
        decode_json(req(b"[1]", "text/plain"), cfg)


def test_non_json_constants_and_depth() -> None:
    with pytest.raises(InvalidBody):
        decode_json(req(b"[NaN]"))
    with pytest.raises(InvalidBody):
        decode_json(req(b"[Infinity]"))
    with pytest.raises((InvalidBody, InvalidJson)):
        decode_json(req(b"[" * 100_000 + b"]" * 100_000))


def test_materialise_order() -> None:
    doc = {"customer": "ann", "lines": [{"sku": "a", "qty": 2}], "color": "blue", "extra": 1}
    order = materialise(Order, doc)
    assert order == Order("ann", [Line("a", 2)], None, [], Color.BLUE)


@pytest.mark.parametrize(("doc", "path", "fragment"), [
    ({"lines": []}, "$.customer", "missing required field"),
    ({"customer": 1, "lines": []}, "$.customer", "expected string, got integer"),
    ({"customer": "a", "lines": {}}, "$.lines", "expected array, got object"),
    ({"customer": "a", "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": "2"}]},
     "$.lines[1].qty", "expected integer, got string"),
    ({"customer": "a", "lines": [{"sku": "a", "qty": 0}]}, "$.lines[0].qty", "qty >= 1"),
    ({"customer": "a", "lines": [], "color": "green"}, "$.color", "one of 'red', 'blue'"),
    ({"customer": "a", "lines": [], "note": 5}, "$.note", "expected str or NoneType"),
    ([], "$", "expected object, got array"),
])
def test_materialise_failures_name_the_path(doc: object, path: str, fragment: str) -> None:
    with pytest.raises(Unprocessable) as info:
        materialise(Order, doc)
    assert info.value.path == path
    assert fragment in info.value.reason
    assert info.value.status() == 422


def test_primitives_and_containers() -> None:
    assert materialise(int, 3) == 3
    assert materialise(float, 3) == 3.0
    with pytest.raises(Unprocessable):
        materialise(int, True)
    with pytest.raises(Unprocessable):
        materialise(int, 1.5)
    with pytest.raises(Unprocessable):
        materialise(bool, 1)
    assert materialise(list[int], [1, 2]) == [1, 2]
    assert materialise(tuple[int, ...], [1, 2]) == (1, 2)
    assert materialise(dict[str, list[int]], {"a": [1]}) == {"a": [1]}
    with pytest.raises(Unprocessable) as info:
        materialise(dict[str, int], {"a b": "x"})
    assert info.value.path == "$['a b']"
    assert materialise(int | None, None) is None
    assert materialise(int | str, "x") == "x"
    assert materialise(Literal["a", 1], 1) == 1
    with pytest.raises(Unprocessable):
        materialise(Literal[1], True)
    assert materialise(object, {"any": [1]}) == {"any": [1]}
    with pytest.raises(TypeError):
        materialise(dict[int, int], {})
    with pytest.raises(TypeError):
        materialise(set[int], [])


def test_typeddict_and_recursion_and_post_init() -> None:
    assert materialise(Point, {"x": 1, "y": 2.5}) == {"x": 1.0, "y": 2.5}
    with pytest.raises(Unprocessable) as info:
        materialise(Point, {"x": 1})
    assert info.value.path == "$.y"
    tree = materialise(Tree, {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})
    assert tree == Tree(1, [Tree(2, [Tree(3)])])
    with pytest.raises(Unprocessable) as bad:
        materialise(Tree, {"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]})
    assert bad.value.path == "$.children[0].children[0].value"
    with pytest.raises(Unprocessable, match="n must be positive"):
        materialise(Positive, {"n": 0})


def test_json_body_and_extract_json() -> None:
    spec = JsonBody.of(Line)
    assert spec.extract(req(b'{"sku":"a","qty":3}')) == Line("a", 3)
    assert extract_json(req(b"[1,2]"), list[int]) == Ok([1, 2])
    res = extract_json(req(b"[1,2]", "text/plain"), list[int])
    assert isinstance(res, Err) and isinstance(res.error, UnsupportedMediaType)


def test_body_text() -> None:
    assert body_text(req("é".encode())) == "é"
    with pytest.raises(InvalidUtf8) as info:
        body_text(req(b"ab\xc3"))
    assert info.value.offset == 2
