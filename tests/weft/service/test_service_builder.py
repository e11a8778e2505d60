"""ServiceBuilder order (Verum's: last added is outermost), Identity, *_fn helpers."""

from __future__ import annotations

import asyncio

import pytest
from weft.http_types import Request, Response
from weft.service import Identity, LayerFn, ServiceBuilder, layer_fn, middleware_fn, service_fn
from weft.types import Service


def tagging(tag: str, trail: list[str]) -> LayerFn:
    def wrap(inner: Service) -> Service:
        async def call(req: Request) -> Response:
            trail.append(f"{tag}>")
            resp = await inner(req)
            trail.append(f"<{tag}")
            resp.headers.append(("x-layer", tag))
            return resp
        return call
    return layer_fn(wrap)


async def call(svc: Service, req: Request) -> Response:
    return await svc(req)


async def app(req: Request) -> Response:
    return Response(200, [], b"app")


def test_last_added_layer_is_outermost() -> None:
    trail: list[str] = []
    svc = ServiceBuilder(app).layer(tagging("a", trail)).layer(tagging("b", trail)).build()
    resp = asyncio.run(call(svc, Request("GET", "/")))
    assert trail == ["b>", "a>", "<a", "<b"]
    assert resp.headers == [("x-layer", "a"), ("x-layer", "b")]


def test_builder_equals_manual_nesting() -> None:
    t1: list[str] = []
    t2: list[str] = []
    a1, b1 = tagging("a", t1), tagging("b", t1)
    built = ServiceBuilder.new(app).layer(a1).layer(b1).build()
    a2, b2 = tagging("a", t2), tagging("b", t2)
    manual = b2.wrap(a2.wrap(app))
    asyncio.run(call(built, Request("GET", "/")))
    asyncio.run(call(manual, Request("GET", "/")))
    assert t1 == t2


def test_identity() -> None:
    assert Identity.new().wrap(app) is app
    assert ServiceBuilder(app).layer(Identity()).build() is app


def test_layer_must_return_a_service() -> None:
    class Broken:
        def wrap(self, inner: Service) -> Service:
            return 3  # type: ignore[return-value]
    with pytest.raises(TypeError, match="not a service"):
        ServiceBuilder(app).layer(Broken())


def test_service_fn() -> None:
    assert service_fn(app) is app

    def sync(req: Request) -> Response:
        return Response()
    with pytest.raises(TypeError, match="async"):
        service_fn(sync)  # type: ignore[arg-type]


def test_middleware_fn() -> None:
    async def mw(req: Request, nxt: Service) -> Response:
        if req.path == "/blocked":
            return Response(403)
        resp = await nxt(req)
        resp.headers.append(("x-mw", "1"))
        return resp
    svc = ServiceBuilder(app).layer(middleware_fn(mw)).build()
    assert asyncio.run(call(svc, Request("GET", "/blocked"))).status == 403
    ok = asyncio.run(call(svc, Request("GET", "/")))
    assert ok.status == 200 and ok.header("x-mw") == "1"

    def not_async(req: Request, nxt: Service) -> Response:
        return Response()
    with pytest.raises(TypeError):
        middleware_fn(not_async)  # type: ignore[arg-type]
