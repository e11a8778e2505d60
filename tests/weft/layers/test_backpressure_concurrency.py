"""ConcurrencyLimitLayer, LoadShedLayer and rejection tagging, driven on a
real event loop with handlers the test releases (no timing anywhere)."""

from __future__ import annotations

import asyncio
import json

import pytest
from backpressure_support import Held, settle
from layer_support import drive_eagerly, ok, request, run
from weft.http_types import Request, Response
from weft.layers import (
    ConcurrencyLimitLayer,
    LoadShedLayer,
    RateLimitLayer,
    TimeoutLayer,
    rejected_by,
    tag_rejections,
)


def req(i: int) -> Request:
    return request("GET", f"/r{i}", [("x-id", str(i))])


def assert_refused(response: Response, req_: Request, layer: str) -> None:
    assert response.status == 503
    assert response.header("retry-after") == "1"
    assert response.header("content-type") == "application/problem+json"
    assert json.loads(response.body)["status"] == 503
    assert rejected_by(req_) == layer


def test_admits_up_to_the_limit_queues_the_bound_and_refuses_the_rest() -> None:
    async def main() -> None:
        held = Held()
        layer = ConcurrencyLimitLayer(2, max_queue=1)
        svc = layer.wrap(held)
        reqs = [req(i) for i in range(4)]
        tasks = [asyncio.ensure_future(svc(r)) for r in reqs]
        await settle()
        assert held.entered == ["0", "1"]
        assert (layer.in_flight, layer.queued) == (2, 1)
        assert tasks[3].done()
        assert_refused(tasks[3].result(), reqs[3], "concurrency")
        held.release(1)
        await settle()
        assert held.entered == ["0", "1", "2"]          # the waiter got the freed permit
        held.release()
        statuses = [(await t).status for t in tasks[:3]]
        assert statuses == [200, 200, 200]
        assert all(rejected_by(r) is None for r in reqs[:3])
        assert (layer.in_flight, layer.queued) == (0, 0)

    run(main())


def test_waiters_are_served_first_come_first_served() -> None:
    async def main() -> None:
        held = Held()
        layer = ConcurrencyLimitLayer(1, max_queue=10)
        svc = layer.wrap(held)
        tasks = []
        for i in range(5):
            tasks.append(asyncio.ensure_future(svc(req(i))))
            await settle(2)
        for _ in range(5):
            held.release()
            await settle()
        await asyncio.gather(*tasks)
        assert held.entered == ["0", "1", "2", "3", "4"]

    run(main())


def test_a_cancelled_waiter_leaves_the_queue_and_loses_no_permit() -> None:
    async def main() -> None:
        held = Held()
        layer = ConcurrencyLimitLayer(1, max_queue=5)
        svc = layer.wrap(held)
        first = asyncio.ensure_future(svc(req(0)))
        second = asyncio.ensure_future(svc(req(1)))
        third = asyncio.ensure_future(svc(req(2)))
        await settle()
        assert layer.queued == 2
        second.cancel()
        await settle()
        assert second.cancelled() and layer.queued == 1
        held.release()
        await settle()
        assert held.entered == ["0", "2"]
        held.release()
        assert (await first).status == (await third).status == 200
        assert (layer.in_flight, layer.queued) == (0, 0)

    run(main())


def test_a_waiter_cancelled_after_its_grant_hands_the_permit_back() -> None:
    async def main() -> None:
        layer = ConcurrencyLimitLayer(1, max_queue=5)
        svc = layer.wrap(ok)
        layer.gate.enter()                      # someone else holds the only permit
        waiting = asyncio.ensure_future(svc(req(1)))
        await settle()
        assert layer.queued == 1
        layer.gate.leave()                      # grants the waiter's future ...
        waiting.cancel()                        # ... which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert (layer.in_flight, layer.queued) == (0, 0)
        assert (await svc(req(2))).status == 200

    run(main())


def test_a_waiter_cancelled_just_before_dispatch_reaches_it_is_skipped() -> None:
    async def main() -> None:
        layer = ConcurrencyLimitLayer(1, max_queue=5)
        svc = layer.wrap(ok)
        layer.gate.enter()
        doomed = asyncio.ensure_future(svc(req(1)))
        survivor = asyncio.ensure_future(svc(req(2)))
        await settle()
        assert layer.queued == 2
        doomed.cancel()                         # its cleanup has not run yet ...
        layer.gate.leave()                      # ... when dispatch pops it: skipped
        assert (await survivor).status == 200
        with pytest.raises(asyncio.CancelledError):
            await doomed
        assert (layer.in_flight, layer.queued, len(layer.gate.queue)) == (0, 0, 0)

    run(main())


