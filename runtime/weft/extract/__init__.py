"""Extractors: typed values out of a request, or a rejection that is already a response.

Declarative form (Python API): annotate handler parameters; the router
binds them once when the route is registered. The aliases are
`typing.Annotated` forms, so a type checker sees the plain value type:

    async def show(id: Path[int], verbose: Query[bool] = False,
                   key: Header[str | None] = None) -> dict[str, object]: ...
    async def create(order: Json[Order]) -> tuple[int, Order]: ...

Other names and options go in `Annotated` metadata:
`Annotated[str, FromHeader("x-api-key")]`,
`Annotated[int, PathParam.int("id", refine=..., expected=...)]`,
`Annotated[Order, FromJson(JsonExtractorConfig(max_body_bytes=4096))]`,
`Annotated[int, Refine(lambda n: n > 0, "n > 0")]`.

Direct form (generated code): build a spec once and call `.extract(req)`.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias, TypeVar

from weft.extract.base import NO_DEFAULT, Extractor, Getter, ParamInfo, Refine
from weft.extract.body import (
    FromBody,
    FromJson,
    FromText,
    JsonBody,
    JsonExtractorConfig,
    body_bytes,
    body_text,
    decode_json,
    extract_json,
    is_json_content_type,
)
from weft.extract.materialise import converter_for, materialise
from weft.extract.params import (
    FromHeader,
    FromPath,
    FromQuery,
    HeaderParam,
    PathParam,
    QueryParam,
    path_int,
    query_map,
    query_text_optional,
)
from weft.extract.signature import HandlerPlan, plan_handler

__all__ = [
    "NO_DEFAULT",
    "Body",
    "Extractor",
    "FromBody",
    "FromHeader",
    "FromJson",
    "FromPath",
    "FromQuery",
    "FromText",
    "Getter",
    "HandlerPlan",
    "Header",
    "HeaderParam",
    "Json",
    "JsonBody",
    "JsonExtractorConfig",
    "ParamInfo",
    "Path",
    "PathParam",
    "Query",
    "QueryParam",
    "Refine",
    "Text",
    "body_bytes",
    "body_text",
    "converter_for",
    "decode_json",
    "extract_json",
    "is_json_content_type",
    "materialise",
    "path_int",
    "plan_handler",
    "query_map",
    "query_text_optional",
]

T = TypeVar("T")

Path: TypeAlias = Annotated[T, FromPath()]
"""A path capture named like the parameter, parsed as T (int, float, bool, str, Enum, Literal)."""
Query: TypeAlias = Annotated[T, FromQuery()]
"""A query parameter: T required; `T | None` or a default optional; `list[T]` all values."""
Header: TypeAlias = Annotated[T, FromHeader()]
"""A header named like the parameter with `_` → `-`; `T | None` when optional."""
Json: TypeAlias = Annotated[T, FromJson()]
"""The JSON body materialised into T (five gates: 415, 413, 400, 400, 422)."""
Body: TypeAlias = Annotated[bytes, FromBody()]
"""The raw body."""
Text: TypeAlias = Annotated[str, FromText()]
"""The body as UTF-8 text (400 if it is not)."""
