"""`/_health/live` and `/_health/ready`: the layer, router handlers, a real
server, and readiness turning 503 during a real graceful shutdown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import pytest
from weft.health import LIVE_PATH, READY_PATH, HealthLayer, Readiness, health_handlers
from weft.http_types import Headers, Request, Response
from weft.router import Router

from tests.weft.helpers import RunningServer

T = TypeVar("T")
Start = Callable[..., RunningServer]


def run(coro: Awaitable[T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, 10)
    return asyncio.run(bounded())


def req(path: str, method: str = "GET") -> Request:
    return Request(method, path, headers=Headers())


async def app(request: Request) -> Response:
    return Response(200, [], b"app")


def test_live_ready_and_pass_through() -> None:
    async def main() -> None:
        db_up = [True]
        readiness = Readiness().add_check("db", lambda: db_up[0])
        svc = HealthLayer(readiness).wrap(app)
        live = await svc(req(LIVE_PATH))
        assert live.status == 200 and json.loads(live.body) == {"status": "alive"}
        assert live.header("cache-control") == "no-store"
        assert live.header("content-type") == "application/json"
        ready = await svc(req(READY_PATH))
        doc = json.loads(ready.body)
        assert ready.status == 200 and doc["status"] == "ready"
        assert [(c["name"], c["status"], c["required"]) for c in doc["checks"]] == [
            ("db", "pass", True)]
        assert isinstance(doc["checks"][0]["duration_ms"], float)
        db_up[0] = False
        down = await svc(req(READY_PATH))
        assert down.status == 503 and json.loads(down.body)["checks"][0]["status"] == "fail"
        assert (await svc(req("/_health/other"))).body == b"app"
        assert (await svc(req("/anything"))).body == b"app"

    run(main())


def test_head_method_and_quiet_bodies() -> None:
    async def main() -> None:
        svc = HealthLayer(Readiness().add_check("db", lambda: True), verbose=False).wrap(app)
        head = await svc(req(READY_PATH, "HEAD"))
        assert head.status == 200 and head.body == b"" and head.header("content-length") == "18"
        assert json.loads((await svc(req(READY_PATH))).body) == {"status": "ready"}
        post = await svc(req(LIVE_PATH, "POST"))
        assert post.status == 405 and post.header("allow") == "GET, HEAD"

    run(main())


def test_custom_paths_and_router_handlers() -> None:
    async def main() -> None:
        svc = HealthLayer(live_path="/livez", ready_path="/readyz").wrap(app)
        assert (await svc(req("/livez"))).status == 200
        assert (await svc(req("/readyz"))).status == 200
        assert (await svc(req(LIVE_PATH))).body == b"app"

        readiness = Readiness()
        readiness.drain()
        live, ready = health_handlers(readiness)
        router = Router()
        router.get("/healthz", live)
        router.get("/ready", ready)
        assert (await router(req("/healthz"))).status == 200
        drained = await router(req("/ready"))
        assert drained.status == 503 and json.loads(drained.body)["status"] == "draining"

    run(main())
    with pytest.raises(ValueError):
        HealthLayer(live_path="/same", ready_path="/same")
    with pytest.raises(ValueError):
        HealthLayer(live_path="nope")


def test_health_endpoints_on_a_real_server(weft_server: Start) -> None:
    db_up = [True]
    readiness = Readiness().add_check("db", lambda: db_up[0]).add_check(
        "search", lambda: False, required=False)
    running = weft_server(HealthLayer(readiness).wrap(app))
    with httpx.Client(base_url=f"http://127.0.0.1:{running.port}", timeout=10) as client:
        assert client.get(LIVE_PATH).json() == {"status": "alive"}
        ok = client.get(READY_PATH)
        assert ok.status_code == 200
        assert {c["name"]: c["status"] for c in ok.json()["checks"]} == {
            "db": "pass", "search": "fail"}
        db_up[0] = False
        down = client.get(READY_PATH)
        assert down.status_code == 503 and down.json()["status"] == "not_ready"
        assert client.get("/work").text == "app"


def test_readiness_is_503_while_the_server_drains(weft_server: Start) -> None:
    """A probe in progress when graceful shutdown begins is answered 503."""
    gate: list[asyncio.Event] = []

    async def slow_dependency() -> bool:
        event = asyncio.Event()
        gate.append(event)
        await event.wait()
        return True

    readiness = Readiness().add_check("db", slow_dependency, timeout=30)
    running = weft_server(HealthLayer(readiness).wrap(app))
    with (httpx.Client(base_url=f"http://127.0.0.1:{running.port}", timeout=30) as client,
          ThreadPoolExecutor(1) as pool):
        probe = pool.submit(client.get, READY_PATH)
        assert running.wait_for(lambda: len(gate) == 1)
        shutdown = running.submit(running.server.shutdown(10))
        assert running.wait_for(lambda: readiness.draining)
        running.loop.call_soon_threadsafe(gate[0].set)
        response = probe.result(30)
        shutdown.result(15)
    assert response.status_code == 503
    assert response.json()["status"] == "draining"
    assert response.json()["checks"][0]["status"] == "pass"
    assert response.headers["connection"] == "close"
    assert not running.sync(lambda: readiness.draining)   # shutdown over: no longer draining

