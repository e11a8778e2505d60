"""Verum-shaped adapters: where `core.net.weft`'s declared signatures differ
from the Python runtime's, weftc's output calls these instead.

Each adapter is a thin, typed bridge (no reflection, nothing at request
time beyond what the Verum declaration promises):

* `Handler.handle` returns `Result<Response, E>`; the router serves plain
  callables. `handler_response` turns the result into the response a
  generated handler's `__call__` returns.
* `ServiceBuilder<S>` and `Identity` are generic in Verum
  (`ServiceBuilder.new(Identity.new()).build()` is an `Identity`); the
  runtime's builder is typed over services only, so these keep `S`.
* `Router.dispatch` is declared `Result<Response, WeftError>`; the runtime
  already answers errors as responses, so it is always `Ok`.
* `Router.match_request` gives the handler a request would reach and sets
  the request's path parameters, as Verum's router does.
* `WeftRequest` accessors (`path_param`, `path_param_int`, `header`), and
  `path_int`/`query_text_optional` with Verum's `PathParam<T>`/`QueryParam<T>`
  value records (`PathValue`/`QueryValue`; the runtime's `PathParam` is the
  extractor specification generated endpoints use).
* `TraceContext.parse_header` / `synthesise` over `weft.layers.tracing`.
* `panic(..)` raises `Panic`; `Maybe.unwrap()` raises it on `None`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, final

from weft.errors import ExtractRejection, WeftError
from weft.extract import path_int as runtime_path_int
from weft.extract import query_text_optional as runtime_query_text
from weft.http_types import Request, Response
from weft.layers.tracing import TraceContext, new_span_id, new_trace_id, parse_traceparent
from weft.response import into_response
from weft.result import Err, Ok, Result
from weft.router import Router

__all__ = ["Identity", "Panic", "PathValue", "QueryValue", "ServiceBuilder", "dispatch", "handler_response", "header",
           "match_request", "parse_trace_header", "path_int", "path_param", "path_param_int",
           "query_text_optional",
           "synthesise_trace", "unwrap"]

S = TypeVar("S")
T = TypeVar("T")
W = TypeVar("W")
S_contra = TypeVar("S_contra", contravariant=True)
W_co = TypeVar("W_co", covariant=True)
E = TypeVar("E")


class Wraps(Protocol[S_contra, W_co]):
    """Verum's `Layer<Inner>` with `Wrapped = W`: `wrap` is pure composition."""

    def wrap(self, inner: S_contra, /) -> W_co: ...


@final
class ServiceBuilder(Generic[S]):
    """`ServiceBuilder<S>`: each `.layer(l)` wraps what is built so far (last added = outermost)."""

    __slots__ = ("_inner",)

    def __init__(self, service: S) -> None:
        self._inner = service

    @classmethod
    def new(cls, service: S) -> ServiceBuilder[S]:
        return ServiceBuilder(service)

    def layer(self, layer: Wraps[S, W]) -> ServiceBuilder[W]:
        return ServiceBuilder(layer.wrap(self._inner))

    def build(self) -> S:
        return self._inner


@final
class Identity:
    """The layer that changes nothing, for any inner value (`Wrapped = S`)."""

    __slots__ = ()

    @classmethod
    def new(cls) -> Identity:
        return cls()

    def wrap(self, inner: S, /) -> S:
        return inner


def handler_response(result: Result[Response, object]) -> Response:
    """`handle`'s `Result` as the response: `Err(e)` is `e.into_response()`."""
    if isinstance(result, Ok):
        return result.value
    return into_response(result.error)


async def dispatch(router: Router, req: Request) -> Result[Response, WeftError]:
    """Serve one request through `router`; failures are already responses."""
    return Ok(await router.dispatch(req))


# Any: a route's handler is any callable the router accepted (see weft.router).
def match_request(router: Router, req: Request) -> Any | None:
    """The handler `req` would reach (path parameters filled in), or None."""
    found = router.match(req.method, req.path)
    if found is None:
        return None
    req.path_params = found.params
    return found.handler


def path_param(req: Request, name: str) -> str | None:
    return req.path_params.get(name)


def path_param_int(req: Request, name: str) -> int | None:
    """The capture `name` as a decimal Int; None when absent or not a number."""
    raw = req.path_params.get(name)
    if raw is None:
        return None
    text = raw[1:] if raw[:1] in ("-", "+") else raw
    return int(raw) if text.isascii() and text.isdigit() else None


def header(req: Request, name: str) -> str | None:
    return req.headers.get(name)


def parse_trace_header(value: str) -> TraceContext | None:
    """A W3C `traceparent` as a context continuing that trace (a fresh span id)."""
    parsed = parse_traceparent(value)
    if parsed is None:
        return None
    trace_id, parent_id, sampled = parsed
    return TraceContext(trace_id, new_span_id(), parent_id, sampled)


def synthesise_trace() -> TraceContext:
    """A context that starts a new, sampled trace."""
    return TraceContext(new_trace_id(), new_span_id(), None, True)


class Panic(Exception):
    """`panic(message)`: a bug the program itself declares unreachable.

    Inside a request it is answered like any unhandled exception (a logged
    500); in `main` it ends the process with a traceback naming the line.
    """


def unwrap(value: T | None, message: str = "called `unwrap` on `None`") -> T:
    """`Maybe.unwrap()` / `.expect(message)`: the value, or a `Panic`."""
    if value is None:
        raise Panic(message)
    return value


@final
@dataclass(frozen=True, slots=True)
class PathValue(Generic[T]):
    """Verum's `PathParam<T> { value: T }`: one parsed path capture."""

    value: T


@final
@dataclass(frozen=True, slots=True)
class QueryValue(Generic[T]):
    """Verum's `QueryParam<T> { value: T }`: one query parameter's value."""

    value: T


def path_int(req: Request, name: str) -> Result[PathValue[int], ExtractRejection]:
    """Verum's `path_int`: the capture as an Int, or the rejection (400/404) as `Err`."""
    try:
        return Ok(PathValue(runtime_path_int(req, name)))
    except ExtractRejection as rejection:
        return Err(rejection)


def query_text_optional(req: Request, name: str) -> QueryValue[str] | None:
    """Verum's `query_text_optional`: the first value of `name`, if present."""
    found = runtime_query_text(req, name)
    return None if found is None else QueryValue(found)
