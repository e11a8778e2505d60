"""OTLP export end to end: a weft server traced and measured, an exporter on
its loop, and a small collector on 127.0.0.1 that decodes what arrives with
the official `opentelemetry-proto` messages."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import h11
import httpx
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from weft import Router
from weft.http_types import Request
from weft.layers import MetricsLayer, TracingLayer
from weft.metrics import Registry
from weft.otlp import (
    Encoding,
    OtlpConfig,
    OtlpExporter,
    TailSampler,
    keep_all,
    keep_errors_and_slow,
)
from weft.server import ServerConfig
from weft.types import Layer, Service

from tests.weft.helpers import RunningServer

# --------------------------------------------------------------------------
# A tiny OTLP/HTTP collector
# --------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    content_type: str
    body: bytes


@dataclass
class Collector:
    """Answers each POST with the next scripted status (then 200), or never
    answers at all when `hang` is set. Runs on its own loop in a thread, as
    a separate process would."""

    statuses: list[int] = field(default_factory=list)
    hang: bool = False
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    server: asyncio.Server | None = None
    thread: threading.Thread | None = None

    def start(self) -> Collector:
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def listen() -> None:
            self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
        asyncio.run_coroutine_threadsafe(listen(), self.loop).result(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self.server is not None:
                self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread is not None:
            self.thread.join(10)
        self.loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.hang:
                await reader.read()  # hold the connection, never answer
                return
            conn = h11.Connection(h11.SERVER)
            request: h11.Request | None = None
            body = b""
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
            assert request is not None
            headers = {k.decode(): v.decode() for k, v in request.headers}
            self.received.append(Received(request.target.decode(), headers["content-type"],
                                          body))
            status = self.statuses.pop(0) if self.statuses else 200
            answer = b"{}" if headers["content-type"] == "application/json" else b""
            writer.write(conn.send(h11.Response(status_code=status, headers=[
                ("content-type", headers["content-type"]),
                ("content-length", str(len(answer)))])) or b"")
            writer.write(conn.send(h11.Data(data=answer)) or b"")
            writer.write(conn.send(h11.EndOfMessage()) or b"")
            await writer.drain()
        finally:
            writer.close()

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def decode(received: Received, message: ExportMetricsServiceRequest | ExportTraceServiceRequest
           ) -> None:
    """Fill `message` from either encoding, as a collector would."""
    if received.content_type == "application/x-protobuf":
        message.ParseFromString(received.body)
        return
    assert received.content_type == "application/json"
    doc = json.loads(received.body)
    converted = _base64_ids(doc)
    assert isinstance(converted, dict)
    json_format.ParseDict(converted, message)


def _base64_ids(node: object) -> object:
    # OTLP JSON carries ids as hex; protobuf's JSON parser expects base64.
    if isinstance(node, dict):
        out: dict[str, object] = {}
        for k, v in node.items():
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                assert v == v.lower() and len(v) in (16, 32), v
                out[k] = base64.b64encode(bytes.fromhex(v)).decode()
            else:
                out[k] = _base64_ids(v)
        return out
    if isinstance(node, list):
        return [_base64_ids(v) for v in node]
    return node


# --------------------------------------------------------------------------
# A traced, measured weft app
# --------------------------------------------------------------------------


@dataclass
class App:
    running: RunningServer
    exporter: OtlpExporter
    collector: Collector
    registry: Registry

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.running.port}"


async def _user(req: Request) -> dict[str, str]:
    return {"id": req.path_params["id"]}


async def _boom(req: Request) -> dict[str, str]:
    raise RuntimeError("boom")


@pytest.fixture
def app_factory() -> Iterator[Callable[..., App]]:
    """`make(collector=None, endpoint=None, tail_sampler=..., **OtlpConfig fields)`."""
    started: list[App] = []

    def make(collector: Collector | None = None, endpoint: str | None = None,
             tail_sampler: TailSampler = keep_all, **config: Any) -> App:
        collector = (collector if collector is not None else Collector()).start()
        url = endpoint if endpoint is not None else f"http://127.0.0.1:{collector.port}"
        metrics, registry = MetricsLayer.with_new_registry()
        exporter = OtlpExporter(OtlpConfig(url, **config), registry, tail_sampler=tail_sampler)
        router = Router().get("/users/:id", _user).get("/boom", _boom)
        service: Service = router
        layers: list[Layer] = [metrics, TracingLayer(exporter.span_sink, service_name="users")]
        for layer in reversed(layers):
            service = layer.wrap(service)
        running = RunningServer(service, ServerConfig(host="127.0.0.1", port=0))
        app = App(running, exporter, collector, registry)
        started.append(app)
        return app

    yield make
    for app in started:
        app.running.stop()
        app.collector.stop()


def _poll(predicate: Callable[[], bool], limit: float = 10.0) -> bool:
    """Bounded wait for another thread's progress (no timing claim)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _attrs(kvs: Any) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in kvs:
        which = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, which)
    return out


