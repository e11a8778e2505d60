"""Layer S: an Erlang/OTP-style supervisor on top of one asyncio task group.

How this works
--------------
A `Supervisor` holds an ordered list of `ChildSpec`s. `run()` opens an
`asyncio.TaskGroup`, and every running child is one task inside it, so no child
can outlive `run()` (STYLE point 7: a supervisor *is* a task group with a
restart policy and an intensity limit).

A child's start function is called by the supervisor itself; it returns an
awaitable, and the child is alive while that awaitable runs. Returning is a
normal exit, raising is an abnormal one (so is a cancellation that did not
come from the supervisor). A start function that raises is a failed start.

Invariants:

- Only the `run()` coroutine changes supervisor state. A child task reports
  its end by queueing its `_Instance`; a report for an instance that is no
  longer the child's current one (it was terminated on purpose) is ignored,
  exactly like an EXIT from a pid that is no longer a child in OTP.
- Children start one at a time in list order. A child built with
  `with_start_ready` counts as started only once it calls `ready()` (a nested
  supervisor does so after its own children started; an HTTP app once bound).
- Children stop in reverse start order. Stopping is two-phase: `cancel()`,
  which the child may answer by cleaning up for up to its `shutdown` seconds,
  then repeated cancellation until the task is gone.
- One restart *decision* counts once against the intensity limit, however many
  children it restarts. More than `intensity` decisions within `period`
  seconds and the supervisor gives up: it stops every child and `run()` raises
  `SupervisorGaveUp`, which a parent supervisor sees as an abnormal exit.
- Strategies follow OTP: one_for_one restarts the child alone; one_for_all
  stops every other child (reverse order) and restarts all (in order);
  rest_for_one does that for the children started after the failed one.
  Temporary children stopped as siblings are dropped, not restarted.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol, final

__all__ = [
    "ChildInfo",
    "ChildSpec",
    "ChildStartError",
    "Clock",
    "ManualClock",
    "MonotonicClock",
    "Restart",
    "RestartIntensity",
    "Strategy",
    "Supervisor",
    "SupervisorConfig",
    "SupervisorGaveUp",
]

log = logging.getLogger("weft.supervisor")

ReadyFn = Callable[[], None]
StartFn = Callable[[ReadyFn], Awaitable[object]]

# Between repeated cancellations of a child that outlived its shutdown budget.
_RECANCEL_INTERVAL = 0.1


# ---------------------------------------------------------------------------
# Policy values
# ---------------------------------------------------------------------------


class Strategy(enum.Enum):
    """Which children a restart decision touches."""

    ONE_FOR_ONE = "one_for_one"
    ONE_FOR_ALL = "one_for_all"
    REST_FOR_ONE = "rest_for_one"


class Restart(enum.Enum):
    """When a child is restarted after it exits."""

    PERMANENT = "permanent"  # always
    TRANSIENT = "transient"  # only after an abnormal exit
    TEMPORARY = "temporary"  # never; it is removed once it exits


@final
@dataclass(frozen=True, slots=True)
class SupervisorConfig:
    """Strategy plus the restart-intensity limit: at most `intensity`
    restarts within any `period` seconds."""

    strategy: Strategy = Strategy.ONE_FOR_ONE
    intensity: int = 3
    period: float = 5.0
    #: the supervisor's name in logs, metrics labels and readiness checks
    name: str = "supervisor"

    def __post_init__(self) -> None:
        if self.intensity < 0:
            raise ValueError(f"intensity must be >= 0, got {self.intensity}")
        if self.period <= 0:
            raise ValueError(f"period must be > 0 seconds, got {self.period}")


def _no_start(ready: ReadyFn) -> Awaitable[object]:
    raise ValueError("this ChildSpec has no start function; call .with_start(fn)")


@final
@dataclass(frozen=True, slots=True)
class ChildSpec:
    """How to start, restart and stop one child. Build with `permanent`,
    `transient` or `temporary`, then `with_start` / `with_shutdown`."""

    name: str
    restart: Restart
    start: StartFn = _no_start
    signals_ready: bool = False
    # Seconds a cancelled child may spend cleaning up; None waits forever
    # (OTP's `infinity`, the default for nested supervisors).
    shutdown: float | None = 5.0

    @classmethod
    def permanent(cls, name: str) -> ChildSpec:
        return cls(name, Restart.PERMANENT)

    @classmethod
    def transient(cls, name: str) -> ChildSpec:
        return cls(name, Restart.TRANSIENT)

    @classmethod
    def temporary(cls, name: str) -> ChildSpec:
        return cls(name, Restart.TEMPORARY)

    @property
    def has_start(self) -> bool:
        return self.start is not _no_start

    def with_start(self, fn: Callable[[], Awaitable[object]]) -> ChildSpec:
        """`fn()` returns the awaitable the child runs; started once it returns."""
        return replace(self, start=lambda _ready: fn(), signals_ready=False)

    def with_start_ready(self, fn: StartFn) -> ChildSpec:
        """`fn(ready)` returns the awaitable; the next child is not started until
        this one calls `ready()` (or exits, which during the first start is a
        failed start)."""
        return replace(self, start=fn, signals_ready=True)

    def with_shutdown(self, seconds: float | None) -> ChildSpec:
        if seconds is not None and seconds < 0:
            raise ValueError(f"shutdown must be >= 0 seconds or None, got {seconds}")
        return replace(self, shutdown=seconds)


@final
@dataclass(frozen=True, slots=True)
class ChildInfo:
    """One row of `Supervisor.which_children()`."""

    name: str
    restart: Restart
    running: bool
    restarts: int


class SupervisorGaveUp(Exception):
    """The restart intensity was exceeded; every child has been stopped."""


class ChildStartError(SupervisorGaveUp):
    """A child failed to start during the supervisor's first start."""


