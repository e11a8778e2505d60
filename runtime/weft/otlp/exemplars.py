"""Histogram exemplars: which traced request landed in which latency bucket.

How this works: every span the exporter keeps is also offered here as an
observation of `http_request_duration_seconds{method,route}` (the family
`MetricsLayer` records), valued at the span's duration and stamped with its
trace and span ids. Each series keeps its most recent observations in a
small ring; at export time `for_point()` picks, per bucket of the data
point's bounds, the newest one. So an operator looking at a slow bucket can
jump to a trace that was slow for the same route.

Only spans that the tail sampler kept become exemplars, so every exemplar's
trace id names a trace the collector actually received.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final, final

from weft.layers.tracing import Span

__all__ = ["DURATION_METRIC", "Exemplar", "ExemplarStore"]

DURATION_METRIC: Final = "http_request_duration_seconds"
_METHODS: Final = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"))

Labels = tuple[tuple[str, str], ...]


@final
@dataclass(frozen=True, slots=True)
class Exemplar:
    """One traced observation; ids are lower-case hex, time is Unix ns."""

    value: float
    time_ns: int
    trace_id: str
    span_id: str


def _bucket(bounds: tuple[float, ...], value: float) -> int:
    i = 0
    while i < len(bounds) and value > bounds[i]:
        i += 1
    return i


@final
class ExemplarStore:
    """Recent traced observations per series of one histogram family."""

    __slots__ = ("_max_series", "_per_series", "_series", "metric")

    def __init__(self, metric: str = DURATION_METRIC, per_series: int = 64,
                 max_series: int = 10_000) -> None:
        if per_series < 1 or max_series < 1:
            raise ValueError("per_series and max_series must be at least 1")
        self.metric = metric
        self._per_series = per_series
        self._max_series = max_series
        self._series: dict[Labels, deque[Exemplar]] = {}

    def record(self, labels: Labels, exemplar: Exemplar) -> None:
        ring = self._series.get(labels)
        if ring is None:
            if len(self._series) >= self._max_series:
                return  # label cardinality is bounded upstream; this is a backstop
            ring = self._series[labels] = deque(maxlen=self._per_series)
        ring.append(exemplar)

    def record_span(self, span: Span) -> None:
        """File a finished server span under its `{method, route}` series."""
        method = span.method if span.method in _METHODS else "other"
        route = span.route if span.route is not None else "unmatched"
        value = max(0, span.end_ns - span.start_ns) / 1e9
        self.record((("method", method), ("route", route)),
                    Exemplar(value, span.end_ns, span.trace_id, span.span_id))

    def for_point(self, labels: Labels, bounds: tuple[float, ...]) -> list[Exemplar]:
        """The newest exemplar of each bucket, in bucket order."""
        ring = self._series.get(labels)
        if not ring:
            return []
        newest: dict[int, Exemplar] = {}
        for exemplar in ring:  # oldest first, so later ones overwrite
            newest[_bucket(bounds, exemplar.value)] = exemplar
        return [newest[i] for i in sorted(newest)]