def _metric(request: ExportMetricsServiceRequest, name: str) -> metrics_pb2.Metric:
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                if m.name == name:
                    return m
    raise AssertionError(f"metric {name} not exported")


INBOUND_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INBOUND_PARENT = "00f067aa0ba902b7"


@pytest.mark.parametrize("encoding", [Encoding.PROTOBUF, Encoding.JSON])
def test_metrics_and_spans_of_real_requests(app_factory: Callable[..., App],
                                            encoding: Encoding) -> None:
    app = app_factory(encoding=encoding, scope="weft-tests")
    served: dict[str, str] = {}  # span id -> trace id, from the responses' traceparent
    with httpx.Client(base_url=app.base, timeout=10) as http:
        for i in range(3):
            headers = ({"traceparent": f"00-{INBOUND_TRACE}-{INBOUND_PARENT}-01"}
                       if i == 0 else {})
            resp = http.get(f"/users/{i}", headers=headers)
            assert resp.status_code == 200
            _, trace_id, span_id, _ = resp.headers["traceparent"].split("-")
            served[span_id] = trace_id
        assert http.get("/boom").status_code == 500

    assert app.running.call(app.exporter.export_once()) is True
    [metrics_post] = app.collector.on("/v1/metrics")
    [traces_post] = app.collector.on("/v1/traces")
    assert metrics_post.content_type == traces_post.content_type == encoding.value

    metrics = ExportMetricsServiceRequest()
    decode(metrics_post, metrics)
    assert metrics.resource_metrics[0].scope_metrics[0].scope.name == "weft-tests"
    total = _metric(metrics, "http_requests_total")
    assert total.sum.is_monotonic
    assert total.sum.aggregation_temporality == metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
    counts = {(a["method"], a["route"], a["status"]): p.as_double
              for p in total.sum.data_points for a in [_attrs(p.attributes)]}
    assert counts[("GET", "/users/:id", "200")] == 3.0
    duration = _metric(metrics, "http_request_duration_seconds")
    assert duration.unit == "s"
    [users] = [p for p in duration.histogram.data_points
               if _attrs(p.attributes)["route"] == "/users/:id"]
    assert users.count == 3 and sum(users.bucket_counts) == 3
    assert len(users.bucket_counts) == len(users.explicit_bounds) + 1
    assert users.exemplars, "sampled requests must leave exemplars"
    for ex in users.exemplars:
        span_id = ex.span_id.hex()
        assert served[span_id] == ex.trace_id.hex()
        bucket = sum(1 for bound in users.explicit_bounds if ex.as_double > bound)
        assert users.bucket_counts[bucket] >= 1
    assert _metric(metrics, "http_requests_in_flight").gauge.data_points[0].as_double == 0.0

    traces = ExportTraceServiceRequest()
    decode(traces_post, traces)
    [resource_spans] = traces.resource_spans
    assert _attrs(resource_spans.resource.attributes)["service.name"] == "users"
    spans = list(resource_spans.scope_spans[0].spans)
    user_spans = [s for s in spans if s.name == "GET /users/:id"]
    assert {s.span_id.hex(): s.trace_id.hex() for s in user_spans} == served
    for s in user_spans:
        assert s.kind == trace_pb2.Span.SPAN_KIND_SERVER
        assert s.end_time_unix_nano >= s.start_time_unix_nano > 0
        assert _attrs(s.attributes) == {"http.request.method": "GET",
                                        "http.route": "/users/:id",
                                        "http.response.status_code": 200}
    [inbound] = [s for s in user_spans if s.trace_id.hex() == INBOUND_TRACE]
    assert inbound.parent_span_id.hex() == INBOUND_PARENT
    [boom] = [s for s in spans if s.name == "GET /boom"]
    assert boom.status.code == trace_pb2.Status.STATUS_CODE_ERROR

    if encoding is Encoding.JSON:
        doc = json.loads(traces_post.body)
        raw = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        assert isinstance(raw["startTimeUnixNano"], str) and raw["startTimeUnixNano"].isdigit()
        assert raw["kind"] == 2 and len(raw["traceId"]) == 32
        mdoc = json.loads(metrics_post.body)
        hist = next(m for m in mdoc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
                    if m["name"] == "http_request_duration_seconds")["histogram"]
        assert hist["aggregationTemporality"] == 2
        assert all(isinstance(c, str) for c in hist["dataPoints"][0]["bucketCounts"])


