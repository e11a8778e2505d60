"""TracingLayer: traceparent/tracestate parsing, propagation, spans."""

from __future__ import annotations

import asyncio
import re

import pytest
from layer_support import drive_eagerly, ok, request, routed, run
from weft.http_types import Request, Response
from weft.layers.tracing import (
    TRACE_KEY,
    Span,
    TraceContext,
    TracingLayer,
    new_span_id,
    new_trace_id,
    parse_traceparent,
    parse_tracestate,
)

TID = "4bf92f3577b34da6a3ce929d0e0e4736"
PID = "00f067aa0ba902b7"
VALID = f"00-{TID}-{PID}-01"


def test_parse_valid_traceparent() -> None:
    assert parse_traceparent(VALID) == (TID, PID, True)
    assert parse_traceparent(f"00-{TID}-{PID}-00") == (TID, PID, False)
    # only the low bit is `sampled`; other flag bits do not set it
    assert parse_traceparent(f"00-{TID}-{PID}-02") == (TID, PID, False)
    assert parse_traceparent(f"00-{TID}-{PID}-03") == (TID, PID, True)
    assert parse_traceparent(f" {VALID}\t") == (TID, PID, True)


def test_future_version_may_append_fields() -> None:
    assert parse_traceparent(f"01-{TID}-{PID}-01-extra") == (TID, PID, True)
    assert parse_traceparent(f"cc-{TID}-{PID}-01") == (TID, PID, True)
    assert parse_traceparent(f"01-{TID}-{PID}-01x") is None


@pytest.mark.parametrize("value", [
    "",
    "garbage",
    f"00-{TID}-{PID}-01-extra",               # version 00 is exactly 55 chars
    f"ff-{TID}-{PID}-01",                      # version ff is forbidden
    f"0g-{TID}-{PID}-01",
    f"00-{TID.upper()}-{PID}-01",              # upper-case hex is invalid
    f"00-{TID}-{PID.upper()}-01",
    f"00-{'0' * 32}-{PID}-01",                 # all-zero trace id
    f"00-{TID}-{'0' * 16}-01",                 # all-zero parent id
    f"00-{TID[:-1]}-{PID}-01",                 # short trace id
    f"00-{TID}-{PID[:-1]}-01",
    f"00-{TID}x-{PID}-01",
    f"00-{TID}-{PID}-1",
    f"00-{TID}-{PID}-0g",
    f"00_{TID}_{PID}_01",
    f"00-{TID[:-2]}zz-{PID}-01",
])
def test_malformed_traceparent(value: str) -> None:
    assert parse_traceparent(value) is None


def test_tracestate_members() -> None:
    assert parse_tracestate(["congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"]) == (
        ("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7"))
    # several header fields concatenate; empty members and OWS are fine
    assert parse_tracestate(["a=1 , ,", "\tb=2"]) == (("a", "1"), ("b", "2"))
    # multi-tenant keys
    assert parse_tracestate(["fw529a3039@dt=abc"]) == (("fw529a3039@dt", "abc"),)


def test_tracestate_drops_invalid_and_duplicate_members() -> None:
    got = parse_tracestate(["Upper=1,ok=1,noequals,=v,bad=a,b,ok=2,ows=trailing ,x=y=z,"
                            "9start=1,t@9sys=1,good@sys=1,sp=a b,ctl=a\x01,long=" + "v" * 257])
    assert got == (("ok", "1"), ("bad", "a"), ("ows", "trailing"), ("good@sys", "1"),
                   ("sp", "a b"))


def test_tracestate_keeps_at_most_32_members() -> None:
    header = ",".join(f"k{i}=v{i}" for i in range(40))
    got = parse_tracestate([header])
    assert len(got) == 32
    assert got[0] == ("k0", "v0") and got[-1] == ("k31", "v31")


def test_generated_ids() -> None:
    tid, sid = new_trace_id(), new_span_id()
    assert re.fullmatch(r"[0-9a-f]{32}", tid) and tid != "0" * 32
    assert re.fullmatch(r"[0-9a-f]{16}", sid) and sid != "0" * 16
    assert new_trace_id() != tid


