"""weft: the server runtime that weftc's output runs on, usable from Python directly."""

from weft.app import WeftApp
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
from weft.server import Server, ServerConfig, serve, serve_tls
from weft.service import Identity, ServiceBuilder, layer_fn, middleware_fn, service_fn
from weft.supervisor import ChildSpec, Strategy, Supervisor, SupervisorConfig
from weft.transport import TlsConfig

__all__ = [
    "Body",
    "ChildSpec",
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
    "Server",
    "ServerConfig",
    "ServiceBuilder",
    "Strategy",
    "Supervisor",
    "SupervisorConfig",
    "Text",
    "TlsConfig",
    "WeftApp",
    "WeftError",
    "WeftErrorCategory",
    "into_response",
    "layer_fn",
    "middleware_fn",
    "problem",
    "serve",
    "serve_tls",
    "service_fn",
]
