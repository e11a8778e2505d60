"""`Router`: the radix-tree router, itself a Service.

How a request is routed:

1. `static[path][method]` — every capture-free route (and HEAD → GET) sits
   in a dict keyed by the raw path, so the common case is two dict lookups.
2. Otherwise the path is split into segments, percent-decoded when it has a
   `%` (invalid UTF-8 → 400), and the tree is walked (literal > parameter >
   wildcard, with backtracking; see `tree.py`).
3. No route for the method but some for the path → 405 with `Allow`.
4. Else the longest matching `nest` prefix's fallback, else the router's
   fallback, else 404. Errors are `application/problem+json`.

The matched route sets `request.path_params` and
`request.extensions["weft.route"]` (the template, e.g. `/users/:id`; the
fallback reports `<fallback>`) before the handler or its layers run.

A handler's return value goes through `into_response`; a raised `WeftError`
or `ExtractRejection` becomes its response; any other exception is logged
and answered with a generic 500 (nothing escapes to the connection).

WebSocket routes (`ws`) are plain GET routes whose endpoint validates the
handshake and answers 101 with a `WsAccept` stream, which the HTTP/1.1
connection turns into a session (`weft.connection.handoff`). Layers wrap
them like any route, and plain HTTP routing pays nothing for them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import CoroutineType, ModuleType
from typing import Any, Final, final
from urllib.parse import unquote

from weft.accel import native_module
from weft.connection.eager import Resumed, Suspended, first_step
from weft.connection.handoff import websocket_endpoint
from weft.connection.websocket import WsHandler, WsRoute
from weft.errors import (
    BadRequest,
    ExtractRejection,
    Internal,
    MethodNotAllowed,
    RouteNotFound,
    WeftError,
)
from weft.extract.signature import SHAPE_ARGS, SHAPE_REQUEST, HandlerPlan, plan_handler
from weft.http_types import Request, Response
from weft.protocols.websocket import WsConfig
from weft.response import TEXT_HEADER, into_response
from weft.router.pattern import Pattern, parse_pattern
from weft.router.tree import Node, Route, allowed_methods, find_route, insert
from weft.types import Layer

__all__ = ["ROUTE_KEY", "RouteMatch", "Router"]

ROUTE_KEY = "weft.route"
FALLBACK_TEMPLATE = "<fallback>"
_log = logging.getLogger("weft.router")
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_FALLBACK_PATTERN = Pattern(FALLBACK_TEMPLATE, ())

# Any: a handler returns any IntoResponse value (or an awaitable of one).
Handler = Callable[..., Any]


@final
@dataclass(frozen=True, slots=True)
class RouteMatch:
    """What `Router.match` found: the template, the decoded captures, the handler."""

    method: str
    template: str
    params: dict[str, str]
    handler: Handler


def _method(m: str) -> str:
    up = m.upper()
    if not up or not set(up) <= _TOKEN:
        raise ValueError(f"not an HTTP method token: {m!r}")
    return up


def _segments(path: str) -> list[str]:
    """Decoded segments of a request path; raises BadRequest on bad UTF-8."""
    segs = path[1:].split("/") if path != "/" else []
    if "%" in path:
        try:
            segs = [unquote(s, errors="strict") if "%" in s else s for s in segs]
        except UnicodeDecodeError:
            raise BadRequest("the path is not valid UTF-8 once percent-decoded") from None
    return segs


async def run_plan(plan: HandlerPlan, req: Request) -> Response:
    """Call a planned handler and render whatever happens as a response."""
    try:
        shape = plan.shape
        if shape == SHAPE_REQUEST:
            r = plan.fn(req)
        elif shape == SHAPE_ARGS:
            r = plan.fn(*[g(req) for g in plan.getters])
        else:
            r = plan.fn()
        if plan.is_async or type(r) is CoroutineType:
            r = await r
        if type(r) is Response:
            return r
        return into_response(r)
    except (WeftError, ExtractRejection) as e:
        return e.into_response()
    except Exception:
        _log.exception("handler %s failed", plan.name)
        return Internal("unhandled exception in handler").into_response()


def _layered(plan: HandlerPlan, layer: Layer) -> HandlerPlan:
    async def endpoint(req: Request) -> Response:
        return await run_plan(plan, req)
    return HandlerPlan(layer.wrap(endpoint), True, SHAPE_REQUEST, (), plan.name)


def _prefix_matches(prefix: Pattern, segs: list[str]) -> bool:
    if len(segs) < len(prefix.segments):
        return False
    for seg, part in zip(prefix.segments, segs, strict=False):
        if (seg.kind == 0 and seg.text != part) or not part:
            return False
    return True


@final
class Router:
    """Routes requests by method and path to handlers; a Service itself.

    Builder methods mutate the router and return it, for chaining.
    """

    __slots__ = ("_fallback", "_nested_fallbacks", "_root", "_routes", "_static", "_ws")

    def __init__(self) -> None:
        self._root = Node()
        self._static: dict[str, dict[str, Route]] = {}
        self._routes: list[Route] = []
        self._ws: list[WsRoute] = []
        self._fallback: Route | None = None
        self._nested_fallbacks: list[tuple[Pattern, Route]] = []

    @classmethod
    def new(cls) -> Router:
        return cls()

    # -- building ----------------------------------------------------------

    def route(self, path: str, method: str | Iterable[str], handler: Handler) -> Router:
        """Register `handler` for `method` (or several) at `path`.

        Raises ValueError for a bad pattern, RouteConflict for a duplicate and
        TypeError when a handler parameter cannot be filled.
        """
        pattern = parse_pattern(path)
        methods = [method] if isinstance(method, str) else list(method)
        plan = plan_handler(handler, frozenset(pattern.names))
        for m in methods:
            self._add(Route(_method(m), pattern, plan))
        return self

    def get(self, path: str, handler: Handler) -> Router:
        return self.route(path, "GET", handler)

    def post(self, path: str, handler: Handler) -> Router:
        return self.route(path, "POST", handler)

    def put(self, path: str, handler: Handler) -> Router:
        return self.route(path, "PUT", handler)

    def delete(self, path: str, handler: Handler) -> Router:
        return self.route(path, "DELETE", handler)

    def patch(self, path: str, handler: Handler) -> Router:
        return self.route(path, "PATCH", handler)

    def head(self, path: str, handler: Handler) -> Router:
        return self.route(path, "HEAD", handler)

    def options(self, path: str, handler: Handler) -> Router:
        return self.route(path, "OPTIONS", handler)

    def ws(self, path: str, handler: WsHandler, config: WsConfig | None = None) -> Router:
        """Serve WebSocket sessions at `path` (captures such as `/rooms/:id`
        land in `session.request.path_params`).

        `handler(session)` runs once per accepted connection; a request that
        is not a valid handshake gets 426 or 400. The path is a GET route, so
        a GET route of its own at the same path is a conflict.
        """
        route = WsRoute(path, handler, config if config is not None else WsConfig())
        self.route(path, "GET", websocket_endpoint(route))
        self._ws.append(route)
        return self

    def ws_routes(self) -> list[WsRoute]:
        """The WebSocket routes, in registration order."""
        return list(self._ws)

    def fallback(self, handler: Handler) -> Router:
        """Answer requests no route matches (instead of 404; 405 still wins)."""
        self._fallback = Route("*", _FALLBACK_PATTERN, plan_handler(handler, None))
        return self

    def nest(self, prefix: str, router: Router) -> Router:
        """Mount `router`'s routes under `prefix` (a snapshot: later changes to it are not seen).

        The inner route `/` becomes `prefix` itself; handlers see the full
        path. The inner router's fallback answers unmatched paths under
        `prefix`. The prefix may hold captures (`/users/:id`).
        """
        stripped = prefix.rstrip("/") or "/"
        base = parse_pattern(stripped)
        for route in router._routes:
            self._add(Route(route.method, base.join(route.pattern), route.plan))
        for sub, fb in router._nested_fallbacks:
            self._nested_fallbacks.append((base.join(sub), fb))
        if router._fallback is not None:
            self._nested_fallbacks.append((base, router._fallback))
        self._nested_fallbacks.sort(key=lambda e: -len(e[0].segments))
        return self

    def layer(self, layer: Layer) -> Router:
        """Wrap every route registered so far, and the fallbacks, in `layer`.

        Routes added afterwards are not wrapped; wrap the whole router with
        `ServiceBuilder` to cover 404/405 answers too.
        """
        for route in self._routes:
            route.plan = _layered(route.plan, layer)
        if self._fallback is not None:
            self._fallback.plan = _layered(self._fallback.plan, layer)
        for _, fb in self._nested_fallbacks:
            fb.plan = _layered(fb.plan, layer)
        return self

    def _add(self, route: Route) -> None:
        insert(self._root, route)
        self._routes.append(route)
        if route.pattern.is_static:
            by_method = self._static.setdefault(route.template, {})
            by_method[route.method] = route
            if route.method == "GET" and "HEAD" not in by_method:
                by_method["HEAD"] = route

    # -- introspection -----------------------------------------------------

    def routes(self) -> list[tuple[str, str]]:
        """(method, template) of every route, in registration order."""
        return [(r.method, r.template) for r in self._routes]

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route a request would reach, without calling it."""
        caps: list[str] = []
        route = find_route(self._root, _segments(path), 0, method.upper(), caps)
        if route is None:
            return None
        return RouteMatch(route.method, route.template, dict(zip(route.names, caps, strict=True)),
                          route.plan.fn)

    # -- serving -----------------------------------------------------------

    def _resolve(self, req: Request) -> Route:
        """The slow path: tree walk, 405, fallbacks; raises WeftError otherwise."""
        path = req.path
        if not path.startswith("/"):
            raise RouteNotFound()
        segs = _segments(path)
        caps: list[str] = []
        route = find_route(self._root, segs, 0, req.method, caps)
        if route is not None:
            if caps:
                req.path_params = dict(zip(route.names, caps, strict=True))
            return route
        allowed: set[str] = set()
        allowed_methods(self._root, segs, 0, allowed)
        if allowed:
            if "GET" in allowed:
                allowed.add("HEAD")
            raise MethodNotAllowed(tuple(sorted(allowed)))
        for prefix, fb in self._nested_fallbacks:
            if _prefix_matches(prefix, segs):
                return fb
        if self._fallback is not None:
            return self._fallback
        raise RouteNotFound()

    async def __call__(self, req: Request) -> Response:
        """Serve one request (the Service contract); see `eager`."""
        r = self.eager(req)
        if type(r) is Response:
            return r
        return await r

    def eager(self, req: Request) -> Response | Awaitable[Response]:
        """Serve `req` as far as it goes without suspending (the connection's
        fast path): the finished Response, or an awaitable of what
        `await self(req)` would return. A handler that finishes at once costs
        no router coroutine and no StopIteration of ours. Static routes are
        served by a C twin when it is built (`_native.c`, see `weft.accel`);
        this method is its specification and serves everything else."""
        try:
            by_method = self._static.get(req.path)
            route = by_method.get(req.method) if by_method is not None else None
            if route is None:
                route = self._resolve(req)
            req.extensions[ROUTE_KEY] = route.template
            plan = route.plan
            shape = plan.shape
            if shape == SHAPE_REQUEST:
                r = plan.fn(req)
            elif shape == SHAPE_ARGS:
                r = plan.fn(*[g(req) for g in plan.getters])
            else:
                r = plan.fn()
            if type(r) is CoroutineType:
                coro = r
                r = first_step(coro)
                if type(r) is Suspended:
                    return self._resume(coro, r.value, req)
            elif plan.is_async:
                return self._finish(r, req)
            if type(r) is Response:
                return r
            return into_response(r)
        except Exception as exc:
            return self._failure(req, exc)

    def _resume(self, coro: Any, yielded: Any, req: Request) -> Awaitable[Response]:
        """`eager`'s handler suspended at `yielded` (Any: the coroutine and
        whatever it awaits): the awaitable of the rest."""
        return self._finish(Resumed(coro, yielded), req)

    async def _finish(self, pending: Awaitable[Any], req: Request) -> Response:
        """The rest of `eager` once the handler suspended."""
        try:
            r = await pending
            if type(r) is Response:
                return r
            return into_response(r)
        except Exception as exc:
            return self._failure(req, exc)

    def _failure(self, req: Request, exc: Exception) -> Response:
        """The answer to a handler's exception: its own response for a
        WeftError or rejection, else a logged 500."""
        if isinstance(exc, (WeftError, ExtractRejection)):
            return exc.into_response()
        _log.error("request %s %s failed", req.method, req.path, exc_info=exc)
        return Internal("unhandled exception").into_response()

    async def dispatch(self, req: Request) -> Response:
        """Verum's name for serving one request."""
        return await self(req)

    async def handle(self, req: Request) -> Response:
        """Verum's `Handler.handle`."""
        return await self(req)


#: the pure-Python `eager`: the specification of its C twin
py_eager: Final = Router.eager


def _load_native() -> ModuleType | None:
    """Install the C `eager` (`_native.c`) on the class, if built and not switched off."""
    native = native_module("weft.router._native")
    if native is None:
        return None
    native.bind(Router, Route, HandlerPlan, Request, Response, py_eager, into_response,
                ROUTE_KEY, TEXT_HEADER, SHAPE_REQUEST)
    # setattr: replacing a method on a final class is this module's own choice
    setattr(Router, "eager", native.eager_method)  # noqa: B010
    return native


#: the C accelerator in use, or None when the pure-Python method serves
NATIVE: Final = _load_native()
