"""L0, simulation: an asyncio event loop on a virtual clock.

How this works
--------------
`SimLoop` is the stdlib selector loop with two things replaced:

* `time()` reads a `VirtualClock` (whole nanoseconds, starting where the
  caller says, 0 by default) instead of the OS clock.
* The selector never sleeps. When asyncio would wait `timeout` seconds for
  I/O, nothing can happen in the meantime, so the clock jumps straight to the
  earliest scheduled timer and the loop carries on: `await
  asyncio.sleep(3600)` returns at once with `loop.time()` one hour later,
  and timers fire in virtual-time order.

Invariants:

* Virtual time only moves forward, and only when no callback is ready.
* A timer fires with `loop.time()` exactly at its deadline (the clock jumps
  to the first nanosecond at or after `when`, so `when` is always due).
* Timers due at the same instant run in the order they were scheduled
  (FIFO), or in an order drawn from `Random(seed)` when the loop has a seed;
  either way the same program and seed give the same order every run. The
  ready queue itself stays FIFO, as asyncio defines it.
* Work for an executor (`run_in_executor`, `asyncio.to_thread`,
  `getaddrinfo`) runs inline, at the current virtual instant, so no thread
  races the simulation.
* Network and other file-descriptor I/O is *not* virtualised. Descriptors
  that are already ready are served, but when the loop would have to wait for
  one, `SimulationIOError` is raised instead of hanging or jumping the clock
  past it. When every task waits and no timer is scheduled, the simulation
  can never progress: `SimulationStalled` is raised.

Code that takes an injectable clock (the supervisor, the rate-limit, CoDel
and admission layers) reads virtual time through `loop_clock` and
`LoopClock`, which read whichever loop is running, real or simulated.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
import selectors
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from contextvars import Context
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, Unpack, final

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

__all__ = [
    "LoopClock",
    "SimLoop",
    "SimulationError",
    "SimulationIOError",
    "SimulationStalled",
    "VirtualClock",
    "loop_clock",
    "new_sim_loop",
    "run",
]

T = TypeVar("T")
_R = TypeVar("_R")
_Ts = TypeVarTuple("_Ts")

_NS_PER_S = 1_000_000_000


class SimulationError(RuntimeError):
    """The simulation cannot go on deterministically."""


class SimulationStalled(SimulationError):
    """Every task waits, and no timer is scheduled to wake any of them."""


class SimulationIOError(SimulationError):
    """A task waits for real I/O, which the simulation does not virtualise."""


# ---------------------------------------------------------------------------
# Clocks
# ---------------------------------------------------------------------------


@final
class VirtualClock:
    """Monotonic simulated time in whole nanoseconds; moves only when told to."""

    __slots__ = ("_ns",)

    def __init__(self, start_ns: int = 0) -> None:
        if start_ns < 0:
            raise ValueError(f"a virtual clock starts at or after 0 ns, not {start_ns}")
        self._ns = start_ns

    @property
    def now_ns(self) -> int:
        return self._ns

    def seconds(self) -> float:
        return self._ns / _NS_PER_S

    def advance_ns(self, ns: int) -> None:
        if ns < 0:
            raise ValueError("a monotonic clock cannot go back")
        self._ns += ns

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        self.jump_to(self.seconds() + seconds)

    def jump_to(self, when: float) -> None:
        """Move to the first nanosecond whose `seconds()` is at or after `when`."""
        if when <= self.seconds():
            return
        ns = math.ceil(when * _NS_PER_S)
        while ns / _NS_PER_S < when:  # float rounding of `when * 1e9`
            ns += 1
        self._ns = max(self._ns, ns)


def loop_clock() -> float:
    """The running loop's time in seconds: virtual under `SimLoop`,
    monotonic under uvloop or asyncio. For layers' `clock=` arguments."""
    return asyncio.get_running_loop().time()


@final
class LoopClock:
    """`weft.supervisor.Clock` reading the running loop's time."""

    __slots__ = ()

    def monotonic(self) -> float:
        return loop_clock()


# ---------------------------------------------------------------------------
# The selector that never sleeps
# ---------------------------------------------------------------------------


@final
class _SimSelector(selectors.BaseSelector):
    """Registrations go to a real selector, which is only ever polled; a wait
    becomes a jump of the virtual clock (through `idle`)."""

    def __init__(self) -> None:
        self._real = selectors.DefaultSelector()
        self._internal: set[int] = set()
        self.idle: Callable[[float | None], None] | None = None

    def mark_internal(self, fd: int) -> None:
        """The loop's own wake-up pipe: waiting on it alone is not real I/O."""
        self._internal.add(fd)

    def register(self, fileobj: FileDescriptorLike, events: int,
                 data: Any = None) -> selectors.SelectorKey:  # Any: the selectors API
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: FileDescriptorLike, events: int,
               data: Any = None) -> selectors.SelectorKey:  # Any: the selectors API
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._real.select(0)
        if events or timeout == 0:
            return events
        external = sorted(key.fd for key in self._real.get_map().values()
                          if key.fd not in self._internal)
        if external:
            raise SimulationIOError(
                f"a task waits for real I/O on file descriptor(s) {external}; the simulation "
                "loop does not virtualise network I/O (call services in-process instead)")
        assert self.idle is not None
        self.idle(timeout)
        return []

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._real.get_map()


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------


