"""The Vegas limit on its own, then AdaptiveConcurrencyLayer on a fake clock."""

from __future__ import annotations

import asyncio

import pytest
from backpressure_support import FakeClock, Held, settle
from layer_support import request, run
from weft.http_types import Request, Response
from weft.layers import AdaptiveConcurrencyLayer, VegasConfig, VegasLimit, rejected_by


def test_the_first_sample_is_only_a_baseline() -> None:
    v = VegasLimit(VegasConfig(initial_limit=10))
    assert v.update(0.020, 10) == 10 and v.baseline == 0.020
    assert v.update(0.010, 10) == 10 and v.baseline == 0.010   # a faster one lowers it


def test_no_queue_grows_the_limit_only_when_it_is_in_use() -> None:
    v = VegasLimit(VegasConfig(initial_limit=10))
    v.update(0.010, 10)
    assert v.update(0.010, 10) == 11        # queue 0 < alpha, fully used: grow
    assert v.update(0.010, 2) == 11         # app-limited (2 of 11 in use): hold


def test_a_long_estimated_queue_shrinks_the_limit_and_a_middling_one_holds() -> None:
    v = VegasLimit(VegasConfig(initial_limit=20, alpha=3, beta=6))
    v.update(0.010, 20)
    assert v.update(0.100, 20) == 19        # queue = 20 * (1 - 0.1) = 18 > beta
    # queue = 19 * (1 - 0.010/0.0135) ~ 4.9: between alpha and beta
    assert v.update(0.0135, 19) == 19


def test_the_limit_stays_within_its_bounds() -> None:
    # An estimated queue never exceeds the limit itself, so thresholds below
    # the bounds are needed for latency alone to reach min_limit.
    v = VegasLimit(VegasConfig(initial_limit=3, min_limit=2, max_limit=4, alpha=0.5, beta=1))
    v.update(0.01, 3)
    for _ in range(10):
        v.update(0.01, 10)
    assert v.limit == 4
    for _ in range(10):
        v.update(1.0, 10)
    assert v.limit == 2
    for _ in range(10):
        v.overloaded()
    assert v.limit == 2


def test_the_baseline_is_probed_again_periodically() -> None:
    v = VegasLimit(VegasConfig(initial_limit=10, probe_every=5))
    v.update(0.010, 10)
    for _ in range(3):
        v.update(0.050, 10)
    assert v.baseline == 0.010
    v.update(0.050, 10)                     # the fifth sample resets the baseline
    assert v.baseline == 0.050 and v.samples == 5


def test_ignores_samples_without_a_duration() -> None:
    v = VegasLimit()
    assert v.update(0.0, 5) == v.limit and v.samples == 0


def test_config_is_validated_and_verum_constructors_agree() -> None:
    with pytest.raises(ValueError):
        VegasConfig(initial_limit=0)
    with pytest.raises(ValueError):
        VegasConfig(min_limit=5, initial_limit=4)
    with pytest.raises(ValueError):
        VegasConfig(alpha=6, beta=3)
    layer = AdaptiveConcurrencyLayer.vegas(2, 50, 8)
    assert (layer.current_limit(), layer.current_inflight()) == (8, 0)
    assert AdaptiveConcurrencyLayer.default().current_limit() == VegasConfig().initial_limit


def test_the_layer_refuses_beyond_the_limit_and_learns_from_latency() -> None:
    clock = FakeClock()

    def timed(seconds: float, status: int = 200) -> object:
        async def svc(request: Request) -> Response:
            clock.advance(seconds)
            return Response(status)
        return svc

    async def main() -> None:
        layer = AdaptiveConcurrencyLayer(VegasConfig(initial_limit=20, max_limit=40),
                                         clock=clock)
        fast = layer.wrap(timed(0.010))  # type: ignore[arg-type]
        slow = layer.wrap(timed(0.200))  # type: ignore[arg-type]
        shedding = layer.wrap(timed(0.010, 503))  # type: ignore[arg-type]
        await fast(request())
        assert layer.limiter.baseline == pytest.approx(0.010)
        for _ in range(5):
            await slow(request())           # 20x the baseline: a long queue inside
        assert layer.current_limit() == 15
        await shedding(request())           # the inner service sheds: back off
        assert layer.current_limit() == 14

        held = Held()
        small = AdaptiveConcurrencyLayer(VegasConfig(initial_limit=1, min_limit=1),
                                         clock=clock)
        svc = small.wrap(held)
        inside = asyncio.ensure_future(svc(request()))
        await settle()
        refused_req = request()
        refused = await svc(refused_req)
        assert refused.status == 503 and refused.header("retry-after") == "1"
        assert rejected_by(refused_req) == "adaptive" and small.saturated()
        held.release()
        assert (await inside).status == 200 and small.current_inflight() == 0

    run(main())


def test_a_higher_limit_admits_queued_requests_at_once() -> None:
    async def main() -> None:
        held = Held()
        layer = AdaptiveConcurrencyLayer(VegasConfig(initial_limit=1, max_queue=5),
                                         clock=FakeClock())
        svc = layer.wrap(held)
        tasks = [asyncio.ensure_future(svc(request("GET", f"/{i}"))) for i in range(3)]
        await settle()
        assert held.inside == 1 and len(layer.gate.queue) == 2
        layer.gate.set_limit(3)
        await settle()
        assert held.inside == 3
        held.release()
        assert [(await t).status for t in tasks] == [200, 200, 200]

    run(main())
