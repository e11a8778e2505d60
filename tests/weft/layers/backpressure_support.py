"""Helpers for the backpressure tests: a fake clock and a handler whose
requests finish only when the test says so."""

from __future__ import annotations

import asyncio

from weft.http_types import Request, Response


class FakeClock:
    """Seconds that move only when the test advances them."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Held:
    """A service whose calls wait until `release()`; records entry order."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.entered: list[str] = []
        self.finished = 0
        self._gates: list[asyncio.Event] = []

    @property
    def inside(self) -> int:
        return len(self.entered) - self.finished

    async def __call__(self, request: Request) -> Response:
        gate = asyncio.Event()
        self._gates.append(gate)
        self.entered.append(request.headers.get("x-id") or request.path)
        try:
            await gate.wait()
        finally:
            self.finished += 1
        return Response(self.status, [], b"done")

    def release(self, n: int | None = None) -> None:
        """Let the `n` oldest waiting calls finish (all by default)."""
        pending = [g for g in self._gates if not g.is_set()]
        for g in pending[: len(pending) if n is None else n]:
            g.set()


async def settle(rounds: int = 10) -> None:
    """Let ready callbacks and tasks run (a bounded number of loop turns)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
