"""CoDel: the controller on a fake clock, then the layer around a queue."""

from __future__ import annotations

import asyncio
import itertools
import math

import pytest
from backpressure_support import FakeClock, Held, settle
from layer_support import request, run
from weft.http_types import Request
from weft.layers import CoDel, CoDelConfig, CoDelLayer, LoadShedLayer, rejected_by
from weft.layers.codel import HoldTime

TARGET, INTERVAL = 0.005, 0.1


def test_sojourn_below_target_is_always_admitted() -> None:
    codel = CoDel(TARGET, INTERVAL)
    for i in range(1000):
        assert codel.admit(0.004, i * 0.01)
    assert codel.drops == 0 and codel.first_above == 0.0


def test_dropping_starts_only_after_a_whole_interval_above_target() -> None:
    codel = CoDel(TARGET, INTERVAL)
    assert codel.admit(0.010, 0.0)          # above target: the interval starts
    assert codel.first_above == pytest.approx(0.1)
    assert codel.admit(0.020, 0.05)
    assert codel.admit(0.030, 0.0999)
    assert not codel.admit(0.030, 0.1)      # above for the whole interval: drop
    assert codel.dropping and codel.count == 1


def test_one_good_sojourn_inside_the_interval_restarts_it() -> None:
    codel = CoDel(TARGET, INTERVAL)
    assert codel.admit(0.010, 0.0)
    assert codel.admit(0.001, 0.09)         # the minimum over the interval is below target
    assert codel.admit(0.010, 0.125)
    assert codel.admit(0.010, 0.2)          # the new interval ends at 0.225
    assert not codel.admit(0.010, 0.25)


def test_drops_follow_the_control_law_interval_over_sqrt_count() -> None:
    codel = CoDel(TARGET, INTERVAL)
    step = 0.0001
    drop_times = []
    for i in range(int(1.5 / step)):
        now = i * step
        if not codel.admit(0.050, now):
            drop_times.append(now)
    assert drop_times[0] == pytest.approx(INTERVAL)
    gaps = [b - a for a, b in itertools.pairwise(drop_times)]
    assert len(gaps) >= 10
    for k, gap in enumerate(gaps, start=1):
        assert gap == pytest.approx(INTERVAL / math.sqrt(k), abs=step + 1e-9)
    assert codel.count == len(drop_times) == codel.drops


def test_a_good_sojourn_ends_the_dropping_state() -> None:
    codel = CoDel(TARGET, INTERVAL)
    codel.admit(0.050, 0.0)
    assert not codel.admit(0.050, 0.1)
    assert codel.admit(0.001, 0.15)
    assert not codel.dropping and codel.first_above == 0.0
    assert codel.admit(0.050, 0.16)         # a fresh interval has to pass first


def test_reentering_soon_resumes_the_previous_drop_rate() -> None:
    codel = CoDel(TARGET, INTERVAL)
    now = 0.0
    codel.admit(0.05, now)
    while codel.count < 5:                  # build up a drop rate
        now += 0.001
        codel.admit(0.05, now)
    assert codel.count == 5
    now += 0.001
    codel.admit(0.001, now)                 # leave the dropping state
    assert not codel.dropping
    now += 0.001
    codel.admit(0.05, now)
    now += INTERVAL
    assert not codel.admit(0.05, now)       # re-enter within 16 intervals
    assert codel.count == 4                 # count - last_count (5 - 1), not 1


def test_should_drop_is_admit_negated_and_drained_resets() -> None:
    codel = CoDel(TARGET, INTERVAL)
    assert not codel.should_drop(0.05, 0.0)
    assert codel.should_drop(0.05, 0.1)
    codel.drained()
    assert not codel.dropping and codel.first_above == 0.0


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        CoDelConfig(target=0.2, interval=0.1)
    with pytest.raises(ValueError):
        CoDelConfig(target=0)
    with pytest.raises(ValueError):
        CoDelConfig(max_in_flight=0)
    assert CoDelLayer.with_target_interval(10, 200).config == CoDelConfig(target=0.01,
                                                                          interval=0.2)
    assert CoDelLayer.new().config == CoDelConfig()


def req(i: int) -> Request:
    return request("GET", f"/r{i}", [("x-id", str(i))])


