"""Each strategy makes exactly the restarts OTP would: which children, in what
order, and how they are counted."""

from __future__ import annotations

import asyncio

from supervisor_lab import Lab, settle
from weft.supervisor import Strategy, Supervisor, SupervisorConfig


def _sup(lab: Lab, strategy: Strategy, names: str, intensity: int = 10) -> Supervisor:
    sup = Supervisor(SupervisorConfig(strategy, intensity=intensity, period=5.0))
    for n in names:
        sup.add_child(lab.permanent(n))
    return sup


def test_children_start_in_order_and_stop_in_reverse() -> None:
    async def main() -> None:
        lab = Lab()
        sup = _sup(lab, Strategy.ONE_FOR_ONE, "abcd")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            assert lab.take() == ["start a", "start b", "start c", "start d"]
            assert [c.running for c in sup.which_children()] == [True] * 4
            await sup.stop()
        assert lab.take() == ["stop d", "stop c", "stop b", "stop a"]
        assert not sup.running
        assert sup.restarts_total == 0

    asyncio.run(main())


def test_one_for_one_restarts_only_the_failed_child() -> None:
    async def main() -> None:
        lab = Lab()
        sup = _sup(lab, Strategy.ONE_FOR_ONE, "abc")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            lab.take()
            lab.crash("b")
            await settle()
            assert lab.take() == ["crash b", "start b"]
            lab.crash("b")
            await settle()
            lab.crash("c")
            await settle()
            assert lab.take() == ["crash b", "start b", "crash c", "start c"]
            assert {c.name: c.restarts for c in sup.which_children()} == {"a": 0, "b": 2, "c": 1}
            assert sup.restarts_total == 3
            await sup.stop()
        assert lab.take() == ["stop c", "stop b", "stop a"]

    asyncio.run(main())


def test_one_for_all_stops_the_others_in_reverse_then_restarts_all_in_order() -> None:
    async def main() -> None:
        lab = Lab()
        sup = _sup(lab, Strategy.ONE_FOR_ALL, "abcd")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            lab.take()
            lab.crash("b")
            await settle()
            assert lab.take() == [
                "crash b",
                "stop d", "stop c", "stop a",
                "start a", "start b", "start c", "start d",
            ]
            assert [c.restarts for c in sup.which_children()] == [1, 1, 1, 1]
            assert sup.restarts_total == 1  # one decision, however many children
            await sup.stop()

    asyncio.run(main())


def test_rest_for_one_restarts_the_failed_child_and_those_started_after_it() -> None:
    async def main() -> None:
        lab = Lab()
        sup = _sup(lab, Strategy.REST_FOR_ONE, "abcd")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            lab.take()
            lab.crash("b")
            await settle()
            assert lab.take() == ["crash b", "stop d", "stop c", "start b", "start c", "start d"]
            lab.crash("d")  # the last child has nobody after it
            await settle()
            assert lab.take() == ["crash d", "start d"]
            assert {c.name: c.restarts for c in sup.which_children()} == {
                "a": 0, "b": 1, "c": 1, "d": 2,
            }
            assert sup.restarts_total == 2
            await sup.stop()

    asyncio.run(main())


def test_one_for_all_drops_temporary_siblings_and_revives_finished_transients() -> None:
    # OTP: siblings terminated by a one_for_all restart are all started again,
    # including a transient that had exited normally, except temporary ones.
    async def main() -> None:
        lab = Lab()
        sup = Supervisor(SupervisorConfig(Strategy.ONE_FOR_ALL, intensity=10))
        sup.add_child(lab.transient("t")).add_child(lab.temporary("tmp")).add_child(lab.permanent("p"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            lab.finish("t")
            await settle()
            assert lab.take() == ["start t", "start tmp", "start p", "exit t"]
            lab.crash("p")
            await settle()
            assert lab.take() == ["crash p", "stop tmp", "start t", "start p"]
            assert [c.name for c in sup.which_children()] == ["t", "p"]
            await sup.stop()
        assert lab.take() == ["stop p", "stop t"]

    asyncio.run(main())


def test_rest_for_one_leaves_earlier_children_alone_even_when_not_running() -> None:
    async def main() -> None:
        lab = Lab()
        sup = Supervisor(SupervisorConfig(Strategy.REST_FOR_ONE, intensity=10))
        sup.add_child(lab.transient("a")).add_child(lab.permanent("b")).add_child(lab.temporary("c"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sup.run())
            await settle()
            lab.finish("a")
            await settle()
            lab.take()
            lab.crash("b")
            await settle()
            assert lab.take() == ["crash b", "stop c", "start b"]
            assert [(c.name, c.running) for c in sup.which_children()] == [("a", False), ("b", True)]
            await sup.stop()

    asyncio.run(main())
