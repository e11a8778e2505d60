"""A router served by `weft.server.Server` on 127.0.0.1, talked to with httpx."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from weft.extract import Json, Path, Query
from weft.http_types import Request
from weft.router import Router

server_mod = pytest.importorskip("weft.server", reason="weft.server is not built yet")


@dataclass
class Greeting:
    name: str
    times: int = 1


def hello(req: Request) -> str:
    return "Hello, World!"


async def user(id: Path[int], shout: Query[bool] = False) -> dict[str, object]:
    return {"id": id, "shout": shout}


def greet(body: Json[Greeting]) -> tuple[int, dict[str, str]]:
    return 201, {"greeting": " ".join(["hi " + body.name] * body.times)}


def test_router_over_http1() -> None:
    router = Router().get("/", hello).get("/users/:id", user).post("/greet", greet)

    async def main() -> None:
        server = server_mod.Server(router, server_mod.ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}",
                                         timeout=5.0) as client:
                resp = await client.get("/")
                assert (resp.status_code, resp.text) == (200, "Hello, World!")
                head = await client.head("/")
                assert head.status_code == 200 and head.content == b""
                resp = await client.get("/users/12", params={"shout": "true"})
                assert resp.json() == {"id": 12, "shout": True}
                resp = await client.get("/users/twelve")
                assert resp.status_code == 400
                assert resp.headers["content-type"] == "application/problem+json"
                resp = await client.post("/greet", json={"name": "ann", "times": 2})
                assert (resp.status_code, resp.json()) == (201, {"greeting": "hi ann hi ann"})
                resp = await client.post("/greet", json={"times": 2})
                assert resp.status_code == 422 and resp.json()["path"] == "$.name"
                resp = await client.delete("/users/1")
                assert resp.status_code == 405 and resp.headers["allow"] == "GET, HEAD"
                resp = await client.get("/missing")
                assert resp.status_code == 404
        finally:
            await server.shutdown()

    asyncio.run(asyncio.wait_for(main(), 30))
