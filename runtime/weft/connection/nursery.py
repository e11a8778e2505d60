"""A connection's nursery: the parent of every task the connection starts.

Tasks start only through `start`; `cancel` (called when the connection
closes) cancels every live child, and a closed nursery refuses new children,
so no task can outlive its connection. The task set is created on first use:
an idle connection that never awaited anything carries no set at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar, final

T = TypeVar("T")


@final
class Nursery:
    __slots__ = ("_closed", "_loop", "_tasks")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._tasks: set[asyncio.Task[Any]] | None = None
        self._closed = False

    def start(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `coro` as a child task; it is cancelled if the nursery closes."""
        if self._closed:
            coro.close()
            raise RuntimeError("nursery is closed: its connection has ended")
        task = self._loop.create_task(coro)
        tasks = self._tasks
        if tasks is None:
            tasks = self._tasks = set()
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    def cancel(self) -> None:
        """Close the nursery and cancel every child still running."""
        self._closed = True
        tasks = self._tasks
        if tasks:
            for task in list(tasks):
                task.cancel()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        """The children that have not finished yet."""
        return frozenset(self._tasks) if self._tasks else frozenset()

    def __len__(self) -> int:
        return len(self._tasks) if self._tasks else 0
