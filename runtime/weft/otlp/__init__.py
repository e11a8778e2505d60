"""OTLP/HTTP export of metrics and traces (`weft.otlp`).

    exporter = OtlpExporter(OtlpConfig("http://collector:4318"), registry,
                            tail_sampler=keep_errors_and_slow(0.5, keep_ratio=0.1))
    tracing = TracingLayer(exporter.span_sink)
    async with exporter.open_running():
        await server.serve_forever()

Both encodings (`Encoding.PROTOBUF`, `Encoding.JSON`) use the official
`opentelemetry-proto` messages; see docs/runtime/observability-identity.md.
"""

from weft.otlp.config import METRICS_PATH, TRACES_PATH, Encoding, OtlpConfig
from weft.otlp.encode import encode_body, metrics_request, to_otlp_json, traces_request
from weft.otlp.exemplars import DURATION_METRIC, Exemplar, ExemplarStore
from weft.otlp.exporter import ExporterStats, OtlpExporter
from weft.otlp.sampling import TailSampler, keep_all, keep_errors_and_slow
from weft.otlp.snapshot import HistogramPoint, MetricSnapshot, NumberPoint, parse_exposition

__all__ = [
    "DURATION_METRIC",
    "METRICS_PATH",
    "TRACES_PATH",
    "Encoding",
    "Exemplar",
    "ExemplarStore",
    "ExporterStats",
    "HistogramPoint",
    "MetricSnapshot",
    "NumberPoint",
    "OtlpConfig",
    "OtlpExporter",
    "TailSampler",
    "encode_body",
    "keep_all",
    "keep_errors_and_slow",
    "metrics_request",
    "parse_exposition",
    "to_otlp_json",
    "traces_request",
]
