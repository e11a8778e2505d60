"""MetricsLayer: the standard HTTP server metrics and the `/metrics` endpoint.

How this works:

* Every request outside the scrape path updates three families in the
  registry: `http_requests_total{method,route,status}`,
  `http_request_duration_seconds{method,route}` (a histogram) and
  `http_requests_in_flight`.
* `route` is the route *template* the router stored in
  `request.extensions["weft.route"]` during the inner call, or `unmatched`;
  never the raw path, so label cardinality is bounded by the route table.
  Methods outside the standard set are counted as `other` for the same
  reason.
* A response with status >= 400 that a layer produced itself (it set
  `request.extensions["weft.rejected_by"]`, see `weft.layers.rejection`)
  also counts in `weft_requests_rejected_total{layer,status}`. Successful
  responses never look the key up.
* A call that raises counts as status 500 and re-raises; a cancelled call
  (client gone, deadline passed outside this layer) only leaves the
  in-flight gauge and counts nowhere.
* Latency is measured until the service returns its response; a streamed
  body's transfer time is not included.
* Read at scrape time from every live server in the process (all
  protocols), so no wiring between app and layer is needed:
  `weft_connections_open`, `weft_bytes_received_total` and
  `weft_bytes_sent_total`. The byte totals drop when a stopped server is
  garbage-collected; Prometheus's `rate()` treats that as a counter reset.
* `track_supervisor(sup)` adds `weft_supervisor_restarts_total`,
  `weft_supervisor_gave_up_total` and `weft_supervisor_children_running`,
  labelled by supervisor name.
* `GET`/`HEAD <path>` is answered here with the registry's text exposition;
  scrapes are not counted. Other methods on that path get 405.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final, final

from weft.connection import context as _connection_context
from weft.connection.context import ServerStats, open_connections
from weft.errors import problem
from weft.http_types import Request, Response
from weft.layers.rejection import REJECTED_KEY
from weft.metrics import CONTENT_TYPE, Registry
from weft.types import Service

if TYPE_CHECKING:
    from weft.supervisor import Supervisor

__all__ = ["MetricsLayer", "SupervisorCollector"]

ROUTE_KEY: Final = "weft.route"
UNMATCHED: Final = "unmatched"
CONNECTIONS_OPEN: Final = "weft_connections_open"
BYTES_RECEIVED: Final = "weft_bytes_received_total"
BYTES_SENT: Final = "weft_bytes_sent_total"
REJECTED: Final = "weft_requests_rejected_total"
SUPERVISOR_RESTARTS: Final = "weft_supervisor_restarts_total"
SUPERVISOR_GAVE_UP: Final = "weft_supervisor_gave_up_total"
SUPERVISOR_CHILDREN: Final = "weft_supervisor_children_running"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
                             "CONNECT", "TRACE"})


def _live_stats() -> list[ServerStats]:
    # The connection layer's registry of live servers (the same one
    # `open_connections()` sums).
    return list(_connection_context._LIVE_STATS)


def _bytes_received() -> Iterable[tuple[Sequence[str], float]]:
    yield (), float(sum(s.bytes_in for s in _live_stats()))


def _bytes_sent() -> Iterable[tuple[Sequence[str], float]]:
    yield (), float(sum(s.bytes_out for s in _live_stats()))


@final
class SupervisorCollector:
    """The supervisors one registry reports on; called at scrape time."""

    __slots__ = ("supervisors",)

    def __init__(self) -> None:
        self.supervisors: list[Supervisor] = []

    def add(self, supervisor: Supervisor) -> None:
        if all(s is not supervisor for s in self.supervisors):
            self.supervisors.append(supervisor)

    def restarts(self) -> Iterable[tuple[Sequence[str], float]]:
        return [((s.name,), float(s.restarts_total)) for s in self.supervisors]

    def gave_up(self) -> Iterable[tuple[Sequence[str], float]]:
        return [((s.name,), float(s.gave_up_total)) for s in self.supervisors]

    def children_running(self) -> Iterable[tuple[Sequence[str], float]]:
        return [((s.name,), float(sum(c.running for c in s.which_children())))
                for s in self.supervisors]

    def __call__(self) -> Iterable[tuple[Sequence[str], float]]:
        """The restarts family's samples (the registry finds the collector by it)."""
        return self.restarts()


