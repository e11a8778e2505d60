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
* A call that raises counts as status 500 and re-raises; a cancelled call
  (client gone, deadline passed outside this layer) only leaves the
  in-flight gauge and counts nowhere.
* Latency is measured until the service returns its response; a streamed
  body's transfer time is not included.
* `weft_connections_open` is read at scrape time from every live server in
  the process (all protocols), so no wiring between app and layer is needed.
* `GET`/`HEAD <path>` is answered here with the registry's text exposition;
  scrapes are not counted. Other methods on that path get 405.
"""

from __future__ import annotations

import time
from typing import Final, final

from weft.connection.context import open_connections
from weft.errors import problem
from weft.http_types import Request, Response
from weft.metrics import CONTENT_TYPE, Registry
from weft.types import Service

__all__ = ["MetricsLayer"]

ROUTE_KEY: Final = "weft.route"
UNMATCHED: Final = "unmatched"
CONNECTIONS_OPEN: Final = "weft_connections_open"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
                             "CONNECT", "TRACE"})


@final
class MetricsLayer:
    """Count, time and expose the requests that pass through."""

    __slots__ = ("duration", "in_flight", "path", "registry", "requests")

    def __init__(self, registry: Registry | None = None, path: str = "/metrics") -> None:
        self.registry = registry if registry is not None else Registry()
        self.path = path
        self.requests = self.registry.counter(
            "http_requests_total", "HTTP requests served, by method, route template and status.",
            ("method", "route", "status"))
        self.duration = self.registry.histogram(
            "http_request_duration_seconds",
            "Time from request to response headers, by method and route template.",
            ("method", "route"))
        self.in_flight = self.registry.gauge(
            "http_requests_in_flight", "HTTP requests being handled now.")
        if CONNECTIONS_OPEN not in self.registry.names():
            self.registry.gauge_fn(
                CONNECTIONS_OPEN, "Client connections open in this process (all protocols).",
                lambda: float(open_connections()))

    @classmethod
    def new(cls, registry: Registry) -> MetricsLayer:
        return cls(registry)

    @classmethod
    def with_new_registry(cls, path: str = "/metrics") -> tuple[MetricsLayer, Registry]:
        layer = cls(Registry(), path)
        return layer, layer.registry

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
        in_flight = self.in_flight.labels()

        def record(request: Request, status: int, elapsed: float) -> None:
            method = request.method if request.method in _METHODS else "other"
            route = request.extensions.get(ROUTE_KEY)
            if not isinstance(route, str):
                route = UNMATCHED
            requests.labels(method, route, str(status)).inc()
            duration.labels(method, route).observe(elapsed)

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
