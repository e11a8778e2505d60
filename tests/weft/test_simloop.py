"""The virtual-time loop (`weft.simloop`) running real weft code, and the
Verum DST adapter (`weft.verum_dst`) on top of it.

Nothing here reads the wall clock: every time asserted is virtual, and each
simulation is bounded by a virtual `asyncio.timeout`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from typing import TypeVar

import pytest
from weft.http_types import Request, Response
from weft.layers import CoDelConfig, CoDelLayer, RateLimitLayer, TimeoutLayer
from weft.layers.timeout import remaining
from weft.router import Router
from weft.service import ServiceBuilder
from weft.simloop import (
    LoopClock,
    SimLoop,
    SimulationIOError,
    SimulationStalled,
    VirtualClock,
    loop_clock,
    new_sim_loop,
    run,
)
from weft.supervisor import ChildSpec, Supervisor, SupervisorConfig, SupervisorGaveUp
from weft.verum_dst import (
    LatencyDelay,
    PacketLoss,
    SeededRng,
    SimConfig,
    TestClock,
    WeftSimulator,
)
from weft.verum_time import Duration

HOUR = 3600.0
T = TypeVar("T")


async def bounded(aw: Awaitable[T], virtual_seconds: float = 7 * 24 * HOUR) -> T:
    async with asyncio.timeout(virtual_seconds):
        return await aw


def now() -> float:
    return asyncio.get_running_loop().time()


# ---------------------------------------------------------------------------
# The clock
# ---------------------------------------------------------------------------


def test_long_sleeps_finish_in_virtual_order() -> None:
    async def main() -> tuple[list[tuple[str, float]], int]:
        log: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            log.append((name, now()))

        async with asyncio.TaskGroup() as tg:
            for name, seconds in [("day", 24 * HOUR), ("hour", HOUR), ("week", 7 * 24 * HOUR),
                                  ("quarter", 0.25), ("minute", 60.0)]:
                tg.create_task(sleeper(name, seconds))
        loop = asyncio.get_running_loop()
        assert isinstance(loop, SimLoop)
        return log, loop.jumps

    log, jumps = run(bounded(main(), 8 * 24 * HOUR))
    assert log == [("quarter", 0.25), ("minute", 60.0), ("hour", HOUR), ("day", 24 * HOUR),
                   ("week", 7 * 24 * HOUR)]
    # One jump per distinct deadline: the loop never waited in between.
    assert jumps == 5


def test_the_clock_starts_where_asked_and_timers_fire_exactly_at_their_deadline() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        fired: list[float] = []
        start = loop.time()
        for delay in (0.001, 1.5, 1e6):
            loop.call_at(start + delay, lambda: fired.append(loop.time()))
        await asyncio.sleep(1e6 + 1)
        return [t - start for t in fired]

    assert run(main(), start=1000.0) == [pytest.approx(0.001, abs=1e-9), 1.5, 1e6]


def test_virtual_clock_rounds_up_to_whole_nanoseconds() -> None:
    clock = VirtualClock()
    clock.jump_to(0.1 + 0.2)  # 0.30000000000000004: 300_000_000 ns would read 0.3
    assert clock.now_ns == 300_000_001 and clock.seconds() >= 0.1 + 0.2
    clock.advance_ns(5)
    with pytest.raises(ValueError):
        clock.advance_ns(-1)
    clock.jump_to(0.0)  # never backwards
    assert clock.seconds() > 0.3


# ---------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------


async def _race(n: int) -> list[str]:
    """n tasks that sleep pseudo-random virtual times drawn from the loop's
    rng, several sharing a deadline; the trace is what ran when."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, SimLoop)
    trace: list[str] = []

    async def worker(i: int) -> None:
        for step in range(3):
            await asyncio.sleep(loop.random.choice([0.5, 1.0, 2.0]))
            trace.append(f"{loop.time():g}:w{i}.{step}")

    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(worker(i))
    return trace


def test_same_seed_same_run() -> None:
    first = run(bounded(_race(12)), seed=7)
    second = run(bounded(_race(12)), seed=7)
    assert first == second
    assert len(first) == 36


def test_seeds_break_ties_differently_and_no_seed_is_fifo() -> None:
    def tie_order(seed: int | None) -> list[int]:
        async def main() -> list[int]:
            loop = asyncio.get_running_loop()
            order: list[int] = []
            for i in range(8):
                loop.call_at(5.0, order.append, i)
            await asyncio.sleep(10)
            return order

        return run(main(), seed=seed)

    assert tie_order(None) == list(range(8))
    orders = {tuple(tie_order(seed)) for seed in range(6)}
    assert len(orders) > 1
    assert all(sorted(o) == list(range(8)) for o in orders)
    assert tie_order(3) == tie_order(3)