def test_the_permit_is_returned_when_the_inner_service_raises() -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("handler bug")

    async def main() -> None:
        layer = ConcurrencyLimitLayer(1)
        svc = layer.wrap(boom)
        with pytest.raises(RuntimeError):
            await svc(req(0))
        assert layer.in_flight == 0

    run(main())


def test_queueing_works_under_eager_start() -> None:
    async def main() -> None:
        held = Held()
        layer = ConcurrencyLimitLayer(1, max_queue=1)
        svc = layer.wrap(held)
        first = drive_eagerly(svc, req(0))
        second = drive_eagerly(svc, req(1))
        await settle()
        assert layer.queued == 1
        held.release()
        await settle()
        held.release()
        assert (await first).status == (await second).status == 200
        assert layer.in_flight == 0

    run(main())


def test_load_shed_refuses_instead_of_queueing_when_the_limit_is_full() -> None:
    async def main() -> None:
        held = Held()
        limit = ConcurrencyLimitLayer(1, max_queue=10)
        svc = LoadShedLayer.default().wrap(limit.wrap(held))
        first = asyncio.ensure_future(svc(req(0)))
        await settle()
        shed_req = req(1)
        shed = await svc(shed_req)
        assert_refused(shed, shed_req, "loadshed")
        assert limit.queued == 0 and held.entered == ["0"]
        held.release()
        assert (await first).status == 200
        after = asyncio.ensure_future(svc(req(2)))   # capacity is back: admitted
        await settle()
        held.release()
        assert (await after).status == 200 and held.entered == ["0", "2"]

    run(main())


def test_load_shed_with_its_own_bound_and_with_a_custom_signal() -> None:
    async def main() -> None:
        held = Held()
        svc = LoadShedLayer(max_in_flight=1).wrap(held)
        first = asyncio.ensure_future(svc(req(0)))
        await settle()
        second_req = req(1)
        assert_refused(await svc(second_req), second_req, "loadshed")
        held.release()
        assert (await first).status == 200

        pressure = [False]
        gated = LoadShedLayer(when=lambda: pressure[0]).wrap(ok)
        assert (await gated(req(2))).status == 200
        pressure[0] = True
        assert (await gated(req(3))).status == 503

    run(main())


def test_load_shed_without_a_signal_is_a_configuration_error() -> None:
    with pytest.raises(TypeError, match="nothing to watch"):
        LoadShedLayer.default().wrap(ok)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        ConcurrencyLimitLayer(0)
    with pytest.raises(ValueError):
        ConcurrencyLimitLayer(1, max_queue=-1)
    with pytest.raises(ValueError):
        LoadShedLayer(max_in_flight=0)


def test_tagging_counts_only_refusals_the_layer_made_itself() -> None:
    async def teapot(request: Request) -> Response:
        return Response(429, [], b"the handler's own 429")

    async def slow(request: Request) -> Response:
        await asyncio.sleep(3600)
        return Response(200)

    async def main() -> None:
        limited = tag_rejections(RateLimitLayer(0.001, 1), "ratelimit").wrap(ok)
        first, second = req(0), req(1)
        assert (await limited(first)).status == 200 and rejected_by(first) is None
        assert (await limited(second)).status == 429 and rejected_by(second) == "ratelimit"

        own = tag_rejections(RateLimitLayer(1000, 10), "ratelimit").wrap(teapot)
        mine = req(2)
        assert (await own(mine)).status == 429 and rejected_by(mine) is None

        timed = tag_rejections(TimeoutLayer(0.01), "timeout").wrap(slow)
        late = req(3)
        assert (await timed(late)).status == 504 and rejected_by(late) == "timeout"
        assert not any(k.startswith("weft.reached.") for k in late.extensions)

    run(main())


def test_tag_rejections_needs_a_name() -> None:
    with pytest.raises(ValueError):
        tag_rejections(RateLimitLayer(1, 1), "")
