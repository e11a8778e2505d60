"""`/_health/live` and `/_health/ready`: as a layer, or as router handlers.

How this works:

* Liveness answers 200 `{"status":"alive"}` whenever the event loop can
  answer at all: it never consults dependencies, so an orchestrator does not
  restart a healthy process because its database is down.
* Readiness answers 200 when `Readiness.report()` is ready and 503 when not
  ready or draining, with a JSON body listing each check's status and
  duration (`verbose=False` leaves the list out for probes reachable from
  outside). Both send `cache-control: no-store`.
* `HealthLayer` answers the two paths before the inner service (so before
  auth or rate limiting placed inside it) and costs other requests one
  string prefix test. Methods other than GET and HEAD get 405.
* `health_handlers(readiness)` gives the same two endpoints as plain
  services for a `Router`, at whatever paths the application chooses.
"""

from __future__ import annotations

import os.path
from typing import Final, final

from weft.errors import problem
from weft.health.readiness import Readiness
from weft.http_types import Request, Response
from weft.types import Service

__all__ = ["LIVE_PATH", "READY_PATH", "HealthLayer", "health_handlers"]

LIVE_PATH: Final = "/_health/live"
READY_PATH: Final = "/_health/ready"
_JSON: Final = ("content-type", "application/json")
_NO_STORE: Final = ("cache-control", "no-store")
_ALIVE: Final = b'{"status":"alive"}'


def _allowed(request: Request) -> Response | None:
    if request.method in ("GET", "HEAD"):
        return None
    return problem(405, detail="health endpoints support GET and HEAD",
                   headers=[("allow", "GET, HEAD")])


def _json(request: Request, status: int, body: bytes) -> Response:
    headers = [_JSON, _NO_STORE, ("content-length", str(len(body)))]
    return Response(status, headers, b"" if request.method == "HEAD" else body)


def live_response(request: Request) -> Response:
    refused = _allowed(request)
    return refused if refused is not None else _json(request, 200, _ALIVE)


async def ready_response(readiness: Readiness, request: Request, verbose: bool = True,
                         ) -> Response:
    refused = _allowed(request)
    if refused is not None:
        return refused
    report = await readiness.report()
    return _json(request, 200 if report.ready else 503, report.body(verbose))


@final
class HealthLayer:
    """Serve liveness and readiness in front of the wrapped service."""

    __slots__ = ("live_path", "readiness", "ready_path", "verbose")

    def __init__(self, readiness: Readiness | None = None, *, live_path: str = LIVE_PATH,
                 ready_path: str = READY_PATH, verbose: bool = True) -> None:
        if not live_path.startswith("/") or not ready_path.startswith("/"):
            raise ValueError("health paths must start with '/'")
        if live_path == ready_path:
            raise ValueError("liveness and readiness need different paths")
        self.readiness = readiness if readiness is not None else Readiness()
        self.live_path = live_path
        self.ready_path = ready_path
        self.verbose = verbose

    @classmethod
    def new(cls, readiness: Readiness) -> HealthLayer:
        return cls(readiness)

    def wrap(self, inner: Service) -> Service:
        live_path, ready_path = self.live_path, self.ready_path
        readiness, verbose = self.readiness, self.verbose
        # Their common character prefix ("/_health/"): other requests pay
        # one test. A string prefix is wanted here, not a path component.
        prefix = os.path.commonprefix([live_path, ready_path])  # noqa: RUF071

        async def health_service(request: Request) -> Response:
            path = request.path
            if path.startswith(prefix):
                if path == live_path:
                    return live_response(request)
                if path == ready_path:
                    return await ready_response(readiness, request, verbose)
            return await inner(request)

        return health_service


def health_handlers(readiness: Readiness, verbose: bool = True) -> tuple[Service, Service]:
    """(liveness, readiness) services to mount on a router's own paths."""

    async def live(request: Request) -> Response:
        return live_response(request)

    async def ready(request: Request) -> Response:
        return await ready_response(readiness, request, verbose)

    return live, ready
