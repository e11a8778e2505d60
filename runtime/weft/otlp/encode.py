"""Registry snapshots and finished spans as OTLP export requests, in both
OTLP/HTTP encodings.

Messages are the official generated ones from `opentelemetry-proto`. The
binary encoding is the protobuf wire format; the JSON encoding is protobuf's
canonical JSON with the OTLP deviations the specification requires: trace
and span ids as lower-case hex (not base64), enums as integers, field names
in lowerCamelCase, 64-bit integers as decimal strings.

Temporality is cumulative everywhere: the registry keeps running totals, so
a lost push loses nothing; the next one carries the same totals.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1 import trace_pb2

from weft.layers.tracing import Span
from weft.otlp.config import Encoding
from weft.otlp.exemplars import ExemplarStore
from weft.otlp.snapshot import HistogramPoint, MetricSnapshot, NumberPoint

__all__ = ["encode_body", "metrics_request", "to_otlp_json", "traces_request"]

_ID_KEYS: Final = frozenset(("traceId", "spanId", "parentSpanId"))
_CUMULATIVE: Final = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE


def _attributes(pairs: Iterable[tuple[str, object]]) -> list[KeyValue]:
    out: list[KeyValue] = []
    for key, value in pairs:
        kv = KeyValue(key=key)
        if isinstance(value, bool):
            kv.value.bool_value = value
        elif isinstance(value, int):
            kv.value.int_value = value
        elif isinstance(value, float):
            kv.value.double_value = value
        else:
            kv.value.string_value = str(value)
        out.append(kv)
    return out


def _resource(attrs: Mapping[str, str], **extra: object) -> Resource:
    merged: dict[str, object] = {**attrs, **extra}
    merged.setdefault("process.pid", os.getpid())
    return Resource(attributes=_attributes(merged.items()))


def _unit(name: str) -> str:
    if name.endswith(("_seconds", "_seconds_total")):
        return "s"
    if name.endswith(("_bytes", "_bytes_total")):
        return "By"
    return ""


def _number_points(points: Sequence[NumberPoint], start_ns: int, now_ns: int
                   ) -> list[metrics_pb2.NumberDataPoint]:
    return [metrics_pb2.NumberDataPoint(attributes=_attributes(p.labels),
                                        start_time_unix_nano=start_ns, time_unix_nano=now_ns,
                                        as_double=p.value) for p in points]


def _histogram_point(metric: str, p: HistogramPoint, start_ns: int, now_ns: int,
                     exemplars: ExemplarStore | None) -> metrics_pb2.HistogramDataPoint:
    point = metrics_pb2.HistogramDataPoint(
        attributes=_attributes(p.labels), start_time_unix_nano=start_ns,
        time_unix_nano=now_ns, count=p.count, sum=p.sum, bucket_counts=p.counts,
        explicit_bounds=p.bounds)
    if exemplars is not None and exemplars.metric == metric:
        for ex in exemplars.for_point(p.labels, p.bounds):
            point.exemplars.add(time_unix_nano=ex.time_ns, as_double=ex.value,
                                trace_id=bytes.fromhex(ex.trace_id),
                                span_id=bytes.fromhex(ex.span_id))
    return point


def metrics_request(families: Sequence[MetricSnapshot], *, resource: Mapping[str, str],
                    scope: str, start_ns: int, now_ns: int,
                    exemplars: ExemplarStore | None = None) -> ExportMetricsServiceRequest:
    """One resource, one scope, one OTLP metric per registry family."""
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.CopyFrom(_resource(resource))
    sm = rm.scope_metrics.add()
    sm.scope.name = scope
    for fam in families:
        metric = sm.metrics.add(name=fam.name, description=fam.help, unit=_unit(fam.name))
        if fam.kind == "histogram":
            metric.histogram.aggregation_temporality = _CUMULATIVE
            metric.histogram.data_points.extend(
                _histogram_point(fam.name, p, start_ns, now_ns, exemplars)
                for p in fam.points if isinstance(p, HistogramPoint))
        elif fam.kind == "counter":
            metric.sum.aggregation_temporality = _CUMULATIVE
            metric.sum.is_monotonic = True
            metric.sum.data_points.extend(_number_points(
                [p for p in fam.points if isinstance(p, NumberPoint)], start_ns, now_ns))
        else:
            metric.gauge.data_points.extend(_number_points(
                [p for p in fam.points if isinstance(p, NumberPoint)], start_ns, now_ns))
    return request


def _span(span: Span) -> trace_pb2.Span:
    attrs: list[tuple[str, object]] = [("http.request.method", span.method)]
    if span.route is not None:
        attrs.append(("http.route", span.route))
    if span.status is not None:
        attrs.append(("http.response.status_code", span.status))
    out = trace_pb2.Span(
        trace_id=bytes.fromhex(span.trace_id), span_id=bytes.fromhex(span.span_id),
        name=span.name, kind=trace_pb2.Span.SPAN_KIND_SERVER,
        start_time_unix_nano=span.start_ns, end_time_unix_nano=span.end_ns,
        attributes=_attributes(attrs))
    if span.parent_id is not None:
        out.parent_span_id = bytes.fromhex(span.parent_id)
    if span.error is not None:
        out.status.code = trace_pb2.Status.STATUS_CODE_ERROR
        out.status.message = span.error
    elif span.status is not None and span.status >= 500:
        # Server spans: 5xx is an error, 4xx is the client's (OTel HTTP conventions).
        out.status.code = trace_pb2.Status.STATUS_CODE_ERROR
    return out


def traces_request(spans: Sequence[Span], *, resource: Mapping[str, str],
                   scope: str) -> ExportTraceServiceRequest:
    """Spans grouped into one resource per `service_name`."""
    request = ExportTraceServiceRequest()
    by_service: dict[str, trace_pb2.ScopeSpans] = {}
    for span in spans:
        ss = by_service.get(span.service_name)
        if ss is None:
            rs = request.resource_spans.add()
            rs.resource.CopyFrom(_resource(resource, **{"service.name": span.service_name}))
            ss = by_service[span.service_name] = rs.scope_spans.add()
            ss.scope.name = scope
        ss.spans.append(_span(span))
    return request


def _hex_ids(node: object) -> object:
    if isinstance(node, dict):
        return {k: (base64.b64decode(v).hex() if k in _ID_KEYS and isinstance(v, str)
                    else _hex_ids(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def to_otlp_json(message: Message) -> bytes:
    """`message` in the OTLP/HTTP JSON encoding."""
    doc = json_format.MessageToDict(message, use_integers_for_enums=True)
    return json.dumps(_hex_ids(doc), separators=(",", ":")).encode("utf-8")


def encode_body(message: Message, encoding: Encoding) -> bytes:
    """The request body for `encoding`."""
    if encoding is Encoding.JSON:
        return to_otlp_json(message)
    return message.SerializeToString()
