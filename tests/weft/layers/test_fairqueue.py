"""Tenant-fair queueing: the SFQ order on its own, then the layer, where a
heavy tenant's backlog must not starve a light tenant."""

from __future__ import annotations

import asyncio

import pytest
from backpressure_support import Held, settle
from layer_support import request, run
from weft.http_types import Request
from weft.layers import FairQueueConfig, FairQueueLayer, rejected_by
from weft.layers.admission import Waiter
from weft.layers.fairqueue import FairQueue


def waiter(tenant: str, loop: asyncio.AbstractEventLoop, cost: float = 1.0) -> Waiter:
    return Waiter(loop.create_future(), 0.0, tenant, cost)


def drain(queue: FairQueue) -> list[str]:
    out = []
    while (w := queue.pop()) is not None:
        out.append(w.tenant)
    return out


def test_a_light_tenant_is_served_next_to_a_deep_backlog() -> None:
    loop = asyncio.new_event_loop()
    try:
        q = FairQueue()
        for _ in range(50):
            q.push(waiter("heavy", loop))
        assert [q.pop().tenant for _ in range(10)] == ["heavy"] * 10  # type: ignore[union-attr]
        q.push(waiter("light", loop))
        order = drain(q)
        assert order.index("light") <= 1
        assert len(order) == 41 and len(q) == 0
    finally:
        loop.close()


def test_backlogged_tenants_share_in_proportion_to_weight() -> None:
    loop = asyncio.new_event_loop()
    try:
        q = FairQueue({"gold": 3.0})
        for _ in range(60):
            q.push(waiter("gold", loop))
            q.push(waiter("bronze", loop))
        first = [q.pop().tenant for _ in range(40)]  # type: ignore[union-attr]
        assert first.count("gold") == 30 and first.count("bronze") == 10
    finally:
        loop.close()


def test_equal_tenants_alternate_and_costs_count() -> None:
    loop = asyncio.new_event_loop()
    try:
        q = FairQueue()
        for _ in range(4):
            q.push(waiter("a", loop))
            q.push(waiter("b", loop, cost=2.0))
        # b's requests cost twice as much virtual time: once both have been
        # served, a is served twice per b.
        assert drain(q) == ["a", "b", "a", "b", "a", "a", "b", "b"]
    finally:
        loop.close()


def test_removing_a_head_keeps_the_order_consistent() -> None:
    loop = asyncio.new_event_loop()
    try:
        q = FairQueue()
        ws = [waiter(t, loop) for t in ("a", "b", "a", "b")]
        for w in ws:
            q.push(w)
        q.remove(ws[0])
        q.remove(ws[0])                         # idempotent
        assert len(q) == 3 and q.backlog("a") == 1
        assert drain(q) == ["b", "a", "b"]
        assert q.longest() is None
    finally:
        loop.close()


def tenant_req(tenant: str, i: int) -> Request:
    return request("GET", f"/{tenant}/{i}", [("x-tenant", tenant), ("x-id", f"{tenant}{i}")])


def test_a_heavy_tenant_cannot_starve_a_light_one() -> None:
    async def main() -> None:
        held = Held()
        layer = FairQueueLayer("X-Tenant", FairQueueConfig(max_in_flight=1, max_queue=100))
        svc = layer.wrap(held)
        tasks = [asyncio.ensure_future(svc(tenant_req("heavy", i))) for i in range(30)]
        await settle()
        for _ in range(5):                       # heavy is being served, backlog stays deep
            held.release(1)
            await settle()
        light = asyncio.ensure_future(svc(tenant_req("light", 0)))
        await settle()
        for _ in range(2):
            held.release(1)
            await settle()
        assert "light0" in held.entered          # within two admissions, not after 24 more
        assert held.entered.index("light0") <= 7
        while not all(t.done() for t in [*tasks, light]):
            held.release()
            await settle()
        assert all(t.result().status == 200 for t in [*tasks, light])
        assert layer.gate.in_flight == 0 and len(layer.queue) == 0

    run(main())


def test_a_full_queue_pushes_out_the_longest_backlog_not_the_newcomer() -> None:
    async def main() -> None:
        held = Held()
        layer = FairQueueLayer(lambda r: r.headers.get("x-tenant") or "",
                               FairQueueConfig(max_in_flight=1, max_queue=4))
        svc = layer.wrap(held)
        heavy = [tenant_req("heavy", i) for i in range(6)]
        tasks = [asyncio.ensure_future(svc(r)) for r in heavy[:5]]   # 1 inside, 4 queued
        await settle()
        assert len(layer.queue) == 4
        light_req = tenant_req("light", 0)
        light = asyncio.ensure_future(svc(light_req))
        await settle()
        assert tasks[4].done() and tasks[4].result().status == 503   # heavy's newest pushed out
        assert rejected_by(heavy[4]) == "fairqueue"
        assert tasks[4].result().header("retry-after") == "1"
        sixth = await svc(heavy[5])               # heavy holds the longest backlog: refused
        assert sixth.status == 503
        assert layer.queue.backlog("light") == 1
        while not all(t.done() for t in [*tasks, light]):
            held.release()
            await settle()
        assert light.result().status == 200 and rejected_by(light_req) is None
        assert [t.result().status for t in tasks[:4]] == [200] * 4

    run(main())


def test_missing_tenant_header_is_the_anonymous_tenant_and_weights_register() -> None:
    async def main() -> None:
        held = Held()
        layer = FairQueueLayer("x-tenant", FairQueueConfig(max_in_flight=1, max_queue=10))
        layer.register_tenant("vip", 5.0)
        assert layer.queue.weights["vip"] == 5.0
        svc = layer.wrap(held)
        tasks = [asyncio.ensure_future(svc(request("GET", f"/{i}"))) for i in range(3)]
        await settle()
        assert layer.queue.backlog("") == 2
        while not all(t.done() for t in tasks):
            held.release()
            await settle()
        assert [t.result().status for t in tasks] == [200, 200, 200]

    run(main())
    with pytest.raises(ValueError):
        FairQueueLayer("x").register_tenant("t", 0)
    with pytest.raises(ValueError):
        FairQueueConfig(weights={"t": -1.0})
