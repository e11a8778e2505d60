"""TracingLayer: W3C Trace Context propagation and one server span per request.

How this works:

* `parse_traceparent` accepts exactly the W3C Trace Context grammar:
  `version-traceid-parentid-flags`, lower-case hex, trace id and parent id
  not all zeros, version `ff` forbidden. A version-00 value is exactly 55
  characters; a later version may append `-…` fields, which are ignored.
  Anything else is malformed and the request starts a new trace.
* `parse_tracestate` keeps the valid list members (simple or
  `tenant@system` keys), drops invalid ones and duplicate keys, and stops at
  32. `tracestate` is ignored when `traceparent` is absent or malformed, as
  the specification requires.
* Each request gets a fresh span id; the inbound parent id becomes the
  span's parent. The context sits in `request.extensions["weft.trace"]` and
  the response carries our `traceparent`.
* When the trace is sampled, a finished `Span` goes to the sink (a list or
  a callable); the OTLP exporter consumes the same record. The span is named
  `METHOD route-template` from `request.extensions["weft.route"]`, which the
  router sets during the inner call, so the raw path never names a span.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, final

from weft.http_types import Request, Response
from weft.types import Service

__all__ = [
    "TRACE_KEY",
    "Span",
    "SpanSink",
    "TraceContext",
    "TracingLayer",
    "new_span_id",
    "new_trace_id",
    "parse_traceparent",
    "parse_tracestate",
]

TRACE_KEY: Final = "weft.trace"
ROUTE_KEY: Final = "weft.route"
MAX_TRACESTATE_MEMBERS: Final = 32

_log = logging.getLogger("weft.tracing")

_HEX = re.compile(r"[0-9a-f]+\Z")
_ZERO_TRACE: Final = "0" * 32
_ZERO_SPAN: Final = "0" * 16
_SIMPLE_KEY = r"[a-z][a-z0-9_\-*/]{0,255}"
_TENANT_KEY = r"[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}"
_TS_KEY = re.compile(rf"(?:{_SIMPLE_KEY}|{_TENANT_KEY})\Z")
# value: up to 256 printable ASCII chars except ',' and '=', not ending in a space
_TS_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]\Z")


def new_trace_id() -> str:
    """32 random lower-case hex digits, never all zero."""
    while True:
        tid = os.urandom(16).hex()
        if tid != _ZERO_TRACE:
            return tid


def new_span_id() -> str:
    """16 random lower-case hex digits, never all zero."""
    while True:
        sid = os.urandom(8).hex()
        if sid != _ZERO_SPAN:
            return sid


@final
@dataclass(frozen=True, slots=True)
class TraceContext:
    """This request's place in a trace; `span_id` is the server span's own id."""

    trace_id: str
    span_id: str
    parent_id: str | None
    sampled: bool
    tracestate: tuple[tuple[str, str], ...] = ()

    def traceparent(self) -> str:
        """The `traceparent` to send downstream (and back in the response)."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"

    def tracestate_header(self) -> str | None:
        """The `tracestate` to send downstream, or None when empty."""
        if not self.tracestate:
            return None
        return ",".join(f"{k}={v}" for k, v in self.tracestate)


def parse_traceparent(value: str) -> tuple[str, str, bool] | None:
    """`(trace_id, parent_id, sampled)` from a `traceparent` value, or None."""
    value = value.strip(" \t")
    if len(value) < 55:
        return None
    version = value[:2]
    if not _HEX.match(version) or version == "ff":
        return None
    if len(value) != 55 and (version == "00" or value[55] != "-"):
        return None
    head = value[:55]
    if head[2] != "-" or head[35] != "-" or head[52] != "-":
        return None
    trace_id, parent_id, flags = head[3:35], head[36:52], head[53:55]
    if not (_HEX.match(trace_id) and _HEX.match(parent_id) and _HEX.match(flags)):
        return None
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id, parent_id, bool(int(flags, 16) & 0x01)


