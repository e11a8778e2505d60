"""Router behaviour, tested as a Service (no sockets)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import pytest
from weft.errors import BadRequest, Internal, RouteNotFound
from weft.http_types import Request, Response
from weft.router import ROUTE_KEY, RouteConflict, Router, parse_pattern
from weft.service import LayerFn, ServiceBuilder, layer_fn
from weft.types import Service


def send(router: Router, method: str, path: str) -> tuple[Response, Request]:
    req = Request(method, path)
    return asyncio.run(router(req)), req


def tag(name: str) -> Callable[[Request], str]:
    def handler(req: Request) -> str:
        return name
    return handler


def test_static_param_wildcard_and_route_key() -> None:
    r = (Router().get("/", tag("root")).get("/users/me", tag("me"))
         .get("/users/:id", tag("user")).get("/files/*rest", tag("files")))
    resp, req = send(r, "GET", "/")
    assert resp.body == b"root" and req.extensions[ROUTE_KEY] == "/"
    resp, req = send(r, "GET", "/users/me")
    assert resp.body == b"me" and req.path_params == {}
    resp, req = send(r, "GET", "/users/42")
    assert resp.body == b"user" and req.path_params == {"id": "42"}
    assert req.extensions[ROUTE_KEY] == "/users/:id"
    resp, req = send(r, "GET", "/files/a/b/c.txt")
    assert resp.body == b"files" and req.path_params == {"rest": "a/b/c.txt"}
    assert req.extensions[ROUTE_KEY] == "/files/*rest"


def test_priority_with_backtracking() -> None:
    r = (Router().get("/a/b/c", tag("static")).get("/a/:x/d", tag("param"))
         .get("/a/*rest", tag("wild")))
    assert send(r, "GET", "/a/b/c")[0].body == b"static"
    # literal `b` is a dead end for `/a/b/d`, so the parameter branch answers
    resp, req = send(r, "GET", "/a/b/d")
    assert resp.body == b"param" and req.path_params == {"x": "b"}
    resp, req = send(r, "GET", "/a/b/e")
    assert resp.body == b"wild" and req.path_params == {"rest": "b/e"}


def test_method_aware_backtracking() -> None:
    r = Router().post("/users/me", tag("post-me")).get("/users/:id", tag("get-user"))
    assert send(r, "GET", "/users/me")[0].body == b"get-user"
    assert send(r, "POST", "/users/me")[0].body == b"post-me"


def test_captures_need_non_empty_segments() -> None:
    r = Router().get("/u/:id", tag("u")).get("/f/*rest", tag("f"))
    assert send(r, "GET", "/u/")[0].status == 404
    assert send(r, "GET", "/f")[0].status == 404
    assert send(r, "GET", "/f/")[0].status == 404
    assert send(r, "GET", "/u")[0].status == 404


def test_404_problem_json() -> None:
    resp, req = send(Router().get("/a", tag("a")), "GET", "/b")
    assert resp.status == 404
    assert resp.header("content-type") == "application/problem+json"
    assert json.loads(resp.body)["status"] == 404
    assert ROUTE_KEY not in req.extensions
    assert send(Router(), "GET", "*")[0].status == 404
    assert send(Router().get("/a", tag("a")), "GET", "/a/")[0].status == 404


def test_405_lists_allowed_methods() -> None:
    r = Router().get("/x/:id", tag("g")).put("/x/:id", tag("p")).delete("/x/static", tag("d"))
    resp, _ = send(r, "POST", "/x/1")
    assert resp.status == 405 and resp.header("allow") == "GET, HEAD, PUT"
    resp, _ = send(r, "POST", "/x/static")
    assert resp.header("allow") == "DELETE, GET, HEAD, PUT"
    assert json.loads(resp.body)["status"] == 405


def test_head_uses_get_unless_explicit() -> None:
    r = Router().get("/a", tag("get-a")).get("/b/:x", tag("get-b"))
    assert send(r, "HEAD", "/a")[0].body == b"get-a"
    assert send(r, "HEAD", "/b/1")[0].body == b"get-b"
    r2 = Router().get("/a", tag("get")).head("/a", tag("head"))
    assert send(r2, "HEAD", "/a")[0].body == b"head"
    r3 = Router().head("/a", tag("head")).get("/a", tag("get"))
    assert send(r3, "HEAD", "/a")[0].body == b"head"
    assert send(r3, "GET", "/a")[0].body == b"get"


def test_percent_decoding() -> None:
    r = Router().get("/hello world", tag("space")).get("/p/:name", tag("p")).get("/w/*rest", tag("w"))
    assert send(r, "GET", "/hello%20world")[0].body == b"space"
    resp, req = send(r, "GET", "/p/a%2Fb%20%C3%A9")
    assert resp.body == b"p" and req.path_params == {"name": "a/b é"}
    assert send(r, "GET", "/p/a+b")[1].path_params == {"name": "a+b"}
    resp, _ = send(r, "GET", "/p/%FF")
    assert resp.status == 400
    resp, req = send(r, "GET", "/w/x%20y/z")
    assert req.path_params == {"rest": "x y/z"}


def test_methods_list_and_case() -> None:
    r = Router().route("/m", ["get", "POST"], tag("m")).options("/m", tag("o")).patch("/m", tag("pa"))
    assert send(r, "GET", "/m")[0].body == b"m"
    assert send(r, "POST", "/m")[0].body == b"m"
    assert send(r, "OPTIONS", "/m")[0].body == b"o"
    assert send(r, "PATCH", "/m")[0].body == b"pa"
    assert r.routes() == [("GET", "/m"), ("POST", "/m"), ("OPTIONS", "/m"), ("PATCH", "/m")]
    with pytest.raises(ValueError):
        Router().route("/m", "GE T", tag("x"))


@pytest.mark.parametrize("bad", ["", "a", "/a//b", "/a/", "/:", "/*", "/*a/b", "/:a/:a",
                                 "/:1x", "/a%2Fb"])
def test_bad_patterns(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_pattern(bad)


@pytest.mark.parametrize(("first", "second"), [
    ("/a/:x", "/a/:y"), ("/a/b", "/a/b"), ("/f/*a", "/f/*b"), ("/a b", "/a%20b"),
    ("/:a/x/:b", "/:c/x/:d"),
])
def test_conflicts_name_both_patterns(first: str, second: str) -> None:
    r = Router().get(first, tag("1"))
    with pytest.raises(RouteConflict) as info:
        r.get(second, tag("2"))
    msg = str(info.value)
    assert parse_pattern(first).template in msg and parse_pattern(second).template in msg
    assert info.value.method == "GET"


def test_same_shape_different_methods_or_names_coexist() -> None:
    r = Router().get("/a/:x", tag("g")).post("/a/:y", tag("p")).get("/a/:z/more", tag("m"))
    assert send(r, "POST", "/a/1")[1].path_params == {"y": "1"}
    assert send(r, "GET", "/a/1")[1].path_params == {"x": "1"}
    assert send(r, "GET", "/a/1/more")[1].path_params == {"z": "1"}


def test_nest_and_fallbacks() -> None:
    api = (Router().get("/", tag("api-root")).get("/users/:id", tag("api-user"))
           .fallback(tag("api-fallback")))
    users = Router().get("/posts/:post", tag("posts"))
    r = (Router().nest("/api/", api).nest("/u/:uid", users).get("/", tag("root"))
         .fallback(tag("root-fallback")))
    assert send(r, "GET", "/api")[0].body == b"api-root"
    resp, req = send(r, "GET", "/api/users/3")
    assert resp.body == b"api-user" and req.extensions[ROUTE_KEY] == "/api/users/:id"
    assert send(r, "GET", "/api/nope")[0].body == b"api-fallback"
    assert send(r, "GET", "/apix")[0].body == b"root-fallback"
    resp, req = send(r, "GET", "/u/9/posts/4")
    assert resp.body == b"posts" and req.path_params == {"uid": "9", "post": "4"}
    resp, req = send(r, "GET", "/elsewhere")
    assert resp.body == b"root-fallback" and req.extensions[ROUTE_KEY] == "<fallback>"
    # 405 wins over a fallback
    assert send(r, "DELETE", "/api/users/3")[0].status == 405
    with pytest.raises(RouteConflict):
        r.nest("/api", Router().get("/users/:x", tag("dup")))
    with pytest.raises(ValueError):
        Router().nest("/x/:id", Router().get("/:id", tag("clash")))
    with pytest.raises(ValueError):
        Router().nest("/f/*rest", Router().get("/", tag("x")))


def test_deeply_nested_fallback() -> None:
    inner = Router().get("/x", tag("x")).fallback(tag("inner-fb"))
    mid = Router().nest("/in", inner)
    r = Router().nest("/mid", mid)
    assert send(r, "GET", "/mid/in/x")[0].body == b"x"
    assert send(r, "GET", "/mid/in/zzz")[0].body == b"inner-fb"
    assert send(r, "GET", "/mid/zzz")[0].status == 404


async def _call(svc: Service, req: Request) -> Response:
    return await svc(req)


def _recording_layer(trail: list[str], name: str) -> LayerFn:
    def wrap(inner: Service) -> Service:
        async def call(req: Request) -> Response:
            trail.append(f"{name}:{req.extensions.get(ROUTE_KEY)}")
            resp = await inner(req)
            resp.headers.append(("x-layer", name))
            return resp
        return call
    return layer_fn(wrap)


def test_router_layer_wraps_routes_so_far_and_fallback() -> None:
    trail: list[str] = []
    r = (Router().get("/a/:id", tag("a")).fallback(tag("fb"))
         .layer(_recording_layer(trail, "L")).get("/b", tag("b")))
    resp, _ = send(r, "GET", "/a/1")
    assert resp.body == b"a" and resp.header("x-layer") == "L"
    assert trail == ["L:/a/:id"]
    assert send(r, "GET", "/b")[0].header("x-layer") is None
    assert send(r, "GET", "/zzz")[0].header("x-layer") == "L"
    # the router is a Service, so it composes with ServiceBuilder too
    outer: list[str] = []
    svc = ServiceBuilder(r).layer(_recording_layer(outer, "O")).build()
    resp = asyncio.run(_call(svc, Request("GET", "/nope/nope/nope")))
    assert resp.header("x-layer") == "L"  # fallback answered, inside the outer layer
    assert outer == ["O:None"]


def test_layered_handler_errors_stay_responses() -> None:
    def boom(req: Request) -> str:
        raise BadRequest("nope")
    r = Router().get("/", boom).layer(_recording_layer([], "L"))
    resp, _ = send(r, "GET", "/")
    assert resp.status == 400 and resp.header("x-layer") == "L"


def test_sync_async_and_return_shapes() -> None:
    async def a(req: Request) -> dict[str, int]:
        await asyncio.sleep(0)
        return {"n": 1}

    def s(req: Request) -> tuple[int, str]:
        return 201, "made"

    class Callable:
        async def __call__(self, req: Request) -> Response:
            return Response(202)

    async def coro_maker(req: Request) -> str:
        return "via coroutine"

    def returns_coroutine(req: Request) -> object:
        return coro_maker(req)

    r = (Router().get("/a", a).get("/s", s).get("/c", Callable())
         .get("/rc", returns_coroutine).get("/none", lambda req: None))
    assert send(r, "GET", "/a")[0].body == b'{"n":1}'
    assert send(r, "GET", "/s")[0].status == 201
    assert send(r, "GET", "/c")[0].status == 202
    assert send(r, "GET", "/rc")[0].body == b"via coroutine"
    assert send(r, "GET", "/none")[0].status == 200


def test_router_as_a_route_handler() -> None:
    inner = Router().get("/inner", tag("inner"))
    r = Router().get("/inner", inner)
    assert send(r, "GET", "/inner")[0].body == b"inner"


def test_handler_exceptions_become_500_without_detail(caplog: pytest.LogCaptureFixture) -> None:
    def crash(req: Request) -> str:
        raise RuntimeError("secret-token-123")

    def bad_return(req: Request) -> object:
        return 42

    def raises_internal(req: Request) -> str:
        raise Internal("db password")

    r = Router().get("/crash", crash).get("/bad", bad_return).get("/internal", raises_internal)
    with caplog.at_level(logging.ERROR, logger="weft.router"):
        resp, _ = send(r, "GET", "/crash")
    assert resp.status == 500 and b"secret" not in resp.body
    assert "secret-token-123" in caplog.text
    assert send(r, "GET", "/bad")[0].status == 500
    resp, _ = send(r, "GET", "/internal")
    assert resp.status == 500 and b"password" not in resp.body


def test_raised_route_not_found_and_cancellation() -> None:
    def nf(req: Request) -> str:
        raise RouteNotFound()
    assert send(Router().get("/", nf), "GET", "/")[0].status == 404

    async def slow(req: Request) -> str:
        await asyncio.sleep(10)
        return "late"
    r = Router().get("/slow", slow)

    async def main() -> None:
        task = asyncio.ensure_future(r(Request("GET", "/slow")))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    asyncio.run(main())


def test_match_and_verum_names() -> None:
    r = Router.new().get("/u/:id", tag("u"))
    m = r.match("get", "/u/%31")
    assert m is not None and m.template == "/u/:id" and m.params == {"id": "1"}
    assert r.match("GET", "/x") is None
    assert asyncio.run(r.dispatch(Request("GET", "/u/1"))).status == 200
    assert asyncio.run(r.handle(Request("GET", "/u/1"))).status == 200
