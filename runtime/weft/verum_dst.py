"""Verum's deterministic-simulation surface (`core.net.weft.dst`) on `weft.simloop`.

Verum declares the primitives a DST test uses: a seeded `TestClock`, a
PCG-style `SeededRng`, a chaos `NetworkEventStream`, task schedules, and the
`WeftSimulator` that ties a clock to invariant checks. Here:

* `TestClock` is a handle on a `weft.simloop.VirtualClock` (whole
  nanoseconds); clones share it, as Verum's `Shared<AtomicInt>` does.
* `SeededRng` computes Verum's exact sequence (64-bit wrapping arithmetic),
  and clones share its state.
* `WeftSimulator` owns a `SimLoop` driven by its config's clock, created on
  the first `spawn`/`run` (so a simulator that only counts ticks holds no
  loop). `advance(by)` runs every task and timer due within `by` of virtual
  time, in order, and leaves the clock exactly `by` later; without a loop
  there is nothing due and the clock alone moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar, final

from weft.simloop import SimLoop, VirtualClock
from weft.verum_time import Duration

__all__ = [
    "LatencyDelay",
    "LatencySpike",
    "NetworkEvent",
    "NetworkEventStream",
    "NoEvent",
    "PacketLoss",
    "PeerPartition",
    "PeerReset",
    "RandomSchedule",
    "Reorder",
    "RoundRobinSchedule",
    "SeededRng",
    "SimConfig",
    "SimNetworkConfig",
    "TaskSchedule",
    "TestClock",
    "WeftSimulator",
]

T = TypeVar("T")

_U64 = (1 << 64) - 1
_ZERO_SEED = 0xDA9A_C0DE_F00D_BABE
_PCG_MULT = 6_364_136_223_846_793_005
_PCG_INC = 1_442_695_040_888_963_407
_PARTITION_MS = 500


# ---------------------------------------------------------------------------
# Clock and randomness
# ---------------------------------------------------------------------------


@final
class TestClock:
    """Simulation time; `advance` moves it, `now_ns` reads it."""

    __test__ = False  # not a pytest test class, despite the name
    __slots__ = ("clock", "seed")

    def __init__(self, seed: int, clock: VirtualClock) -> None:
        self.seed = seed
        self.clock = clock

    @classmethod
    def seeded(cls, seed: int) -> TestClock:
        return cls(seed, VirtualClock())

    def now_ns(self) -> int:
        return self.clock.now_ns

    def advance(self, by: Duration) -> None:
        self.clock.advance_ns(by.nanos)

    def clone(self) -> TestClock:
        """Another handle on the same time."""
        return TestClock(self.seed, self.clock)


@final
class SeededRng:
    """Verum's PCG-style generator: `new(seed)` always yields the same words."""

    __slots__ = ("_state",)

    def __init__(self, state: list[int]) -> None:
        self._state = state  # one cell, shared by clones

    @classmethod
    def new(cls, seed: int) -> SeededRng:
        return cls([(seed or _ZERO_SEED) & _U64])

    def next_u64(self) -> int:
        s = self._state[0]
        self._state[0] = (s * _PCG_MULT + _PCG_INC) & _U64
        xorshifted = ((s >> 18) ^ s) >> 27
        rot = s >> 59
        return ((xorshifted >> rot) | (xorshifted << (-rot & 31))) & _U64

    def next_u32(self) -> int:
        return self.next_u64() & 0xFFFF_FFFF

    def next_bounded(self, bound: int) -> int:
        """Uniform-ish in [0, bound); 0 for a bound that is not positive."""
        if bound <= 0:
            return 0
        return self.next_u64() % bound

    def flip(self) -> bool:
        return self.next_u64() & 1 == 1

    def clone(self) -> SeededRng:
        """Another handle on the same stream."""
        return SeededRng(self._state)


# ---------------------------------------------------------------------------
# Simulated network faults
# ---------------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class NoEvent:
    pass


@final
@dataclass(frozen=True, slots=True)
class LatencyDelay:
    delay: Duration


@final
@dataclass(frozen=True, slots=True)
class PacketLoss:
    pass


@final
@dataclass(frozen=True, slots=True)
class Reorder:
    pass


@final
@dataclass(frozen=True, slots=True)
class LatencySpike:
    delay: Duration


@final
@dataclass(frozen=True, slots=True)
class PeerPartition:
    until_ms: int


@final
@dataclass(frozen=True, slots=True)
class PeerReset:
    pass


NetworkEvent = (NoEvent | LatencyDelay | PacketLoss | Reorder | LatencySpike | PeerPartition
                | PeerReset)


@final
@dataclass(frozen=True, slots=True)
class SimNetworkConfig:
    """Fault rates in permille per operation and the mean latency in µs."""

    packet_loss_permille: int = 0
    mean_latency_us: int = 100
    reorder_permille: int = 0
    partition_permille: int = 0

    @classmethod
    def default(cls) -> SimNetworkConfig:
        return cls()

    @classmethod
    def chaos(cls) -> SimNetworkConfig:
        return cls(packet_loss_permille=5, mean_latency_us=1_000, reorder_permille=10,
                   partition_permille=1)

    def with_packet_loss_permille(self, permille: int) -> SimNetworkConfig:
        return replace(self, packet_loss_permille=permille)

    def with_mean_latency_us(self, us: int) -> SimNetworkConfig:
        return replace(self, mean_latency_us=us)

    def with_reorder_permille(self, permille: int) -> SimNetworkConfig:
        return replace(self, reorder_permille=permille)

    def with_partition_permille(self, permille: int) -> SimNetworkConfig:
        return replace(self, partition_permille=permille)

    def clone(self) -> SimNetworkConfig:
        return self


