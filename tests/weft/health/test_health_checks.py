"""Health checks and readiness aggregation: verdicts, timeouts, supervisors,
single flight, caching and drain, on a fake clock where time matters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

import pytest
from weft.health import (
    CheckStatus,
    HealthCheck,
    Readiness,
    ReadinessFlag,
    is_draining,
    mark_draining,
    run_check,
)
from weft.supervisor import ChildSpec, Supervisor

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, 10)
    return asyncio.run(bounded())


class Ticks:
    """A fake clock that moves `step` seconds on every read."""

    def __init__(self, step: float) -> None:
        self.now = 100.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


async def forever() -> bool:
    await asyncio.sleep(3600)
    return True


def test_verdicts_of_plain_async_and_blocking_probes() -> None:
    async def main() -> None:
        async def async_ok() -> bool:
            await asyncio.sleep(0)
            return True

        def secret_failure() -> bool:
            raise ConnectionRefusedError("postgres://admin:hunter2@db.internal:5432")

        def blocking_ping() -> None:
            time.sleep(0)  # stands in for a synchronous driver call

        cases = {
            "true": HealthCheck("true", lambda: True),
            "none": HealthCheck("none", lambda: None),
            "false": HealthCheck("false", lambda: False),
            "raises": HealthCheck("raises", secret_failure),
            "async": HealthCheck("async", async_ok),
            "late": HealthCheck("late", forever, timeout=0.01),
            "thread": HealthCheck("thread", blocking_ping, blocking=True),
            "odd": HealthCheck("odd", lambda: "yes"),  # type: ignore[arg-type, return-value]
        }
        got = {name: await run_check(check) for name, check in cases.items()}
        assert {n: r.status for n, r in got.items()} == {
            "true": CheckStatus.PASS, "none": CheckStatus.PASS, "false": CheckStatus.FAIL,
            "raises": CheckStatus.ERROR, "async": CheckStatus.PASS,
            "late": CheckStatus.TIMEOUT, "thread": CheckStatus.PASS, "odd": CheckStatus.ERROR}
        assert got["raises"].error == "ConnectionRefusedError"      # never the message
        assert "hunter2" not in str(got["raises"].to_json())
        assert got["late"].error == "no answer within 0.01 s"

    run(main())


def test_duration_comes_from_the_clock() -> None:
    result = run(run_check(HealthCheck("db", lambda: True), clock=Ticks(0.25)))
    assert result.duration == pytest.approx(0.25)
    assert result.to_json() == {"name": "db", "status": "pass", "required": True,
                                "duration_ms": 250.0}


def test_bad_checks_are_refused_when_built() -> None:
    with pytest.raises(ValueError):
        HealthCheck("", lambda: True)
    with pytest.raises(ValueError):
        HealthCheck("db", lambda: True, timeout=0)
    with pytest.raises(ValueError):
        HealthCheck("db", forever, blocking=True)
    readiness = Readiness().add_check("db", lambda: True)
    with pytest.raises(ValueError, match="already exists"):
        readiness.add_check("db", lambda: True)
    with pytest.raises(ValueError):
        Readiness(cache_for=-1)


def test_required_checks_decide_and_optional_ones_are_only_listed() -> None:
    async def main() -> None:
        flag = ReadinessFlag("warm")
        readiness = (Readiness()
                     .add(flag)
                     .add_check("cache", lambda: False, required=False))
        report = await readiness.report()
        assert not report.ready and report.status == "not_ready"
        flag.set_ready(True)
        report = await readiness.report()
        assert report.ready and report.status == "ready"
        assert [(c.name, c.status.value, c.required) for c in report.checks] == [
            ("warm", "pass", True), ("cache", "fail", False)]
        assert await readiness.is_ready()
        assert '"status":"ready"' in await readiness.diagnostic_body()

    run(main())


def test_no_checks_means_ready() -> None:
    assert run(Readiness.new().is_ready())


def test_concurrent_probes_share_one_evaluation() -> None:
    async def main() -> None:
        calls = [0]
        gate = asyncio.Event()

        async def slow_db() -> bool:
            calls[0] += 1
            await gate.wait()
            return True

        readiness = Readiness().add_check("db", slow_db)
        probes = [asyncio.ensure_future(readiness.report()) for _ in range(5)]
        for _ in range(5):
            await asyncio.sleep(0)
        gate.set()
        reports = await asyncio.gather(*probes)
        assert calls[0] == 1
        assert all(r.ready for r in reports)

    run(main())


def test_a_follower_takes_over_when_the_evaluating_probe_goes_away() -> None:
    async def main() -> None:
        calls = [0]
        gate = asyncio.Event()

        async def slow_db() -> bool:
            calls[0] += 1
            await gate.wait()
            return True

        readiness = Readiness().add_check("db", slow_db)
        leader = asyncio.ensure_future(readiness.report())
        await asyncio.sleep(0)
        follower = asyncio.ensure_future(readiness.report())
        await asyncio.sleep(0)
        leader.cancel()
        for _ in range(5):
            await asyncio.sleep(0)
        gate.set()
        assert (await follower).ready
        assert calls[0] == 2
        assert leader.cancelled()

    run(main())


def test_cache_for_reuses_a_report_until_it_expires() -> None:
    async def main() -> None:
        now = [0.0]
        calls = [0]

        def probe() -> bool:
            calls[0] += 1
            return True

        readiness = Readiness(cache_for=5.0, clock=lambda: now[0]).add_check("db", probe)
        await readiness.report()
        now[0] = 4.9
        await readiness.report()
        assert calls[0] == 1
        now[0] = 5.0
        await readiness.report()
        assert calls[0] == 2

    run(main())


def test_drain_flips_readiness_at_once_even_with_a_cached_report() -> None:
    async def main() -> None:
        readiness = Readiness(cache_for=60.0).add_check("db", lambda: True)
        assert (await readiness.report()).ready
        readiness.drain()
        report = await readiness.report()
        assert not report.ready and report.draining and report.status == "draining"
        assert [c.status for c in report.checks] == [CheckStatus.PASS]
        readiness.undrain()
        assert (await readiness.report()).ready

    run(main())


def test_mark_draining_lasts_until_the_server_has_stopped() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        readiness = Readiness()
        first, second = loop.create_future(), loop.create_future()
        assert not is_draining()
        mark_draining(first)
        mark_draining(second)
        assert is_draining() and readiness.draining
        assert (await readiness.report()).status == "draining"
        first.set_result(None)
        await asyncio.sleep(0)
        assert is_draining()                  # the second server is still draining
        second.set_result(None)
        await asyncio.sleep(0)
        assert not is_draining() and (await readiness.report()).ready

    run(main())
    assert not is_draining()                  # no running loop: nothing drains


def test_readiness_follows_a_watched_supervisor() -> None:
    async def main() -> None:
        stop_child = asyncio.Event()

        async def worker() -> None:
            await stop_child.wait()

        sup = Supervisor(name="core")
        sup.add_child(ChildSpec.permanent("worker").with_start(worker))
        sup.add_child(ChildSpec.temporary("oneshot").with_start(lambda: asyncio.sleep(0)))
        readiness = Readiness().watch(sup)
        report = await readiness.report()
        assert not report.ready and report.checks[0].name == "supervisor:core"
        running = asyncio.ensure_future(sup.run())
        for _ in range(20):
            await asyncio.sleep(0)
        assert (await readiness.report()).ready        # the temporary child is not held
        await sup.stop()
        await running
        assert not (await readiness.report()).ready

        optional = Readiness().watch(Supervisor(name="aux"), required=False)
        report = await optional.report()
        assert report.ready and report.checks[0].status is CheckStatus.FAIL

    run(main())