# ---------------------------------------------------------------------------
# Real weft code over virtual time
# ---------------------------------------------------------------------------


def test_supervisor_gives_up_after_intensity_restarts_within_its_virtual_period() -> None:
    async def main() -> tuple[list[float], float, int]:
        starts: list[float] = []

        async def flaky() -> None:
            starts.append(now())
            await asyncio.sleep(10)
            raise RuntimeError("crash")

        sup = Supervisor(SupervisorConfig(intensity=3, period=60.0), clock=LoopClock())
        sup.add_child(ChildSpec.permanent("flaky").with_start(flaky))
        with pytest.raises(SupervisorGaveUp):
            await sup.run()
        return starts, now(), sup.restarts_total

    starts, gave_up_at, restarts = run(bounded(main()))
    # Crashes at 10, 20, 30 are restarted; the fourth within 60 s is one too many.
    assert starts == [0.0, 10.0, 20.0, 30.0]
    assert gave_up_at == 40.0
    assert restarts == 3


def test_supervisor_keeps_restarting_when_crashes_are_spread_over_virtual_minutes() -> None:
    async def main() -> tuple[int, float]:
        async def slow_crash() -> None:
            await asyncio.sleep(61)
            raise RuntimeError("crash")

        sup = Supervisor(SupervisorConfig(intensity=1, period=60.0), clock=LoopClock())
        sup.add_child(ChildSpec.permanent("slow").with_start(slow_crash))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await asyncio.sleep(10 * 60)
            await sup.stop()
        return sup.restarts_total, now()

    restarts, stopped_at = run(bounded(main()))
    assert (restarts, stopped_at) == (9, 600.0)  # crashes at 61, 122, ..., 549


def test_timeout_layer_fires_at_exactly_its_virtual_deadline() -> None:
    async def main() -> list[tuple[int, float, float | None]]:
        budgets: list[float | None] = []

        async def slow(req: Request) -> Response:
            budgets.append(remaining(req))
            await asyncio.sleep(float(req.path_params["secs"]))
            return Response(200, body=b"done")

        router = Router()
        router.get("/sleep/:secs", slow)
        svc = ServiceBuilder(router).layer(TimeoutLayer(5.0)).build()
        out: list[tuple[int, float, float | None]] = []
        for secs in ("3", "3600", "4.75"):
            started = now()
            resp = await svc(Request("GET", f"/sleep/{secs}"))
            out.append((resp.status, now() - started, budgets[-1]))
        return out

    assert run(bounded(main()), start=100.0) == [(200, 3.0, 5.0), (504, 5.0, 5.0),
                                                 (200, 4.75, 5.0)]


def test_rate_limit_layer_refills_in_virtual_time() -> None:
    async def ok(req: Request) -> Response:
        return Response(200)

    async def main() -> list[list[int]]:
        svc = RateLimitLayer(2.0, 2, clock=loop_clock).wrap(ok)

        async def burst(n: int) -> list[int]:
            return [(await svc(Request("GET", "/"))).status for _ in range(n)]

        rounds = [await burst(3)]
        await asyncio.sleep(0.5)  # one token back
        rounds.append(await burst(2))
        await asyncio.sleep(HOUR)  # full again, capped at the burst
        rounds.append(await burst(3))
        return rounds

    assert run(bounded(main())) == [[200, 200, 429], [200, 429], [200, 200, 429]]


def test_codel_drops_only_after_a_virtual_interval_of_standing_queue() -> None:
    cfg = CoDelConfig(target=0.005, interval=0.1, max_in_flight=1, max_queue=100)

    async def main() -> list[tuple[float, int]]:
        async def work(req: Request) -> Response:
            await asyncio.sleep(0.02)
            return Response(200)

        svc = CoDelLayer(cfg, clock=loop_clock).wrap(work)
        answered: list[tuple[float, int]] = []

        async def client() -> None:
            resp = await svc(Request("GET", "/"))
            answered.append((now(), resp.status))

        async with asyncio.TaskGroup() as tg:
            for _ in range(30):
                tg.create_task(client())
        return answered

    first = run(bounded(main()), seed=1)
    assert first == run(bounded(main()), seed=1)
    statuses = [s for _, s in first]
    assert len(statuses) == 30 and 200 in statuses and 503 in statuses
    # The queue stood above target from 0.02 s on; nothing drops before a full interval.
    assert min(t for t, s in first if s == 503) >= 0.02 + cfg.interval
    served = sorted(t for t, s in first if s == 200)
    assert served[:3] == [pytest.approx(0.02), pytest.approx(0.04), pytest.approx(0.06)]


