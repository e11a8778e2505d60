"""A bench for supervisor tests: children whose fate the test decides, and a
journal of every start, stop, crash and exit in the order the supervisor caused them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from weft.supervisor import ChildSpec


class Boom(Exception):
    """The abnormal exit tests inject."""


class Lab:
    def __init__(self) -> None:
        self.events: list[str] = []
        self._fates: dict[str, asyncio.Future[BaseException | None]] = {}
        self.fail_starts: set[str] = set()

    def start_fn(self, name: str) -> Callable[[], Awaitable[None]]:
        def start() -> Awaitable[None]:
            if name in self.fail_starts:
                self.events.append(f"startfail {name}")
                raise Boom(f"{name} cannot start")
            self.events.append(f"start {name}")
            fate: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
            self._fates[name] = fate
            return self._body(name, fate)

        return start

    async def _body(self, name: str, fate: asyncio.Future[BaseException | None]) -> None:
        try:
            outcome = await fate
        except asyncio.CancelledError:
            self.events.append(f"stop {name}")
            raise
        if outcome is None:
            self.events.append(f"exit {name}")
            return
        self.events.append(f"crash {name}")
        raise outcome

    def permanent(self, name: str) -> ChildSpec:
        return ChildSpec.permanent(name).with_start(self.start_fn(name))

    def transient(self, name: str) -> ChildSpec:
        return ChildSpec.transient(name).with_start(self.start_fn(name))

    def temporary(self, name: str) -> ChildSpec:
        return ChildSpec.temporary(name).with_start(self.start_fn(name))

    def crash(self, name: str, exc: BaseException | None = None) -> None:
        self._fates[name].set_result(exc if exc is not None else Boom(name))

    def finish(self, name: str) -> None:
        self._fates[name].set_result(None)

    def take(self) -> list[str]:
        """The events so far, clearing the journal."""
        out, self.events = self.events, []
        return out


async def settle(rounds: int = 50) -> None:
    """Let every ready callback run; the supervisor never sleeps on a timer here."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def until(pred: Callable[[], bool], *, limit: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not pred():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.001)


def others_running() -> set[asyncio.Task[object]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}