@final
class NetworkEventStream:
    """One fault decision per network operation, drawn from the shared rng."""

    __slots__ = ("config", "rng")

    def __init__(self, rng: SeededRng, config: SimNetworkConfig) -> None:
        self.rng = rng
        self.config = config

    @classmethod
    def new(cls, rng: SeededRng, config: SimNetworkConfig) -> NetworkEventStream:
        return cls(rng, config)

    def next_event(self) -> NetworkEvent:
        cfg = self.config
        d = self.rng.next_bounded(1000)
        edge = cfg.packet_loss_permille
        if d < edge:
            return PacketLoss()
        edge += cfg.reorder_permille
        if d < edge:
            return Reorder()
        edge += cfg.partition_permille
        if d < edge:
            return PeerPartition(_PARTITION_MS)
        variance = cfg.mean_latency_us // 2
        jitter = 0 if variance == 0 else self.rng.next_bounded(variance * 2) - variance
        return LatencyDelay(Duration(max(0, cfg.mean_latency_us + jitter) * 1_000))


# ---------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------


class TaskSchedule(Protocol):
    def pick_next(self, n_ready: int) -> int: ...


@final
class RoundRobinSchedule:
    __slots__ = ("_cursor",)

    def __init__(self) -> None:
        self._cursor = 0

    @classmethod
    def new(cls) -> RoundRobinSchedule:
        return cls()

    def pick_next(self, n_ready: int) -> int:
        if n_ready <= 0:
            return 0
        v = self._cursor
        self._cursor += 1
        return v % n_ready


@final
class RandomSchedule:
    __slots__ = ("rng",)

    def __init__(self, rng: SeededRng) -> None:
        self.rng = rng

    @classmethod
    def new(cls, rng: SeededRng) -> RandomSchedule:
        return cls(rng)

    def pick_next(self, n_ready: int) -> int:
        return self.rng.next_bounded(n_ready)


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class SimConfig:
    """Clock, rng and network from one seed, so one seed replays a run."""

    clock: TestClock
    rng: SeededRng
    network: SimNetworkConfig

    @classmethod
    def from_seed(cls, seed: int) -> SimConfig:
        return cls(TestClock.seeded(seed), SeededRng.new(seed), SimNetworkConfig.default())

    @classmethod
    def chaos_from_seed(cls, seed: int) -> SimConfig:
        return cls(TestClock.seeded(seed), SeededRng.new(seed), SimNetworkConfig.chaos())


@final
class WeftSimulator:
    """Runs Python coroutines on a `SimLoop` over the config's clock and
    records invariant checks. Close it (or use `with`) once it ran tasks."""

    __slots__ = ("_failed", "_loop", "_tasks", "_ticks", "config")

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._failed = False
        self._ticks = 0
        self._loop: SimLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()  # Any: tasks of any result type

    @classmethod
    def new(cls, config: SimConfig) -> WeftSimulator:
        return cls(config)

    def clock(self) -> TestClock:
        return self.config.clock.clone()

    def rng(self) -> SeededRng:
        return self.config.rng.clone()

    @property
    def loop(self) -> SimLoop:
        """The simulation's event loop (created on first use)."""
        if self._loop is None or self._loop.is_closed():
            self._loop = SimLoop(self.config.clock.seed, clock=self.config.clock.clock)
        return self._loop

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:  # Any: any coroutine
        """Start `coro` on the simulation; it runs during `advance` and `run`."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def run(self, coro: Coroutine[Any, Any, T]) -> T:  # Any: any coroutine
        """Run `coro` (and everything it and earlier spawns schedule) to completion."""
        self._not_inside()
        return self.loop.run_until_complete(coro)

    def advance(self, by: Duration) -> None:
        """Run all that is due within `by` of virtual time; the clock ends exactly `by` later."""
        self._not_inside()
        clock = self.config.clock.clock
        target = clock.now_ns + by.nanos
        loop = self._loop
        if loop is not None and not loop.is_closed():
            due: asyncio.Future[None] = loop.create_future()
            timer = loop.call_at(target / 1_000_000_000, due.set_result, None)
            try:
                loop.run_until_complete(due)
            finally:
                timer.cancel()
        clock.advance_ns(max(0, target - clock.now_ns))
        self._ticks += 1

    def check(self, invariant: Callable[[], bool]) -> None:
        if not invariant():
            self._failed = True

    def invariants_ok(self) -> bool:
        return not self._failed

    def ticks(self) -> int:
        return self._ticks

    def close(self) -> None:
        """Cancel what is still running and close the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        self._not_inside()
        pending = [t for t in self._tasks if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def __enter__(self) -> WeftSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _not_inside(self) -> None:
        if self._loop is not None and self._loop.is_running():
            raise RuntimeError("WeftSimulator.advance/run/close drive the simulation loop and "
                               "cannot be called from a task on it: await asyncio.sleep instead")
