"""The OTLP/HTTP exporter: a span sink for the request path and a push loop
for a background task.

How this works:

* `span_sink` is what `TracingLayer` calls when a sampled span ends. It runs
  on the request path, so it only asks the tail sampler, files the span as a
  histogram exemplar and appends it to a bounded queue; it never does I/O
  and never waits. A full queue drops the new span and counts it.
* `run()` is the background task (start it from the app's task group or
  supervisor, or use `open_running()`): every `interval` it pushes a
  snapshot of the registry to `/v1/metrics` and the queued spans, in batches,
  to `/v1/traces`.
* A push that fails with a connection error, a timeout, or 429/502/503/504
  is retried after `initial * 2**attempt` seconds (capped at `backoff_max`),
  jittered into the upper half of that delay so exporters that failed
  together do not retry together; a `Retry-After` from the collector
  lengthens the wait. After `max_attempts` the batch is dropped. Other
  statuses are not retried. Metrics are cumulative totals, so a lost push
  is made good by the next one.
* Everything runs on the loop that serves requests (a registry is used from
  one loop thread); the retry sleeps and the POST itself are awaits, so a dead
  or hanging collector costs requests nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final, final

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from weft.layers.tracing import Span
from weft.metrics import Registry
from weft.otlp import client
from weft.otlp.config import METRICS_PATH, TRACES_PATH, Encoding, OtlpConfig
from weft.otlp.encode import encode_body, metrics_request, traces_request
from weft.otlp.exemplars import ExemplarStore
from weft.otlp.sampling import TailSampler, keep_all
from weft.otlp.snapshot import snapshot

__all__ = ["ExporterStats", "OtlpExporter", "PostFn"]

_log = logging.getLogger("weft.otlp")

_RETRYABLE: Final = frozenset((429, 502, 503, 504))

PostFn = Callable[[str, bytes, Mapping[str, str], float], Awaitable[client.HttpAnswer]]


@final
@dataclass(slots=True)
class ExporterStats:
    """Counters an operator (or a test) reads to see how export is going."""

    pushes_attempted: int = 0
    pushes_succeeded: int = 0
    retries: int = 0
    batches_dropped: int = 0
    spans_queued: int = 0
    spans_dropped: int = 0
    spans_sampled_out: int = 0
    spans_exported: int = 0
    rejected_points: int = 0
    last_success_ns: int = 0
    last_error: str | None = None


@final
class OtlpExporter:
    """Push a registry's metrics and the tracing layer's spans to a collector."""

    __slots__ = ("_post", "_queue", "_rng", "_sleep", "_start_ns", "_stopping", "config",
                 "exemplars", "registry", "stats", "tail_sampler")

    def __init__(self, config: OtlpConfig, registry: Registry | None = None, *,
                 tail_sampler: TailSampler = keep_all,
                 exemplars: ExemplarStore | None = None,
                 ssl_context: ssl.SSLContext | None = None,
                 post: PostFn | None = None,
                 rng: random.Random | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.config = config
        self.registry = registry
        self.tail_sampler = tail_sampler
        self.exemplars = exemplars if exemplars is not None else ExemplarStore()
        self.stats = ExporterStats()
        self._queue: deque[Span] = deque()
        self._rng = rng if rng is not None else random.Random()
        self._sleep = sleep
        self._start_ns = time.time_ns()
        self._stopping = asyncio.Event()
        if post is None:
            def default_post(url: str, body: bytes, headers: Mapping[str, str],
                             timeout: float) -> Awaitable[client.HttpAnswer]:
                return client.post(url, body, headers, timeout, ssl_context)
            post = default_post
        self._post = post

    # -- request path -------------------------------------------------------

    def span_sink(self, span: Span) -> None:
        """Offer a finished span; pass this as `TracingLayer(sink=...)`."""
        try:
            keep = self.tail_sampler(span)
        except Exception:
            _log.exception("tail sampler failed; keeping the span")
            keep = True
        if not keep:
            self.stats.spans_sampled_out += 1
            return
        if len(self._queue) >= self.config.max_queue:
            self.stats.spans_dropped += 1
            return
        self._queue.append(span)
        self.stats.spans_queued += 1
        self.exemplars.record_span(span)

    @property
    def queued(self) -> int:
        return len(self._queue)

    # -- encoding -----------------------------------------------------------

    def metrics_body(self) -> bytes:
        """The current registry snapshot, encoded as the config asks."""
        if self.registry is None:
            raise RuntimeError("this exporter has no registry to export")
        cfg = self.config
        message = metrics_request(snapshot(self.registry), resource=cfg.resource,
                                  scope=cfg.scope, start_ns=self._start_ns,
                                  now_ns=time.time_ns(), exemplars=self.exemplars)
        return encode_body(message, cfg.encoding)

    # Verum's `OtlpExporter.encode_snapshot`.
    encode_snapshot = metrics_body

    # -- pushing ------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (0-based), jittered."""
        cfg = self.config
        ceiling = min(cfg.backoff_max, cfg.backoff_initial * (2.0 ** attempt))
        return ceiling / 2 + self._rng.uniform(0.0, ceiling / 2)

    def _retry_after(self, answer: client.HttpAnswer | None) -> float:
        value = answer.header("retry-after") if answer is not None else None
        if value is None or not value.strip().isdigit():
            return 0.0
        return min(float(value.strip()), self.config.backoff_max)

    async def _send(self, path: str, body: bytes, response_type: type[Message]) -> bool:
        cfg = self.config
        url = cfg.url(path)
        headers = {**cfg.headers, "content-type": cfg.encoding.value}
        for attempt in range(cfg.max_attempts):
            self.stats.pushes_attempted += 1
            answer: client.HttpAnswer | None = None
            try:
                answer = await self._post(url, body, headers, cfg.timeout)
            except (OSError, TimeoutError) as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
            else:
                if 200 <= answer.status < 300:
                    self._note_success(answer, response_type)
                    return True
                self.stats.last_error = f"HTTP {answer.status} from {url}"
                if answer.status not in _RETRYABLE:
                    break
            if attempt + 1 == cfg.max_attempts or self._is_stopping():
                break
            self.stats.retries += 1
            await self._sleep(max(self.backoff(attempt), self._retry_after(answer)))
        self.stats.batches_dropped += 1
        _log.warning("OTLP push to %s dropped: %s", url, self.stats.last_error)
        return False

    def _note_success(self, answer: client.HttpAnswer, response_type: type[Message]) -> None:
        self.stats.pushes_succeeded += 1
        self.stats.last_success_ns = time.time_ns()
        if not answer.body:
            return
        response = response_type()
        try:
            if self.config.encoding is Encoding.JSON:
                json_format.Parse(answer.body, response, ignore_unknown_fields=True)
            else:
                response.ParseFromString(answer.body)
        except Exception:  # a collector's odd success body is not our failure
            return
        if isinstance(response, ExportMetricsServiceResponse):
            self.stats.rejected_points += response.partial_success.rejected_data_points
        elif isinstance(response, ExportTraceServiceResponse):
            self.stats.rejected_points += response.partial_success.rejected_spans

    async def export_metrics(self) -> bool:
        """Push one registry snapshot (with retries); False if it was dropped."""
        if self.registry is None:
            return True
        return await self._send(METRICS_PATH, self.metrics_body(), ExportMetricsServiceResponse)

    async def export_spans(self) -> bool:
        """Push every queued span in batches; False if any batch was dropped."""
        cfg = self.config
        ok = True
        while self._queue:
            batch = [self._queue.popleft()
                     for _ in range(min(cfg.max_batch, len(self._queue)))]
            body = encode_body(traces_request(batch, resource=cfg.resource, scope=cfg.scope),
                               cfg.encoding)
            if await self._send(TRACES_PATH, body, ExportTraceServiceResponse):
                self.stats.spans_exported += len(batch)
            else:
                ok = False
        return ok

    async def export_once(self) -> bool:
        """One push of both signals."""
        metrics_ok = await self.export_metrics()
        spans_ok = await self.export_spans()
        return metrics_ok and spans_ok

    # -- lifecycle ----------------------------------------------------------

    def _is_stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        """Push every `interval` until `stop()`, then push once more (no retries)."""
        stopping = self._stopping
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.config.interval)
            try:
                await self.export_once()
            except Exception:  # an encoding bug must not kill the loop silently
                _log.exception("OTLP export failed")

    def stop(self) -> None:
        """Ask `run()` to make its final push and return."""
        self._stopping.set()

    @contextlib.asynccontextmanager
    async def open_running(self) -> AsyncIterator[OtlpExporter]:
        """Run the push loop for the duration of the block, then flush."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.run(), name="weft-otlp-exporter")
            try:
                yield self
            finally:
                self.stop()
