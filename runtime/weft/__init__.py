"""weft: the server runtime that weftc's output runs on, usable from Python directly."""

from weft.errors import ExtractRejection, WeftError, WeftErrorCategory, problem
from weft.extract import (
    Body,
    Header,
    HeaderParam,
    Json,
    JsonBody,
    JsonExtractorConfig,
    Path,
    PathParam,
    Query,
    QueryParam,
    Refine,
    Text,
)
from weft.http_types import Headers, Request, Response
from weft.response import IntoResponse, into_response
from weft.result import Err, Ok, Result
from weft.router import RouteConflict, Router
from weft.service import Identity, ServiceBuilder, layer_fn, middleware_fn, service_fn

__all__ = [
    "Body",
    "Err",
    "ExtractRejection",
    "Header",
    "HeaderParam",
    "Headers",
    "Identity",
    "IntoResponse",
    "Json",
    "JsonBody",
    "JsonExtractorConfig",
    "Ok",
    "Path",
    "PathParam",
    "Query",
    "QueryParam",
    "Refine",
    "Request",
    "Response",
    "Result",
    "RouteConflict",
    "Router",
    "ServiceBuilder",
    "Text",
    "WeftError",
    "WeftErrorCategory",
    "into_response",
    "layer_fn",
    "middleware_fn",
    "problem",
    "service_fn",
]
