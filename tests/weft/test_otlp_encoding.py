"""weft.otlp without sockets: registry snapshots, the OTLP JSON mapping,
exemplar buckets, tail sampling and the retry schedule."""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import Mapping

import pytest
import weft.otlp
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from weft.layers.tracing import Span
from weft.metrics import Registry
from weft.otlp import (
    Encoding,
    Exemplar,
    ExemplarStore,
    HistogramPoint,
    NumberPoint,
    OtlpConfig,
    OtlpExporter,
    keep_errors_and_slow,
    metrics_request,
    parse_exposition,
    to_otlp_json,
    traces_request,
)
from weft.otlp.client import HttpAnswer

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN_ID = "b7ad6b7169203331"


def _span(status: int | None = 200, error: str | None = None, ms: int = 3,
          trace: str = TRACE) -> Span:
    return Span("GET /users/:id", "svc", trace, SPAN_ID, None, 1_000_000_000,
                1_000_000_000 + ms * 1_000_000, "GET", "/users/:id", status, error)


def test_exports_are_pinned() -> None:
    assert sorted(weft.otlp.__all__) == sorted([
        "DURATION_METRIC", "METRICS_PATH", "TRACES_PATH", "Encoding", "Exemplar",
        "ExemplarStore", "ExporterStats", "HistogramPoint", "MetricSnapshot", "NumberPoint",
        "OtlpConfig", "OtlpExporter", "TailSampler", "encode_body", "keep_all",
        "keep_errors_and_slow", "metrics_request", "parse_exposition", "to_otlp_json",
        "traces_request"])


def test_snapshot_reads_every_family_kind() -> None:
    reg = Registry()
    reg.counter("jobs_total", 'Jobs "done".\nSecond line \\ end', ("queue",)).labels(
        'we"ird\\q\nx').inc(4)
    reg.gauge("temp", "Temperature.").set(-1.5)
    hist = reg.histogram("lat_seconds", "Latency.", ("route",), buckets=(0.1, 1.0))
    for v in (0.05, 0.5, 0.7, 3.0):
        hist.labels("/a").observe(v)
    reg.gauge_fn("up", "Up.", lambda: math.inf)
    fams = {f.name: f for f in parse_exposition(reg.render())}
    assert fams["jobs_total"].help == 'Jobs "done".\nSecond line \\ end'
    assert fams["jobs_total"].points == (NumberPoint((("queue", 'we"ird\\q\nx'),), 4.0),)
    assert fams["temp"].kind == "gauge" and fams["temp"].points == (NumberPoint((), -1.5),)
    assert fams["up"].points == (NumberPoint((), math.inf),)
    assert fams["lat_seconds"].points == (
        HistogramPoint((("route", "/a"),), (0.1, 1.0), (1, 2, 1), 4.25, 4),)


def test_exemplars_are_the_newest_per_bucket() -> None:
    store = ExemplarStore()
    store.record_span(_span(ms=3, trace="1" * 32))
    store.record_span(_span(ms=4, trace="2" * 32))
    store.record_span(_span(ms=300, trace="3" * 32))
    labels = (("method", "GET"), ("route", "/users/:id"))
    picked = store.for_point(labels, (0.005, 0.1, 1.0))
    assert [e.trace_id for e in picked] == ["2" * 32, "3" * 32]
    assert picked[0] == Exemplar(0.004, 1_004_000_000, "2" * 32, SPAN_ID)
    assert store.for_point((("method", "GET"), ("route", "other")), (1.0,)) == []


def test_json_mapping_follows_otlp() -> None:
    request = traces_request([_span(status=503)], resource={"service.name": "x"}, scope="s")
    doc = json.loads(to_otlp_json(request))
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["traceId"] == TRACE and span["spanId"] == SPAN_ID
    assert span["startTimeUnixNano"] == "1000000000"  # int64 as a decimal string
    assert span["kind"] == 2 and span["status"] == {"code": 2}  # enums as integers
    status = next(a for a in span["attributes"] if a["key"] == "http.response.status_code")
    assert status["value"] == {"intValue": "503"}
    assert "parentSpanId" not in span


def test_metrics_request_carries_exemplar_ids() -> None:
    reg = Registry()
    reg.histogram("http_request_duration_seconds", "d", ("method", "route")).labels(
        "GET", "/users/:id").observe(0.003)
    store = ExemplarStore()
    store.record_span(_span())
    msg = metrics_request(parse_exposition(reg.render()), resource={}, scope="s",
                          start_ns=1, now_ns=2, exemplars=store)
    again = ExportMetricsServiceRequest.FromString(msg.SerializeToString())
    point = again.resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[0]
    [ex] = point.exemplars
    assert ex.trace_id.hex() == TRACE and ex.span_id.hex() == SPAN_ID and ex.as_double == 0.003
    assert point.start_time_unix_nano == 1 and point.time_unix_nano == 2
    doc = json.loads(to_otlp_json(msg))
    raw = doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["histogram"]
    assert raw["dataPoints"][0]["exemplars"][0]["traceId"] == TRACE


def test_tail_sampler() -> None:
    keep = keep_errors_and_slow(slow_seconds=0.1)
    assert keep(_span(error="ValueError", status=None))
    assert keep(_span(status=502))
    assert keep(_span(ms=150))
    assert not keep(_span(status=404, ms=5))
    assert keep_errors_and_slow(0.1, keep_ratio=1.0)(_span())
    share = keep_errors_and_slow(0.1, keep_ratio=0.25)
    kept = sum(share(_span(trace=f"{random.Random(i).getrandbits(128):032x}"))
               for i in range(4000))
    assert 800 < kept < 1200
    with pytest.raises(ValueError):
        keep_errors_and_slow(0.1, keep_ratio=1.5)


def test_config_validation() -> None:
    assert OtlpConfig.new("http://c:4318/", "scope").url("/v1/traces") == "http://c:4318/v1/traces"
    for bad in ("c:4318", "ftp://c", "http://c/?q=1"):
        with pytest.raises(ValueError):
            OtlpConfig(bad)
    with pytest.raises(ValueError):
        OtlpConfig("http://c", interval=0)
    with pytest.raises(ValueError):
        OtlpConfig("http://c", max_queue=0)


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    waits: list[float] = []
    answers = [HttpAnswer(503, (), b""), HttpAnswer(429, (("retry-after", "7"),), b""),
               HttpAnswer(503, (), b""), HttpAnswer(503, (), b""), HttpAnswer(503, (), b"")]
    sent: list[Mapping[str, str]] = []

    async def post(url: str, body: bytes, headers: Mapping[str, str],
                   timeout: float) -> HttpAnswer:
        sent.append(headers)
        return answers.pop(0)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    cfg = OtlpConfig("http://c", encoding=Encoding.JSON, backoff_initial=1.0,
                     backoff_max=10.0, max_attempts=5, headers={"authorization": "Bearer t"})
    exporter = OtlpExporter(cfg, Registry(), post=post, sleep=sleep, rng=random.Random(1))
    assert asyncio.run(exporter.export_metrics()) is False
    assert len(waits) == 4 and exporter.stats.batches_dropped == 1
    assert 0.5 <= waits[0] <= 1.0
    assert waits[1] == 7.0  # Retry-After beats the 1-2 s backoff
    assert 2.0 <= waits[2] <= 4.0 and 4.0 <= waits[3] <= 8.0
    assert sent[0]["content-type"] == "application/json"
    assert sent[0]["authorization"] == "Bearer t"
    assert exporter.backoff(20) <= 10.0