# ---------------------------------------------------------------------------
# Failing loudly
# ---------------------------------------------------------------------------


def test_waiting_forever_is_reported_not_hung() -> None:
    async def main() -> None:
        await asyncio.sleep(30)
        await asyncio.Event().wait()

    with pytest.raises(SimulationStalled, match=r"virtual time 30\.000000000"):
        run(main())


def test_real_io_with_only_virtual_timers_pending_fails_loudly() -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        async def main() -> bytes:
            loop = asyncio.get_running_loop()
            ticker = loop.call_later(60, lambda: None)  # a virtual timer is pending
            try:
                return await loop.sock_recv(a, 1)
            finally:
                ticker.cancel()

        with pytest.raises(SimulationIOError, match="does not virtualise network I/O"):
            run(main())

        async def ready_io() -> bytes:
            b.send(b"x")  # already readable: served without waiting
            return await asyncio.get_running_loop().sock_recv(a, 1)

        assert run(ready_io()) == b"x"
    finally:
        a.close()
        b.close()


def test_executor_work_runs_inline_at_the_current_instant() -> None:
    async def main() -> tuple[int, float]:
        await asyncio.sleep(12)
        value = await asyncio.to_thread(lambda: 6 * 7)
        return value, now()

    assert run(main()) == (42, 12.0)


def test_a_sim_loop_is_an_ordinary_asyncio_loop() -> None:
    loop = new_sim_loop(seed=1, start=5.0)
    try:
        assert loop.time() == 5.0
        assert loop.run_until_complete(asyncio.sleep(2, result="ok")) == "ok"
        assert loop.time() == 7.0
    finally:
        loop.close()


# ---------------------------------------------------------------------------
# Verum's DST surface
# ---------------------------------------------------------------------------


def test_seeded_rng_replays_and_clones_share_the_stream() -> None:
    a, b = SeededRng.new(0x1234), SeededRng.new(0x1234)
    words = [a.next_u64() for _ in range(50)]
    assert words == [b.next_u64() for _ in range(50)]
    assert all(0 <= w < 2**64 for w in words) and len(set(words)) > 45
    shared = a.clone()
    assert shared.next_u64() == b.next_u64()
    assert a.next_u64() == b.next_u64()  # `a` moved on with its clone
    assert SeededRng.new(0).next_u64() == SeededRng.new(0xDA9A_C0DE_F00D_BABE).next_u64()
    assert a.next_bounded(0) == 0 and 0 <= a.next_bounded(7) < 7


def test_weft_simulator_runs_tasks_over_its_test_clock() -> None:
    cfg = SimConfig.chaos_from_seed(0xDEADBEEF)
    with WeftSimulator.new(cfg) as sim:
        fired: list[tuple[str, int]] = []
        clock = sim.clock()

        async def at(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            fired.append((name, clock.now_ns()))

        sim.spawn(at("b", 2.0))
        sim.spawn(at("a", 0.5))
        sim.spawn(at("late", 90.0))
        sim.advance(Duration.from_secs(3))
        assert fired == [("a", 500_000_000), ("b", 2_000_000_000)]
        assert clock.now_ns() == 3_000_000_000
        sim.check(lambda: len(fired) == 2)
        assert sim.invariants_ok() and sim.ticks() == 1
        assert sim.run(asyncio.sleep(0, result="ran")) == "ran"
        sim.check(lambda: False)
        assert not sim.invariants_ok()
    # Closing cancelled the task still sleeping towards 90 s.
    assert [n for n, _ in fired] == ["a", "b"]


def test_test_clock_and_network_stream_follow_verum() -> None:
    clk = TestClock.seeded(1)
    other = clk.clone()
    clk.advance(Duration.from_millis(250))
    assert other.now_ns() == 250_000_000
    from weft.verum_dst import NetworkEventStream, SimNetworkConfig
    stream = NetworkEventStream.new(SeededRng.new(7), SimNetworkConfig.chaos())
    events = [stream.next_event() for _ in range(2000)]
    losses = sum(isinstance(e, PacketLoss) for e in events)
    delays = [e.delay.nanos for e in events if isinstance(e, LatencyDelay)]
    assert 0 < losses < 40  # 5 permille of 2000 is 10
    assert all(500_000 <= d < 1_500_000 for d in delays) and len(delays) > 1900