def test_failed_pushes_are_retried_with_backoff(app_factory: Callable[..., App]) -> None:
    app = app_factory(Collector(statuses=[503, 429]), backoff_initial=0.001,
                      backoff_max=0.01)
    with httpx.Client(base_url=app.base, timeout=10) as http:
        assert http.get("/users/7").status_code == 200
    assert app.running.call(app.exporter.export_once()) is True
    stats = app.exporter.stats
    assert stats.retries == 2 and stats.pushes_succeeded == 2 and stats.batches_dropped == 0
    assert len(app.collector.on("/v1/metrics")) == 3
    assert stats.spans_exported == 1


def test_client_errors_are_not_retried(app_factory: Callable[..., App]) -> None:
    app = app_factory(Collector(statuses=[400]), backoff_initial=0.001)
    assert app.running.call(app.exporter.export_metrics()) is False
    assert app.exporter.stats.retries == 0 and app.exporter.stats.batches_dropped == 1
    assert app.exporter.stats.last_error is not None and "400" in app.exporter.stats.last_error


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_refusing_collector_never_fails_requests(app_factory: Callable[..., App]) -> None:
    app = app_factory(endpoint=f"http://127.0.0.1:{_closed_port()}", max_attempts=3,
                      backoff_initial=0.001, backoff_max=0.002, max_queue=5)
    with httpx.Client(base_url=app.base, timeout=10) as http:
        for i in range(8):
            assert http.get(f"/users/{i}").status_code == 200
    stats = app.exporter.stats
    assert stats.spans_queued == 5 and stats.spans_dropped == 3  # the queue is bounded
    assert app.running.call(app.exporter.export_once()) is False
    assert stats.pushes_attempted == 6 and stats.retries == 4 and stats.batches_dropped == 2
    assert stats.last_error is not None and "Connect" in stats.last_error
    assert app.exporter.queued == 0


def test_hanging_collector_does_not_hold_requests(app_factory: Callable[..., App]) -> None:
    app = app_factory(Collector(hang=True), interval=0.01, timeout=60.0, max_queue=10)
    pushing = app.running.submit(app.exporter.run())
    try:
        assert _poll(lambda: app.collector.connections >= 1)
        with httpx.Client(base_url=app.base, timeout=10) as http:
            for i in range(25):
                assert http.get(f"/users/{i}").status_code == 200
        # All 25 were served while the exporter was still stuck in its first push.
        assert not pushing.done()
        assert app.collector.received == []
        stats = app.exporter.stats
        assert stats.pushes_attempted == 1 and stats.pushes_succeeded == 0
        assert app.exporter.queued == 10 and stats.spans_dropped == 15
    finally:
        pushing.cancel()


def test_tail_sampler_keeps_errors_only(app_factory: Callable[..., App]) -> None:
    app = app_factory(tail_sampler=keep_errors_and_slow(slow_seconds=60.0))
    with httpx.Client(base_url=app.base, timeout=10) as http:
        for i in range(3):
            assert http.get(f"/users/{i}").status_code == 200
        assert http.get("/boom").status_code == 500
    assert app.exporter.stats.spans_sampled_out == 3
    assert app.running.call(app.exporter.export_once())
    traces = ExportTraceServiceRequest()
    decode(app.collector.on("/v1/traces")[0], traces)
    assert [s.name for s in traces.resource_spans[0].scope_spans[0].spans] == ["GET /boom"]
    metrics = ExportMetricsServiceRequest()
    decode(app.collector.on("/v1/metrics")[0], metrics)
    # Dropped spans leave no exemplar pointing at a trace the collector never saw.
    for p in _metric(metrics, "http_request_duration_seconds").histogram.data_points:
        if _attrs(p.attributes)["route"] == "/users/:id":
            assert list(p.exemplars) == []


def test_run_pushes_on_its_interval_and_flushes_on_stop(app_factory: Callable[..., App]) -> None:
    app = app_factory(interval=0.02, encoding=Encoding.JSON)

    async def serve_with_exporter() -> None:
        async with app.exporter.open_running():
            while not app.collector.on("/v1/metrics"):
                await asyncio.sleep(0.01)

    app.running.call(serve_with_exporter(), timeout=20)
    with httpx.Client(base_url=app.base, timeout=10) as http:
        assert http.get("/users/1").status_code == 200
    # Stopped: no more pushes, and the span waits in the queue for the next run.
    assert app.exporter.queued == 1
    app.running.call(app.exporter.export_spans())
    assert app.exporter.stats.spans_exported == 1