class _SimTimerHandle(asyncio.TimerHandle):
    """A timer ordered by (deadline, tie-break key) instead of deadline alone."""

    __slots__ = ("_tie",)

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[object, ...],
                 loop: asyncio.AbstractEventLoop, context: Context | None, tie: float) -> None:
        super().__init__(when, callback, args, loop, context)
        self._tie = tie

    def __lt__(self, other: object) -> bool:
        if isinstance(other, _SimTimerHandle):
            return (self.when(), self._tie) < (other.when(), other._tie)
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if isinstance(other, _SimTimerHandle):
            return (self.when(), self._tie) <= (other.when(), other._tie)
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, _SimTimerHandle):
            return (self.when(), self._tie) > (other.when(), other._tie)
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, _SimTimerHandle):
            return (self.when(), self._tie) >= (other.when(), other._tie)
        return NotImplemented

    __hash__ = asyncio.TimerHandle.__hash__


class SimLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose time is virtual (see the module docstring).

    `seed` shuffles timers due at the same instant (None keeps them FIFO);
    `random` is a `random.Random` seeded from it for the simulated program's
    own choices (latency, drops, jitter), separate from the loop's stream.
    """

    def __init__(self, seed: int | None = None, *, clock: VirtualClock | None = None) -> None:
        selector = _SimSelector()
        super().__init__(selector)
        self.clock = clock if clock is not None else VirtualClock()
        self.seed = seed
        self.random = random.Random(f"weft.simloop/{seed if seed is not None else 0}")
        self._ties: random.Random | None = None if seed is None else random.Random(seed)
        self._fifo = 0
        self._jumps = 0
        selector.idle = self._idle
        # The self-pipe that wakes the loop from other threads and signals.
        selector.mark_internal(self._ssock.fileno())  # type: ignore[attr-defined]

    def time(self) -> float:
        return self.clock.seconds()

    @property
    def jumps(self) -> int:
        """How many times the clock jumped to a timer (a progress measure)."""
        return self._jumps

    # -- timers -----------------------------------------------------------

    def call_at(self, when: float, callback: Callable[[Unpack[_Ts]], object], *args: *_Ts,
                context: Context | None = None) -> asyncio.TimerHandle:
        if when is None:  # asyncio's own check (untyped callers)
            raise TypeError("when cannot be None")
        self._check_closed()  # type: ignore[attr-defined]
        if self._ties is not None:
            tie = self._ties.random()
        else:
            self._fifo += 1
            tie = float(self._fifo)
        timer = _SimTimerHandle(when, callback, args, self, context, tie)
        # The two private fields asyncio's own call_at maintains.
        heapq.heappush(self._scheduled, timer)  # type: ignore[attr-defined]
        timer._scheduled = True  # type: ignore[attr-defined]
        return timer

    def _idle(self, timeout: float | None) -> None:
        """asyncio would block for `timeout` s: jump to the earliest timer."""
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        if timeout is None or not scheduled:
            raise SimulationStalled(
                "every task is waiting and no timer is scheduled, so the simulation can never "
                f"progress (virtual time {self.time():.9f} s): a deadlock, or a wait for "
                "something outside the simulation")
        self._jumps += 1
        self.clock.jump_to(scheduled[0].when())

    # -- no threads -------------------------------------------------------

    def run_in_executor(self, executor: Executor | None, func: Callable[[Unpack[_Ts]], _R],
                        *args: *_Ts) -> asyncio.Future[_R]:
        """Runs `func` inline at the current virtual instant (deterministic)."""
        self._check_closed()  # type: ignore[attr-defined]
        fut: asyncio.Future[_R] = self.create_future()
        try:
            fut.set_result(func(*args))
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


def new_sim_loop(seed: int | None = None, *, start: float = 0.0) -> SimLoop:
    """A fresh simulation loop whose clock reads `start` seconds."""
    return SimLoop(seed, clock=VirtualClock(round(start * _NS_PER_S)))


def run(main: Coroutine[Any, Any, T], *, seed: int | None = None, start: float = 0.0) -> T:
    """`asyncio.run` on a fresh `SimLoop` (`weft.reactor.run`'s simulated twin)."""
    with asyncio.Runner(loop_factory=lambda: new_sim_loop(seed, start=start)) as runner:
        return runner.run(main)