def parse_tracestate(values: list[str]) -> tuple[tuple[str, str], ...]:
    """The valid members of one or more `tracestate` header values, in order."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for header in values:
        for member in header.split(","):
            member = member.strip(" \t")
            if not member:
                continue
            key, eq, val = member.partition("=")
            if not eq or key in seen or not _TS_KEY.match(key) or not _TS_VALUE.match(val):
                continue
            seen.add(key)
            out.append((key, val))
            if len(out) == MAX_TRACESTATE_MEMBERS:
                return tuple(out)
    return tuple(out)


@final
@dataclass(frozen=True, slots=True)
class Span:
    """One finished server span, shaped for OTLP export.

    Times are Unix nanoseconds; `status` is the HTTP status, or None when
    the call raised or was cancelled (then `error` says why).
    """

    name: str
    service_name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    start_ns: int
    end_ns: int
    method: str
    route: str | None
    status: int | None
    error: str | None = None


SpanSink = Callable[[Span], None]


@final
class TracingLayer:
    """Continue or start a trace per request and record its server span."""

    __slots__ = ("_emit", "sample_new", "service_name")

    def __init__(self, sink: list[Span] | SpanSink | None = None, *,
                 service_name: str = "weft-app", sample_new: bool = True) -> None:
        self.service_name = service_name
        self.sample_new = sample_new
        self._emit: SpanSink | None = sink.append if isinstance(sink, list) else sink

    @classmethod
    def new(cls) -> TracingLayer:
        return cls()

    @classmethod
    def named(cls, service_name: str, sink: list[Span] | SpanSink | None = None) -> TracingLayer:
        return cls(sink, service_name=service_name)

    def context_for(self, request: Request) -> TraceContext:
        """The trace context a request continues, or a new one."""
        parents = request.headers.get_all("traceparent")
        parsed = parse_traceparent(parents[0]) if len(parents) == 1 else None
        if parsed is None:
            return TraceContext(new_trace_id(), new_span_id(), None, self.sample_new)
        trace_id, parent_id, sampled = parsed
        state = parse_tracestate(request.headers.get_all("tracestate"))
        return TraceContext(trace_id, new_span_id(), parent_id, sampled, state)

    def wrap(self, inner: Service) -> Service:
        emit = self._emit
        service_name = self.service_name
        context_for = self.context_for

        async def tracing_service(request: Request) -> Response:
            ctx = context_for(request)
            request.extensions[TRACE_KEY] = ctx
            if emit is None or not ctx.sampled:
                return _stamped(await inner(request), ctx)
            start = time.time_ns()
            try:
                response = await inner(request)
            except BaseException as exc:
                _record(emit, service_name, ctx, request, start, None, _describe(exc))
                raise
            _record(emit, service_name, ctx, request, start, response.status, None)
            return _stamped(response, ctx)

        return tracing_service


def _stamped(response: Response, ctx: TraceContext) -> Response:
    # A new Response, not an in-place append: a handler may hand back the same
    # precomputed Response object on every request.
    return Response(response.status, [*response.headers, ("traceparent", ctx.traceparent())],
                    response.body, response.stream)


def _describe(exc: BaseException) -> str:
    return "cancelled" if isinstance(exc, asyncio.CancelledError) else type(exc).__name__


def _record(emit: SpanSink, service_name: str, ctx: TraceContext, request: Request,
            start: int, status: int | None, error: str | None) -> None:
    route = request.extensions.get(ROUTE_KEY)
    route = route if isinstance(route, str) else None
    name = f"{request.method} {route}" if route else request.method
    span = Span(name, service_name, ctx.trace_id, ctx.span_id, ctx.parent_id, start,
                time.time_ns(), request.method, route, status, error)
    try:
        emit(span)
    except Exception:
        # An exporter fault must not turn a served request into a failure.
        _log.exception("span sink failed")