# ---------------------------------------------------------------------------
# Time and intensity
# ---------------------------------------------------------------------------


class Clock(Protocol):
    def monotonic(self) -> float: ...


@final
class MonotonicClock:
    def monotonic(self) -> float:
        return time.monotonic()


@final
class ManualClock:
    """A clock that moves only when told to, for deterministic tests."""

    __slots__ = ("_now",)

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def monotonic(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        self._now += seconds


@final
class RestartIntensity:
    """Sliding window of restart times; `record()` says whether one more is allowed."""

    __slots__ = ("_clock", "_intensity", "_period", "_stamps")

    def __init__(self, intensity: int, period: float, clock: Clock) -> None:
        self._intensity = intensity
        self._period = period
        self._clock = clock
        self._stamps: collections.deque[float] = collections.deque()

    def record(self) -> bool:
        now = self._clock.monotonic()
        threshold = now - self._period
        while self._stamps and self._stamps[0] < threshold:
            self._stamps.popleft()
        self._stamps.append(now)
        return len(self._stamps) <= self._intensity

    def reset(self) -> None:
        self._stamps.clear()


# ---------------------------------------------------------------------------
# Run-time state (owned by one run() call)
# ---------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Child:
    spec: ChildSpec
    current: _Instance | None = None


@dataclass(eq=False, slots=True)
class _Instance:
    """One start of a child; identity tells fresh exit reports from stale ones."""

    child: _Child
    awaitable: Awaitable[object] | None = None
    task: asyncio.Task[None] | None = None
    ready: asyncio.Future[None] | None = None
    error: BaseException | None = None


@dataclass(eq=False, slots=True)
class _Run:
    tg: asyncio.TaskGroup
    stop: asyncio.Future[None]
    queue: asyncio.Queue[_Instance | _Child | None] = field(default_factory=asyncio.Queue)
    children: list[_Child] = field(default_factory=list)


# ---------------------------------------------------------------------------
# The supervisor
# ---------------------------------------------------------------------------


@final
class Supervisor:
    """A task group with a restart policy. `run()` returns after `stop()` and
    raises `SupervisorGaveUp` when the intensity limit is exceeded."""

    def __init__(
        self,
        config: SupervisorConfig | None = None,
        *,
        name: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config if config is not None else SupervisorConfig()
        self.name = name if name is not None else self.config.name
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._specs: list[ChildSpec] = []
        self._restarts: dict[str, int] = {}
        self.restarts_total = 0
        self.gave_up_total = 0
        self._run: _Run | None = None
        self._finished: asyncio.Event | None = None
        self._stop_before_run = False

    @classmethod
    def new(cls, config: SupervisorConfig | None = None) -> Supervisor:
        return cls(config)

    # -- configuration ------------------------------------------------------

    def add_child(self, spec: ChildSpec) -> Supervisor:
        """Append a child; if the supervisor is running it is started now."""
        if not spec.has_start:
            raise ValueError(f"child {spec.name!r} has no start function; call .with_start(fn)")
        if any(s.name == spec.name for s in self._specs):
            raise ValueError(f"supervisor {self.name!r} already has a child named {spec.name!r}")
        self._specs.append(spec)
        self._restarts.setdefault(spec.name, 0)
        if self._run is not None:
            child = _Child(spec)
            self._run.children.append(child)
            self._run.queue.put_nowait(child)
        return self

    def child_spec(self, name: str | None = None) -> ChildSpec:
        """This supervisor as a permanent child of another one (a subtree)."""
        return (
            ChildSpec.permanent(name or self.name)
            .with_start_ready(lambda ready: self._serve(ready))
            .with_shutdown(None)
        )

    # -- introspection ------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._run is not None

    def which_children(self) -> list[ChildInfo]:
        if self._run is None:
            return [ChildInfo(s.name, s.restart, False, self._restarts[s.name]) for s in self._specs]
        return [
            ChildInfo(c.spec.name, c.spec.restart, c.current is not None, self._restarts[c.spec.name])
            for c in self._run.children
        ]

    def restart_count(self, name: str) -> int:
        return self._restarts[name]

    # -- lifecycle ----------------------------------------------------------

    async def run(self) -> None:
        await self._serve(None)

    async def stop(self) -> None:
        """Stop every child in reverse order and wait until `run()` has ended.
        Called before `run()`, it makes the next `run()` return at once."""
        self.request_stop()
        finished = self._finished
        if self._run is not None and finished is not None:
            await finished.wait()

    def request_stop(self) -> None:
        """`stop()` without waiting: safe from signal handlers and callbacks."""
        run = self._run
        if run is None:
            self._stop_before_run = True
        elif not run.stop.done():
            run.stop.set_result(None)
            run.queue.put_nowait(None)

    async def _serve(self, on_started: ReadyFn | None) -> None:
        if self._run is not None:
            raise RuntimeError(f"supervisor {self.name!r} is already running")
        if self._stop_before_run:
            self._stop_before_run = False
            return
        loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()
        outcome: SupervisorGaveUp | None = None
        try:
            async with asyncio.TaskGroup() as tg:
                run = _Run(tg, loop.create_future(), children=[_Child(s) for s in self._specs])
                self._run = run
                try:
                    outcome = await self._supervise(run, on_started)
                finally:
                    await self._terminate(run, list(reversed(run.children)))
        finally:
            self._run = None
            self._finished.set()
        if outcome is not None:
            self.gave_up_total += 1
            raise outcome

    async def _supervise(self, run: _Run, on_started: ReadyFn | None) -> SupervisorGaveUp | None:
        intensity = RestartIntensity(self.config.intensity, self.config.period, self._clock)
        failed = await self._start_children(run, list(run.children), initial=True)
        if failed is not None:
            name, exc = failed
            log.error("%s: child %r failed to start: %r; giving up", self.name, name, exc)
            err = ChildStartError(f"supervisor {self.name!r}: child {name!r} failed to start: {exc!r}")
            err.__cause__ = exc
            return err
        if on_started is not None:
            on_started()
        while True:
            msg = await run.queue.get()
            if msg is None:
                return None
            if isinstance(msg, _Child):
                if not run.stop.done():
                    await self._start_children(run, [msg], initial=False)
                continue
            if msg.child.current is not msg:
                continue  # an instance we terminated on purpose
            gave_up = await self._on_exit(run, msg, intensity)
            if gave_up is not None:
                return gave_up

    # -- exits and restarts -------------------------------------------------

    async def _on_exit(
        self, run: _Run, inst: _Instance, intensity: RestartIntensity
    ) -> SupervisorGaveUp | None:
        child = inst.child
        child.current = None
        name, kind, err = child.spec.name, child.spec.restart, inst.error
        if err is None:
            log.info("%s: child %r exited normally", self.name, name)
        else:
            log.warning("%s: child %r exited abnormally: %r", self.name, name, err)
        if kind is Restart.TEMPORARY:
            run.children.remove(child)
            return None
        if kind is Restart.TRANSIENT and err is None:
            return None
        if not intensity.record():
            log.error(
                "%s: more than %d restarts in %gs (last: child %r); giving up",
                self.name, self.config.intensity, self.config.period, name,
            )
            gave_up = SupervisorGaveUp(
                f"supervisor {self.name!r}: restart intensity {self.config.intensity} in "
                f"{self.config.period}s exceeded by child {name!r}"
            )
            gave_up.__cause__ = err
            return gave_up
        self.restarts_total += 1
        strategy = self.config.strategy
        if strategy is Strategy.ONE_FOR_ONE:
            targets = [child]
        else:
            at = run.children.index(child)
            siblings = (
                run.children[:at] + run.children[at + 1 :]
                if strategy is Strategy.ONE_FOR_ALL
                else run.children[at + 1 :]
            )
            await self._terminate(run, list(reversed(siblings)))
            for sibling in siblings:
                if sibling.spec.restart is Restart.TEMPORARY:
                    run.children.remove(sibling)
            first = 0 if strategy is Strategy.ONE_FOR_ALL else at
            targets = run.children[first:]
        log.info(
            "%s: restarting %s (%s)", self.name, [c.spec.name for c in targets], strategy.value
        )
        for target in targets:
            self._restarts[target.spec.name] += 1
        await self._start_children(run, targets, initial=False)
        return None

    # -- starting -----------------------------------------------------------

    async def _start_children(
        self, run: _Run, children: list[_Child], *, initial: bool
    ) -> tuple[str, BaseException] | None:
        """Start in order. On the first start a failure is returned; on a
        restart it becomes that child's exit report and the sequence stops
        there (the report drives the next restart decision)."""
        for child in children:
            if run.stop.done():
                return None
            failure = await self._start_one(run, child)
            if failure is None:
                continue
            if initial:
                return child.spec.name, failure
            if child.current is not None and child.current.task is None:
                run.queue.put_nowait(child.current)  # the start fn itself raised
            return None
        return None

    async def _start_one(self, run: _Run, child: _Child) -> BaseException | None:
        inst = _Instance(child)
        child.current = inst
        spec = child.spec
        if spec.signals_ready:
            inst.ready = asyncio.get_running_loop().create_future()

        def ready() -> None:
            if inst.ready is not None and not inst.ready.done():
                inst.ready.set_result(None)

        try:
            inst.awaitable = spec.start(ready)
        except Exception as exc:
            inst.error = exc
            return exc
        inst.task = run.tg.create_task(self._child_main(run, inst), name=f"{self.name}/{spec.name}")
        if inst.ready is None:
            return None
        await asyncio.wait({inst.ready, inst.task, run.stop}, return_when=asyncio.FIRST_COMPLETED)
        if inst.ready.done() or not inst.task.done() or inst.error is None:
            return None
        return inst.error

    async def _child_main(self, run: _Run, inst: _Instance) -> None:
        assert inst.awaitable is not None
        try:
            await inst.awaitable
        except asyncio.CancelledError as exc:
            if inst.child.current is not inst:
                raise  # stopped by its supervisor
            inst.error = exc  # any other cancellation is a crash
        except Exception as exc:
            inst.error = exc
        run.queue.put_nowait(inst)

    # -- stopping -----------------------------------------------------------

    async def _terminate(self, run: _Run, children: list[_Child]) -> None:
        """Stop the given children one by one, in the order given."""
        for child in children:
            inst = child.current
            if inst is None:
                continue
            child.current = None
            task = inst.task
            if task is None:
                continue
            if not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=child.spec.shutdown)
                while not task.done():
                    log.warning(
                        "%s: child %r did not stop within %ss; cancelling it again",
                        self.name, child.spec.name, child.spec.shutdown,
                    )
                    task.cancel()
                    await asyncio.wait({task}, timeout=_RECANCEL_INTERVAL)
            aw = inst.awaitable
            if inspect.iscoroutine(aw) and inspect.getcoroutinestate(aw) == inspect.CORO_CREATED:
                aw.close()  # cancelled before it ever ran
            log.info("%s: child %r stopped", self.name, child.spec.name)
