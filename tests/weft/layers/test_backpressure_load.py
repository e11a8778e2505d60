"""The backpressure layers under real concurrent HTTP load: a weft server on
127.0.0.1 and an httpx client firing requests at once.

Handlers hold their requests until the test has seen the refusals it
expects, so which requests overlap is decided by the test, not by timing;
CoDel's clock is a fake one that the handler advances (simulated service
time). Assertions are about outcomes: 503s with Retry-After under overload,
and every admitted request succeeding."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from backpressure_support import FakeClock
from weft.http_types import Request, Response
from weft.layers import (
    AdaptiveConcurrencyLayer,
    CoDelConfig,
    CoDelLayer,
    ConcurrencyLimitLayer,
    FairQueueConfig,
    FairQueueLayer,
    LoadShedLayer,
    VegasConfig,
)
from weft.types import Service

from tests.weft.helpers import RunningServer

Start = Callable[..., RunningServer]


class Valve:
    """A server-side latch: handlers wait on it until the test opens it."""

    def __init__(self) -> None:
        self.event: asyncio.Event | None = None
        self.inside = 0
        self.peak = 0

    async def handler(self, request: Request) -> Response:
        if self.event is None:
            self.event = asyncio.Event()
        self.inside += 1
        self.peak = max(self.peak, self.inside)
        try:
            await self.event.wait()
        finally:
            self.inside -= 1
        return Response(200, [("content-type", "text/plain")], b"served")

    def open(self, server: RunningServer) -> None:
        def set_it() -> None:
            if self.event is None:
                self.event = asyncio.Event()
            self.event.set()
        server.loop.call_soon_threadsafe(set_it)


def client_run(coro: Coroutine[Any, Any, list[httpx.Response]]) -> list[httpx.Response]:
    async def bounded() -> list[httpx.Response]:
        return await asyncio.wait_for(coro, 60)
    return asyncio.run(bounded())


async def fire(client: httpx.AsyncClient, url: str, n: int,
               headers: dict[str, str] | None = None) -> list[asyncio.Task[httpx.Response]]:
    return [asyncio.ensure_future(client.get(url, headers=headers)) for _ in range(n)]


async def until_done(tasks: list[asyncio.Task[httpx.Response]], count: int) -> None:
    """Wait (bounded by the caller) until `count` of `tasks` have finished."""
    while sum(t.done() for t in tasks) < count:
        await asyncio.wait([t for t in tasks if not t.done()],
                           return_when=asyncio.FIRST_COMPLETED)


def new_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=100), timeout=30)


def overload(weft_server: Start, service: Service, valve: Valve, n: int, refused: int,
             ) -> tuple[list[httpx.Response], RunningServer]:
    """Fire `n` requests at once; open the valve once `refused` have come back."""
    running = weft_server(service)
    url = f"http://127.0.0.1:{running.port}/work"

    async def scenario() -> list[httpx.Response]:
        async with new_client() as client:
            tasks = await fire(client, url, n)
            await until_done(tasks, refused)
            valve.open(running)
            return list(await asyncio.gather(*tasks))

    return client_run(scenario()), running


def split(responses: list[httpx.Response]) -> tuple[list[httpx.Response], list[httpx.Response]]:
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 503]
    assert len(ok) + len(refused) == len(responses), [r.status_code for r in responses]
    assert all(r.text == "served" for r in ok)
    assert all(r.headers["retry-after"] == "1" for r in refused)
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    return ok, refused


def test_concurrency_limit_queues_its_bound_and_refuses_the_rest(weft_server: Start) -> None:
    valve = Valve()
    layer = ConcurrencyLimitLayer(4, max_queue=4)
    responses, _ = overload(weft_server, layer.wrap(valve.handler), valve, n=20, refused=12)
    ok, refused = split(responses)
    assert (len(ok), len(refused)) == (8, 12)
    assert valve.peak == 4


def test_load_shed_over_a_limit_refuses_everything_beyond_it(weft_server: Start) -> None:
    valve = Valve()
    limit = ConcurrencyLimitLayer(4, max_queue=100)
    service = LoadShedLayer.default().wrap(limit.wrap(valve.handler))
    responses, _ = overload(weft_server, service, valve, n=20, refused=16)
    ok, refused = split(responses)
    assert (len(ok), len(refused)) == (4, 16)
    assert valve.peak == 4


def test_adaptive_limit_refuses_beyond_its_current_limit(weft_server: Start) -> None:
    valve = Valve()
    layer = AdaptiveConcurrencyLayer(VegasConfig(initial_limit=4, min_limit=1, max_limit=50))
    responses, _ = overload(weft_server, layer.wrap(valve.handler), valve, n=20, refused=16)
    ok, refused = split(responses)
    assert (len(ok), len(refused)) == (4, 16)
    assert layer.current_inflight() == 0 and 1 <= layer.current_limit() <= 50


def test_fair_queue_keeps_serving_a_light_tenant_during_a_flood(weft_server: Start) -> None:
    valve = Valve()
    layer = FairQueueLayer("x-tenant", FairQueueConfig(max_in_flight=2, max_queue=6))
    running = weft_server(layer.wrap(valve.handler))
    url = f"http://127.0.0.1:{running.port}/work"

    async def scenario() -> list[httpx.Response]:
        async with new_client() as client:
            heavy = await fire(client, url, 16, {"x-tenant": "heavy"})
            await until_done(heavy, 8)           # 2 inside, 6 queued, 8 refused
            light = await fire(client, url, 2, {"x-tenant": "light"})
            await until_done(heavy, 10)          # two of heavy's pushed out for light
            valve.open(running)
            return list(await asyncio.gather(*heavy, *light))

    responses = client_run(scenario())
    heavy, light = responses[:16], responses[16:]
    assert [r.status_code for r in light] == [200, 200]
    ok, refused = split(heavy)
    assert (len(ok), len(refused)) == (6, 10)


def test_codel_drops_under_a_standing_queue_and_serves_the_rest(weft_server: Start) -> None:
    clock = FakeClock()
    layer = CoDelLayer(CoDelConfig(max_in_flight=1, max_queue=100), clock=clock)
    valve = Valve()
    n = 30

    async def handler(request: Request) -> Response:
        if valve.inside == 0 and valve.peak == 0:
            await valve.handler(request)        # the first holds until all are queued
        clock.advance(0.05)                     # 50 ms of simulated service time
        await asyncio.sleep(0)
        return Response(200, [("content-type", "text/plain")], b"served")

    running = weft_server(layer.wrap(handler))
    url = f"http://127.0.0.1:{running.port}/work"

    async def scenario() -> list[httpx.Response]:
        async with new_client() as client:
            tasks = await fire(client, url, n)
            loop = asyncio.get_running_loop()
            queued = await loop.run_in_executor(
                None, lambda: running.wait_for(lambda: len(layer.gate.queue) == n - 1, 30))
            assert queued
            valve.open(running)
            return list(await asyncio.gather(*tasks))

    ok, refused = split(client_run(scenario()))
    assert refused and ok                      # a standing queue is cut, not emptied
    assert len(ok) + len(refused) == n
    assert layer.codel.drops == len(refused)
    assert running.sync(lambda: (layer.gate.in_flight, len(layer.gate.queue))) == (0, 0)
