"""Restart types, the intensity limit, nesting, start failures and shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from supervisor_lab import Boom, Lab, others_running, settle, until
from weft.supervisor import (
    ChildSpec,
    ChildStartError,
    ManualClock,
    Restart,
    RestartIntensity,
    Strategy,
    Supervisor,
    SupervisorConfig,
    SupervisorGaveUp,
)

# -- restart types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "crash", "restarted", "listed"),
    [
        (Lab.permanent, False, True, True),
        (Lab.permanent, True, True, True),
        (Lab.transient, False, False, True),
        (Lab.transient, True, True, True),
        (Lab.temporary, False, False, False),
        (Lab.temporary, True, False, False),
    ],
)
def test_restart_type_decides_after_normal_and_abnormal_exit(
    make: Callable[[Lab, str], ChildSpec], crash: bool, restarted: bool, listed: bool
) -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor(SupervisorConfig(Strategy.ONE_FOR_ALL, intensity=10))
        sup.add_child(lab.permanent("other")).add_child(make(lab, "x"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            lab.take()
            if crash:
                lab.crash("x")
            else:
                lab.finish("x")
            await settle()
            ended = "crash x" if crash else "exit x"
            if restarted:  # one_for_all: the sibling goes down and up too
                assert lab.take() == [ended, "stop other", "start other", "start x"]
            else:
                assert lab.take() == [ended]
            assert sup.restarts_total == int(restarted)
            rows = {c.name: c for c in sup.which_children()}
            assert ("x" in rows) is listed
            if listed:
                assert rows["x"].running is restarted
            await sup.stop()

    asyncio.run(main())


def test_unrequested_cancellation_inside_a_child_is_an_abnormal_exit() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor().add_child(lab.transient("x"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            lab.crash("x", asyncio.CancelledError())
            await settle()
            assert lab.take() == ["start x", "crash x", "start x"]
            await sup.stop()

    asyncio.run(main())


def test_a_child_task_cancelled_by_someone_else_is_restarted() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor(name="root").add_child(lab.transient("x"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            (victim,) = [t for t in asyncio.all_tasks() if t.get_name() == "root/x"]
            victim.cancel()
            await settle()
            assert lab.take() == ["start x", "stop x", "start x"]
            assert sup.restart_count("x") == 1
            await sup.stop()

    asyncio.run(main())


# -- intensity -----------------------------------------------------------------


def test_restart_intensity_window_counts_like_otp() -> None:
    clock = ManualClock()
    window = RestartIntensity(2, 5.0, clock)
    assert window.record() and window.record()
    assert not window.record()  # a third within 5 s
    clock.advance(5.0)  # stamps at exactly now - period still count
    assert not window.record()
    clock.advance(5.1)
    assert window.record()
    window.reset()
    assert window.record() and window.record() and not window.record()


def test_exceeding_intensity_gives_up_and_stops_the_rest_in_reverse() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor(SupervisorConfig(intensity=2, period=5.0), clock=ManualClock())
        for n in "abc":
            sup.add_child(lab.permanent(n))
        runner = asyncio.get_running_loop().create_task(sup.run())
        await settle()
        for _ in range(2):
            lab.crash("a")
            await settle()
        assert not runner.done()
        lab.take()
        lab.crash("a")
        with pytest.raises(SupervisorGaveUp, match=r"intensity 2 in 5\.0s exceeded by child 'a'"):
            await runner
        assert lab.take() == ["crash a", "stop c", "stop b"]
        assert sup.restarts_total == 2
        assert sup.gave_up_total == 1
        assert not sup.running

    asyncio.run(main())


def test_restarts_spread_over_time_never_exceed_intensity() -> None:
    async def main() -> None:
        lab = Lab()
        clock = ManualClock()
        sup = Supervisor(SupervisorConfig(intensity=1, period=5.0), clock=clock)
        sup.add_child(lab.permanent("a"))
        async with asyncio.TaskGroup() as tg:
            runner = tg.create_task(sup.run())
            await settle()
            for _ in range(6):
                clock.advance(6.0)
                lab.crash("a")
                await settle()
            assert not runner.done()
            assert sup.restart_count("a") == 6
            await sup.stop()

    asyncio.run(main())


def test_intensity_zero_gives_up_on_the_first_failure() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor(SupervisorConfig(intensity=0)).add_child(lab.permanent("a"))
        runner = asyncio.get_running_loop().create_task(sup.run())
        await settle()
        lab.crash("a")
        with pytest.raises(SupervisorGaveUp) as info:
            await runner
        assert isinstance(info.value.__cause__, Boom)
        assert sup.restarts_total == 0

    asyncio.run(main())


def test_a_restart_whose_start_fails_is_retried_within_intensity() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor(SupervisorConfig(intensity=3), clock=ManualClock())
        sup.add_child(lab.permanent("a")).add_child(lab.permanent("b"))
        runner = asyncio.get_running_loop().create_task(sup.run())
        await settle()
        lab.take()
        lab.fail_starts.add("a")
        lab.crash("a")
        with pytest.raises(SupervisorGaveUp):
            await runner
        assert lab.take() == ["crash a"] + ["startfail a"] * 3 + ["stop b"]
        assert sup.restarts_total == 3

    asyncio.run(main())


# -- start ---------------------------------------------------------------------


def test_a_failed_first_start_stops_the_started_children_and_raises() -> None:
    async def main() -> None:
        lab = Lab()
        lab.fail_starts.add("c")
        sup = Supervisor()
        for n in "abcd":
            sup.add_child(lab.permanent(n))
        with pytest.raises(ChildStartError, match="'c' failed to start"):
            await sup.run()
        # b's task was created but never ran before it was stopped: no "stop b".
        assert lab.take() == ["start a", "start b", "startfail c", "stop a"]
        assert not others_running()

    asyncio.run(main())


def test_a_ready_child_holds_back_the_next_start_until_it_is_ready() -> None:
    async def main() -> None:
        lab = Lab()
        gate = asyncio.Event()

        async def slow_init(ready: Callable[[], None]) -> None:
            lab.events.append("init slow")
            await gate.wait()
            ready()
            lab.events.append("ready slow")
            await asyncio.Event().wait()

        sup = Supervisor()
        sup.add_child(ChildSpec.permanent("slow").with_start_ready(slow_init))
        sup.add_child(lab.permanent("b"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            assert lab.take() == ["init slow"]
            gate.set()
            await settle()
            assert lab.take() == ["ready slow", "start b"]
            await sup.stop()

    asyncio.run(main())


def test_a_ready_child_that_crashes_before_ready_fails_the_first_start() -> None:
    async def main() -> None:
        async def broken(ready: Callable[[], None]) -> None:
            await asyncio.sleep(0)
            raise Boom("no")

        sup = Supervisor().add_child(ChildSpec.permanent("broken").with_start_ready(broken))
        with pytest.raises(ChildStartError) as info:
            await sup.run()
        assert isinstance(info.value.__cause__, Boom)

    asyncio.run(main())


def test_children_added_while_running_start_at_once_and_stop_first() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor().add_child(lab.permanent("a"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            sup.add_child(lab.permanent("late"))
            await settle()
            assert [c.name for c in sup.which_children()] == ["a", "late"]
            await sup.stop()
        assert lab.take() == ["start a", "start late", "stop late", "stop a"]

    asyncio.run(main())


def test_bad_configuration_is_rejected() -> None:
    with pytest.raises(ValueError, match="intensity"):
        SupervisorConfig(intensity=-1)
    with pytest.raises(ValueError, match="period"):
        SupervisorConfig(period=0)
    with pytest.raises(ValueError, match="no start function"):
        Supervisor().add_child(ChildSpec.permanent("x"))
    lab = Lab()
    sup = Supervisor().add_child(lab.permanent("x"))
    with pytest.raises(ValueError, match="already has a child named 'x'"):
        sup.add_child(lab.transient("x"))
    with pytest.raises(ValueError, match="shutdown"):
        ChildSpec.permanent("y").with_shutdown(-1)
    assert ChildSpec.transient("t").restart is Restart.TRANSIENT


# -- nesting -------------------------------------------------------------------


def test_nested_supervisors_start_depth_first_and_escalate() -> None:
    async def main() -> None:
        lab = Lab()
        sub = Supervisor(SupervisorConfig(Strategy.ONE_FOR_ALL, intensity=1), name="sub", clock=ManualClock())
        sub.add_child(lab.permanent("x")).add_child(lab.permanent("y"))
        root = Supervisor(SupervisorConfig(Strategy.ONE_FOR_ONE, intensity=5), name="root")
        root.add_child(lab.permanent("a")).add_child(sub.child_spec()).add_child(lab.permanent("b"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(root.run())
            await settle()
            assert lab.take() == ["start a", "start x", "start y", "start b"]
            lab.crash("x")  # within sub's intensity: sub handles it alone
            await settle()
            assert lab.take() == ["crash x", "stop y", "start x", "start y"]
            assert root.restarts_total == 0 and sub.restarts_total == 1
            lab.crash("y")  # second restart in sub's window: sub gives up, root restarts it
            await settle()
            assert lab.take() == ["crash y", "stop x", "start x", "start y"]
            assert sub.gave_up_total == 1
            assert root.restart_count("sub") == 1
            await root.stop()
        assert lab.take() == ["stop b", "stop y", "stop x", "stop a"]
        assert not sub.running and not root.running

    asyncio.run(main())


# -- stopping ------------------------------------------------------------------


def test_shutdown_budget_allows_cleanup_then_cancels_again() -> None:
    async def main() -> None:
        journal: list[str] = []

        async def tidy() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                await asyncio.sleep(0.01)  # well inside its budget
                journal.append("tidy cleaned up")
                raise

        async def stubborn() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                journal.append("stubborn ignores the first cancel")
                try:
                    await asyncio.sleep(30)
                except asyncio.CancelledError:
                    journal.append("stubborn cancelled again")
                    raise

        sup = Supervisor()
        sup.add_child(ChildSpec.permanent("tidy").with_start(tidy).with_shutdown(5.0))
        sup.add_child(ChildSpec.permanent("stubborn").with_start(stubborn).with_shutdown(0.05))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            await sup.stop()
        assert journal == [
            "stubborn ignores the first cancel",
            "stubborn cancelled again",
            "tidy cleaned up",
        ]
        assert not others_running()

    asyncio.run(main())


def test_cancelling_run_stops_children_in_reverse_and_propagates() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor()
        for n in "ab":
            sup.add_child(lab.permanent(n))
        runner = asyncio.get_running_loop().create_task(sup.run())
        await settle()
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        assert lab.take() == ["start a", "start b", "stop b", "stop a"]
        assert not others_running()

    asyncio.run(main())


def test_nothing_is_left_running_after_stop_even_mid_restart() -> None:
    async def main() -> None:
        lab = Lab()
        sub = Supervisor(SupervisorConfig(Strategy.REST_FOR_ONE), name="sub")
        sub.add_child(lab.permanent("x")).add_child(lab.temporary("y"))
        root = Supervisor(SupervisorConfig(Strategy.ONE_FOR_ALL))
        root.add_child(sub.child_spec()).add_child(lab.permanent("b"))
        runner = asyncio.get_running_loop().create_task(root.run())
        await until(lambda: "start b" in lab.events)
        lab.crash("b")
        await root.stop()  # lands while the one_for_all restart is in progress
        await runner
        assert not others_running()
        assert not root.running and not sub.running

    asyncio.run(main())


def test_stop_before_run_makes_run_return_at_once() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor().add_child(lab.permanent("a"))
        runner = asyncio.get_running_loop().create_task(sup.run())
        await sup.stop()
        await runner
        assert lab.events == []

    asyncio.run(main())
