"""Property tests: random route sets against the router."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from weft.http_types import Request, Response
from weft.router import ROUTE_KEY, Router

literal = st.text(alphabet="abcdefghij-_.~0123456789", min_size=1, max_size=6)
static_path = st.lists(literal, min_size=0, max_size=4).map(lambda segs: "/" + "/".join(segs))


def run(router: Router, req: Request) -> Response:
    coro = router(req)
    try:
        coro.send(None)
    except StopIteration as stop:
        resp = stop.value
        assert isinstance(resp, Response)
        return resp
    coro.close()
    raise AssertionError("a synchronous handler suspended")


def echo_template(template: str) -> Callable[[Request], str]:
    def handler(req: Request) -> str:
        return template
    return handler


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(static_path, min_size=1, max_size=30))
def test_every_static_path_reaches_its_own_handler(paths: set[str]) -> None:
    r = Router()
    for p in sorted(paths):
        r.get(p, echo_template(p))
    for p in paths:
        req = Request("GET", p)
        resp = run(r, req)
        assert resp.status == 200
        assert resp.body == p.encode()
        assert req.extensions[ROUTE_KEY] == p


@settings(max_examples=80, deadline=None)
@given(st.lists(literal, max_size=3), st.text(min_size=1, max_size=20),
       st.text(min_size=1, max_size=20))
def test_param_and_wildcard_capture_round_trips(prefix: list[str], value: str, rest: str) -> None:
    base = "/" + "/".join(prefix) if prefix else ""
    r = Router().get(f"{base}/p/:value", echo_template("p")).get(f"{base}/w/*rest",
                                                                  echo_template("w"))
    req = Request("GET", f"{base}/p/{quote(value, safe='')}")
    assert run(r, req).body == b"p"
    assert req.path_params == {"value": value}
    rest_segments = [s for s in rest.split("/")]
    if all(rest_segments) and "%" not in rest:
        req = Request("GET", f"{base}/w/" + "/".join(quote(s, safe="") for s in rest_segments))
        assert run(r, req).body == b"w"
        assert req.path_params == {"rest": rest}


@settings(max_examples=150, deadline=None)
@given(st.sets(static_path, max_size=10),
       st.text(max_size=40),
       st.sampled_from(["GET", "POST", "HEAD", "DELETE", "BREW"]))
def test_random_paths_never_crash(paths: set[str], path: str, method: str) -> None:
    r = Router().get("/x/:id", echo_template("x")).get("/w/*rest", echo_template("w"))
    for p in sorted(paths):
        if p not in ("/x", "/w"):
            r.post(p, echo_template(p))
    resp = run(r, Request(method, path))
    assert resp.status in (200, 400, 404, 405)
    if resp.status == 405:
        assert resp.header("allow")


@settings(max_examples=60, deadline=None)
@given(st.sets(static_path, min_size=1, max_size=15), st.data())
def test_tree_and_static_table_agree(paths: set[str], data: st.DataObject) -> None:
    """A static route reached via the tree (percent-encoded request) is the same route."""
    r = Router()
    for p in sorted(paths):
        r.get(p, echo_template(p))
    p = data.draw(st.sampled_from(sorted(paths)))
    if p == "/":
        return
    encoded = "/" + "/".join("%" + format(ord(s[0]), "02X") + s[1:] for s in p[1:].split("/"))
    assert run(r, Request("GET", encoded)).body == p.encode()


def test_run_helper_rejects_suspension() -> None:
    async def sleepy(req: Request) -> str:
        await asyncio.sleep(0)
        return "z"
    r = Router().get("/", sleepy)
    try:
        run(r, Request("GET", "/"))
    except AssertionError as e:
        assert "suspended" in str(e)
    else:
        raise AssertionError("expected the helper to notice the suspension")
