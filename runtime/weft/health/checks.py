"""Dependency checks for readiness: one probe, its timeout, its verdict.

How this works:

* A `HealthCheck` names a probe: a plain or `async` callable, or a plain
  one that returns an awaitable. The probe passes if it returns `True` or
  `None` (it simply did not raise) within `timeout` seconds; returning
  `False` fails, raising is an error, running late is a timeout.
* A plain probe runs inline on the event loop, so it must be quick (read a
  flag, look at a pool's size). A probe that blocks (a synchronous driver's
  ping) says `blocking=True` and runs in the loop's default thread pool; a
  late thread cannot be stopped, only abandoned, and is reported as a
  timeout.
* A check that is not `required` is reported but never makes the server
  unready.
* The result records the exception's class name, never its message, so a
  readiness body cannot leak connection strings or hostnames.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import final

__all__ = ["CheckResult", "CheckStatus", "HealthCheck", "ReadinessFlag", "run_check"]

# A probe returns a verdict or an awaitable of one; None means "did not raise".
Probe = Callable[[], "bool | Awaitable[bool | None] | None"]


@final
class CheckStatus(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    TIMEOUT = "timeout"
    ERROR = "error"


@final
@dataclass(frozen=True, slots=True)
class HealthCheck:
    """One dependency probe and how much it matters."""

    name: str
    probe: Probe
    timeout: float = 1.0
    required: bool = True
    blocking: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a health check needs a name")
        if not self.timeout > 0:
            raise ValueError(f"health check {self.name!r}: timeout must be positive")
        if self.blocking and inspect.iscoroutinefunction(self.probe):
            raise ValueError(f"health check {self.name!r}: an async probe cannot be blocking")


@final
@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict of one check, as listed in the readiness body."""

    name: str
    status: CheckStatus
    required: bool
    duration: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is CheckStatus.PASS

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "name": self.name, "status": self.status.value, "required": self.required,
            "duration_ms": round(self.duration * 1000, 3)}
        if self.error is not None:
            doc["error"] = self.error
        return doc


@final
class ReadinessFlag:
    """A readiness switch the application flips (warm-up done, cache loaded)."""

    __slots__ = ("name", "ready")

    def __init__(self, name: str, ready: bool = False) -> None:
        self.name = name
        self.ready = ready

    @classmethod
    def new(cls, name: str) -> ReadinessFlag:
        return cls(name)

    def set_ready(self, ready: bool) -> None:
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready

    def check(self, *, required: bool = True) -> HealthCheck:
        return HealthCheck(self.name, self.is_ready, required=required)


async def _blocking(probe: Probe) -> bool | None:
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(None, probe)
    if inspect.isawaitable(result):
        raise TypeError("a blocking probe must return a verdict, not an awaitable")
    return result


async def _awaited(value: Awaitable[bool | None]) -> bool | None:
    return await value


async def run_check(check: HealthCheck, clock: Callable[[], float] = time.perf_counter,
                    ) -> CheckResult:
    """Run one probe under its timeout; never raises (except cancellation)."""
    start = clock()
    status = CheckStatus.PASS
    error: str | None = None
    try:
        if check.blocking:
            verdict = await asyncio.wait_for(_blocking(check.probe), check.timeout)
        else:
            result = check.probe()
            if inspect.isawaitable(result):
                verdict = await asyncio.wait_for(_awaited(result), check.timeout)
            else:
                verdict = result
        if verdict is False:
            status, error = CheckStatus.FAIL, "the probe reported not ready"
        elif verdict is not True and verdict is not None:
            status, error = CheckStatus.ERROR, f"the probe returned {type(verdict).__name__}"
    except TimeoutError:
        status, error = CheckStatus.TIMEOUT, f"no answer within {check.timeout:g} s"
    except Exception as exc:
        status, error = CheckStatus.ERROR, type(exc).__name__
    return CheckResult(check.name, status, check.required, max(0.0, clock() - start), error)