@final
class MetricsLayer:
    """Count, time and expose the requests that pass through."""

    __slots__ = ("duration", "in_flight", "path", "registry", "rejected", "requests")

    def __init__(self, registry: Registry | None = None, path: str = "/metrics") -> None:
        self.registry = reg = registry if registry is not None else Registry()
        self.path = path
        self.requests = reg.counter(
            "http_requests_total", "HTTP requests served, by method, route template and status.",
            ("method", "route", "status"))
        self.duration = reg.histogram(
            "http_request_duration_seconds",
            "Time from request to response headers, by method and route template.",
            ("method", "route"))
        self.in_flight = reg.gauge(
            "http_requests_in_flight", "HTTP requests being handled now.")
        self.rejected = reg.counter(
            REJECTED, "Requests a layer refused itself (rate limit, timeout, overload), "
            "by layer name and status.", ("layer", "status"))
        names = reg.names()
        if CONNECTIONS_OPEN not in names:
            reg.gauge_fn(
                CONNECTIONS_OPEN, "Client connections open in this process (all protocols).",
                lambda: float(open_connections()))
        if BYTES_RECEIVED not in names:
            reg.callback(BYTES_RECEIVED, "Bytes read from client connections in this process.",
                         "counter", (), _bytes_received)
        if BYTES_SENT not in names:
            reg.callback(BYTES_SENT, "Bytes written to client connections in this process.",
                         "counter", (), _bytes_sent)

    @classmethod
    def new(cls, registry: Registry) -> MetricsLayer:
        return cls(registry)

    @classmethod
    def with_new_registry(cls, path: str = "/metrics") -> tuple[MetricsLayer, Registry]:
        layer = cls(Registry(), path)
        return layer, layer.registry

    def track_supervisor(self, supervisor: Supervisor) -> MetricsLayer:
        """Report `supervisor`'s restarts, give-ups and running children."""
        reg = self.registry
        collector = reg.callback_source(SUPERVISOR_RESTARTS)
        if not isinstance(collector, SupervisorCollector):
            collector = SupervisorCollector()
            reg.callback(SUPERVISOR_RESTARTS, "Restart decisions a supervisor has made.",
                         "counter", ("supervisor",), collector)
            reg.callback(SUPERVISOR_GAVE_UP, "Times a supervisor exceeded its restart intensity.",
                         "counter", ("supervisor",), collector.gave_up)
            reg.callback(SUPERVISOR_CHILDREN, "Children of a supervisor running now.",
                         "gauge", ("supervisor",), collector.children_running)
        collector.add(supervisor)
        return self

    def scrape(self, request: Request) -> Response:
        """The response to a request for the scrape path."""
        if request.method not in ("GET", "HEAD"):
            return problem(405, detail=f"{self.path} supports GET and HEAD",
                           headers=[("allow", "GET, HEAD")])
        body = self.registry.render().encode("utf-8")
        headers = [("content-type", CONTENT_TYPE), ("content-length", str(len(body)))]
        return Response(200, headers, b"" if request.method == "HEAD" else body)

    def wrap(self, inner: Service) -> Service:
        path = self.path
        scrape = self.scrape
        requests = self.requests
        duration = self.duration
        rejected = self.rejected
        in_flight = self.in_flight.labels()

        def record(request: Request, status: int, elapsed: float) -> None:
            method = request.method if request.method in _METHODS else "other"
            extensions = request.extensions
            route = extensions.get(ROUTE_KEY)
            if not isinstance(route, str):
                route = UNMATCHED
            code = str(status)
            requests.labels(method, route, code).inc()
            duration.labels(method, route).observe(elapsed)
            if status >= 400:
                layer = extensions.get(REJECTED_KEY)
                if isinstance(layer, str):
                    rejected.labels(layer, code).inc()

        async def metrics_service(request: Request) -> Response:
            if request.path == path:
                return scrape(request)
            in_flight.inc()
            start = time.perf_counter()
            try:
                response = await inner(request)
            except Exception:
                record(request, 500, time.perf_counter() - start)
                raise
            finally:
                in_flight.dec()
            record(request, response.status, time.perf_counter() - start)
            return response

        return metrics_service