def test_continues_an_inbound_trace() -> None:
    spans: list[Span] = []
    seen: list[TraceContext] = []

    async def handler(req: Request) -> Response:
        seen.append(req.extensions[TRACE_KEY])
        req.extensions["weft.route"] = "/users/:id"
        return Response(200)

    svc = TracingLayer(spans, service_name="api").wrap(handler)
    req = request("GET", "/users/42", [("traceparent", VALID), ("tracestate", "congo=t61,bad key=1")])
    resp = run(svc(req))
    ctx = seen[0]
    assert ctx.trace_id == TID and ctx.parent_id == PID and ctx.sampled
    assert ctx.span_id != PID and re.fullmatch(r"[0-9a-f]{16}", ctx.span_id)
    assert ctx.tracestate == (("congo", "t61"),)
    assert ctx.tracestate_header() == "congo=t61"
    assert resp.header("traceparent") == f"00-{TID}-{ctx.span_id}-01"
    [span] = spans
    assert span.name == "GET /users/:id" and span.route == "/users/:id"
    assert (span.trace_id, span.span_id, span.parent_id) == (TID, ctx.span_id, PID)
    assert span.status == 200 and span.error is None and span.service_name == "api"
    assert span.start_ns <= span.end_ns


def test_starts_a_new_trace_when_absent_or_malformed() -> None:
    for headers in ([], [("traceparent", f"00-{'0' * 32}-{PID}-01"), ("tracestate", "a=1")],
                    [("traceparent", VALID), ("traceparent", VALID)]):
        spans: list[Span] = []
        seen: list[TraceContext] = []

        async def handler(req: Request, seen: list[TraceContext] = seen) -> Response:
            seen.append(req.extensions[TRACE_KEY])
            return Response(204)

        resp = run(TracingLayer(spans).wrap(handler)(request(headers=headers)))
        ctx = seen[0]
        assert ctx.parent_id is None and ctx.trace_id != TID and ctx.sampled
        assert ctx.tracestate == ()  # ignored without a valid traceparent
        assert resp.header("traceparent") == ctx.traceparent()
        assert spans[0].parent_id is None and spans[0].name == "GET"
        assert spans[0].route is None


def test_unsampled_traces_record_no_span_but_still_propagate() -> None:
    spans: list[Span] = []
    resp = run(TracingLayer(spans).wrap(ok)(request(headers=[("traceparent", f"00-{TID}-{PID}-00")])))
    assert spans == []
    value = resp.header("traceparent")
    assert value is not None and value.startswith(f"00-{TID}-") and value.endswith("-00")
    spans2: list[Span] = []
    run(TracingLayer(spans2, sample_new=False).wrap(ok)(request()))
    assert spans2 == []


def test_failures_are_recorded_and_reraised() -> None:
    spans: list[Span] = []

    async def broken(req: Request) -> Response:
        req.extensions["weft.route"] = "/x"
        raise KeyError("k")

    with pytest.raises(KeyError):
        run(TracingLayer(spans).wrap(broken)(request()))
    assert spans[0].status is None and spans[0].error == "KeyError"

    async def cancelled(req: Request) -> Response:
        raise asyncio.CancelledError

    async def main() -> None:
        with pytest.raises(asyncio.CancelledError):
            await TracingLayer(spans).wrap(cancelled)(request())

    run(main())
    assert spans[1].error == "cancelled"


def test_callable_sink_and_failing_sink() -> None:
    got: list[Span] = []
    run(TracingLayer(got.append).wrap(routed("/a"))(request()))
    assert got[0].name == "GET /a"

    def explode(span: Span) -> None:
        raise RuntimeError("exporter down")

    resp = run(TracingLayer(explode).wrap(routed("/a"))(request()))
    assert resp.status == 200


def test_constructors() -> None:
    assert TracingLayer.new().service_name == "weft-app"
    assert TracingLayer.named("shop").service_name == "shop"


def test_eager_start_outside_any_task() -> None:
    spans: list[Span] = []

    async def main() -> tuple[Response, Response]:
        a = await drive_eagerly(TracingLayer(spans).wrap(routed("/r")), request())
        b = await drive_eagerly(TracingLayer(spans).wrap(routed("/s", suspend=True)), request())
        return a, b

    a, b = run(main())
    assert a.header("traceparent") and b.header("traceparent")
    assert [s.name for s in spans] == ["GET /r", "GET /s"]


def test_precomputed_responses_are_not_mutated_by_tracing() -> None:
    shared = Response(200, [("content-type", "text/plain")], b"hi")

    async def cached(req: Request) -> Response:
        return shared

    svc = TracingLayer().wrap(cached)
    first, second = run(svc(request())), run(svc(request()))
    assert shared.headers == [("content-type", "text/plain")]
    assert first.header("traceparent") != second.header("traceparent")
    assert len(second.headers) == 2