def test_the_layer_drops_a_request_that_waited_too_long_for_too_long() -> None:
    async def main() -> None:
        clock = FakeClock()
        held = Held()
        layer = CoDelLayer(CoDelConfig(max_in_flight=1, max_queue=10), clock=clock)
        svc = layer.wrap(held)
        reqs = [req(i) for i in range(4)]
        tasks = []
        for r in reqs:
            tasks.append(asyncio.ensure_future(svc(r)))
            await settle(2)
        assert held.entered == ["0"] and len(layer.gate.queue) == 3
        clock.advance(0.05)
        held.release(1)                     # r1 waited 50 ms: above target, interval starts
        await settle()
        assert held.entered == ["0", "1"]
        clock.advance(0.2)
        held.release(1)                     # r2 waited 250 ms, above target for > interval
        await settle()
        assert held.entered == ["0", "1", "3"]    # r2 dropped, r3 got the permit
        held.release()
        responses = [await t for t in tasks]
        assert [r.status for r in responses] == [200, 200, 503, 200]
        assert responses[2].header("retry-after") == "1"
        assert rejected_by(reqs[2]) == "codel"
        assert layer.codel.drops == 1 and layer.gate.in_flight == 0

        fresh = asyncio.ensure_future(svc(req(9)))    # empty queue: the state resets
        await settle()
        assert not layer.codel.dropping and layer.codel.first_above == 0.0
        held.release()
        assert (await fresh).status == 200

    run(main())


def test_the_layer_refuses_beyond_its_queue_bound() -> None:
    async def main() -> None:
        held = Held()
        layer = CoDelLayer(CoDelConfig(max_in_flight=1, max_queue=1), clock=FakeClock())
        svc = layer.wrap(held)
        tasks = [asyncio.ensure_future(svc(req(i))) for i in range(3)]
        await settle()
        assert tasks[2].done() and tasks[2].result().status == 503
        assert layer.saturated()
        held.release()
        await settle()
        held.release()
        assert [(await t).status for t in tasks[:2]] == [200, 200]

    run(main())


def test_hold_time_is_a_moving_average_seeded_by_the_first_sample() -> None:
    hold = HoldTime()
    hold.add(0.004)
    assert hold.mean == pytest.approx(0.004)
    hold.add(0.012)
    assert hold.mean == pytest.approx(0.004 + (0.012 - 0.004) / 8)
    assert hold.samples == 2


def test_saturation_predicts_the_sojourn_of_a_newcomer() -> None:
    async def main() -> None:
        clock = FakeClock()
        held = Held()
        layer = CoDelLayer(CoDelConfig(max_in_flight=1, max_queue=10), clock=clock)
        svc = layer.wrap(held)
        first = asyncio.ensure_future(svc(req(0)))
        await settle()
        clock.advance(0.002)                # the permit is held for 2 ms
        held.release()
        assert (await first).status == 200
        assert layer.hold.mean == pytest.approx(0.002)
        assert not layer.saturated() and layer.expected_sojourn() == 0.0

        tasks = [asyncio.ensure_future(svc(req(i))) for i in range(1, 3)]
        await settle()                      # one holds the permit, one waits
        assert layer.expected_sojourn() == pytest.approx(0.004)
        assert not layer.saturated()        # 2 hold times = 4 ms < 5 ms target
        tasks.append(asyncio.ensure_future(svc(req(3))))
        await settle()
        assert layer.expected_sojourn() == pytest.approx(0.006)
        assert layer.saturated()            # a newcomer would wait 6 ms >= target
        for _ in range(3):
            held.release()
            await settle()
        assert [(await t).status for t in tasks] == [200, 200, 200]

    run(main())


def test_load_shed_outside_codel_refuses_what_would_wait_past_target() -> None:
    async def main() -> None:
        clock = FakeClock()
        held = Held()
        codel = CoDelLayer(CoDelConfig(max_in_flight=2, max_queue=100), clock=clock)
        svc = LoadShedLayer.default().wrap(codel.wrap(held))
        warm = [asyncio.ensure_future(svc(req(i))) for i in range(2)]
        await settle()
        clock.advance(0.004)                # hold time 4 ms, 2 permits: 2 ms per place
        held.release()
        assert [(await t).status for t in warm] == [200, 200]

        reqs = [req(i) for i in range(10, 16)]
        tasks = []
        for r in reqs:
            tasks.append(asyncio.ensure_future(svc(r)))
            await settle(2)
        # 2 inside; waiting 0, 1 predict 2 and 4 ms (admitted); waiting 2
        # would predict 6 ms >= 5 ms: the rest are refused at the door.
        assert held.inside == 2 and codel.gate.waiting == 2
        refused = [t.result() for t in tasks[4:]]
        assert [r.status for r in refused] == [503, 503]
        assert all(rejected_by(r) == "loadshed" for r in reqs[4:])
        for _ in range(3):
            held.release()
            await settle()
        assert [(await t).status for t in tasks[:4]] == [200] * 4
        assert codel.codel.drops == 0       # nothing queued long enough to be dropped

    run(main())
