"""The radix tree: one node per path segment position.

Invariants:
* a node has a dict of literal children, at most one parameter child and at
  most one wildcard edge; capture NAMES live on the route, not the node, so
  `GET /a/:id` and `GET /a/:slug/x` coexist;
* a node's `routes` maps an upper-case method to the route ending there;
  two routes with the same method and equivalent pattern meet at the same
  node and slot, which is how duplicates are detected;
* matching prefers literal > parameter > wildcard at every position and
  backtracks: if the literal branch has no route for the method, the
  parameter branch is tried, then the wildcard. HEAD falls back to GET.
"""

from __future__ import annotations

from typing import final

from weft.extract.signature import HandlerPlan
from weft.router.pattern import PARAM, STATIC, Pattern, RouteConflict

__all__ = ["Node", "Route", "allowed_methods", "find_route", "insert"]


@final
class Route:
    """One registered (method, pattern) and the plan that answers it.

    Mutable only in `plan`, which `Router.layer` replaces with a layered one.
    """

    __slots__ = ("method", "names", "pattern", "plan", "template")

    def __init__(self, method: str, pattern: Pattern, plan: HandlerPlan) -> None:
        self.method = method
        self.pattern = pattern
        self.template = pattern.template
        self.names = pattern.names
        self.plan = plan

    def __repr__(self) -> str:
        return f"<Route {self.method} {self.template}>"


@final
class Node:
    __slots__ = ("param", "routes", "statics", "wildcard")

    def __init__(self) -> None:
        self.statics: dict[str, Node] = {}
        self.param: Node | None = None
        self.wildcard: dict[str, Route] | None = None
        self.routes: dict[str, Route] = {}


def insert(root: Node, route: Route) -> None:
    """Add `route`; raise RouteConflict if its (method, shape) slot is taken."""
    node = root
    for seg in route.pattern.segments:
        if seg.kind == STATIC:
            child = node.statics.get(seg.text)
            if child is None:
                child = node.statics[seg.text] = Node()
            node = child
        elif seg.kind == PARAM:
            if node.param is None:
                node.param = Node()
            node = node.param
        else:
            if node.wildcard is None:
                node.wildcard = {}
            _put(node.wildcard, route)
            return
    _put(node.routes, route)


def _put(slot: dict[str, Route], route: Route) -> None:
    existing = slot.get(route.method)
    if existing is not None:
        raise RouteConflict(route.method, existing.template, route.template)
    slot[route.method] = route


def _pick(routes: dict[str, Route], method: str) -> Route | None:
    r = routes.get(method)
    if r is None and method == "HEAD":
        r = routes.get("GET")
    return r


def find_route(node: Node, segs: list[str], i: int, method: str,
               caps: list[str]) -> Route | None:
    """The highest-priority route for `method`; `caps` receives captured values."""
    if i == len(segs):
        return _pick(node.routes, method) if node.routes else None
    seg = segs[i]
    child = node.statics.get(seg)
    if child is not None:
        r = find_route(child, segs, i + 1, method, caps)
        if r is not None:
            return r
    if node.param is not None and seg:
        caps.append(seg)
        r = find_route(node.param, segs, i + 1, method, caps)
        if r is not None:
            return r
        caps.pop()
    if node.wildcard is not None:
        rest = "/".join(segs[i:])
        if rest:
            r = _pick(node.wildcard, method)
            if r is not None:
                caps.append(rest)
                return r
    return None


def allowed_methods(node: Node, segs: list[str], i: int, out: set[str]) -> None:
    """Every method of every route whose pattern matches the path (for 405)."""
    if i == len(segs):
        out.update(node.routes)
        return
    seg = segs[i]
    child = node.statics.get(seg)
    if child is not None:
        allowed_methods(child, segs, i + 1, out)
    if node.param is not None and seg:
        allowed_methods(node.param, segs, i + 1, out)
    if node.wildcard is not None and "/".join(segs[i:]):
        out.update(node.wildcard)
