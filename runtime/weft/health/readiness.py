"""Readiness: may this process take traffic now?

How this works:

* A `Readiness` aggregates three kinds of evidence into a `HealthReport`:
  - dependency checks (`HealthCheck`, run concurrently, each under its own
    timeout);
  - supervisors it watches: one passes while it runs and every permanent
    child is running (a transient child may have finished normally, and a
    temporary one is gone once it exits, so neither is held against it);
  - draining: a server on this event loop is in graceful shutdown
    (`weft.health.drain`), or the application called `drain()` itself, for
    example to fail readiness before it stops accepting.
* The process is ready when it is not draining and every *required* check
  and watched supervisor passes; optional checks are only listed.
* Concurrent probes share one evaluation (single flight), so a burst of
  probes never multiplies the load on dependencies; `cache_for` seconds
  additionally reuse the last report. If the probe that is evaluating goes
  away, the next waiter evaluates instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, final

from weft.health.checks import (
    CheckResult,
    CheckStatus,
    HealthCheck,
    Probe,
    ReadinessFlag,
    run_check,
)
from weft.health.drain import is_draining

if TYPE_CHECKING:
    from weft.supervisor import Supervisor

__all__ = ["HealthReport", "Readiness"]


@final
@dataclass(frozen=True, slots=True)
class HealthReport:
    """One readiness evaluation: the verdict and each check's result."""

    ready: bool
    draining: bool
    checks: tuple[CheckResult, ...]

    @property
    def status(self) -> str:
        if self.draining:
            return "draining"
        return "ready" if self.ready else "not_ready"

    def to_json(self, verbose: bool = True) -> dict[str, object]:
        doc: dict[str, object] = {"status": self.status}
        if verbose:
            doc["checks"] = [c.to_json() for c in self.checks]
        return doc

    def body(self, verbose: bool = True) -> bytes:
        return json.dumps(self.to_json(verbose), separators=(",", ":")).encode("utf-8")


def _supervisor_check(supervisor: Supervisor, required: bool) -> HealthCheck:
    from weft.supervisor import Restart

    def probe() -> bool:
        if not supervisor.running:
            return False
        return all(c.running for c in supervisor.which_children()
                   if c.restart is Restart.PERMANENT)

    return HealthCheck(f"supervisor:{supervisor.name}", probe, required=required)


@final
class Readiness:
    """The checks, supervisors and drain state behind `/_health/ready`."""

    __slots__ = ("_cached", "_cached_at", "_checks", "_drained", "_pending", "cache_for",
                 "clock")

    def __init__(self, *, cache_for: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if cache_for < 0:
            raise ValueError("cache_for must be >= 0 seconds")
        self.cache_for = cache_for
        self.clock = clock
        self._checks: list[HealthCheck] = []
        self._drained = False
        self._pending: asyncio.Future[HealthReport | None] | None = None
        self._cached: HealthReport | None = None
        self._cached_at = 0.0

    @classmethod
    def new(cls) -> Readiness:
        return cls()

    # -- configuration ------------------------------------------------------

    def add(self, check: HealthCheck | ReadinessFlag) -> Readiness:
        """Add a check (a `ReadinessFlag` becomes a required check)."""
        hc = check.check() if isinstance(check, ReadinessFlag) else check
        if any(c.name == hc.name for c in self._checks):
            raise ValueError(f"a readiness check named {hc.name!r} already exists")
        self._checks.append(hc)
        return self

    def add_check(self, name: str, probe: Probe, *, timeout: float = 1.0,
                  required: bool = True, blocking: bool = False) -> Readiness:
        return self.add(HealthCheck(name, probe, timeout, required, blocking))

    def watch(self, supervisor: Supervisor, *, required: bool = True) -> Readiness:
        """Be ready only while `supervisor` and its permanent children run."""
        return self.add(_supervisor_check(supervisor, required))

    @property
    def checks(self) -> tuple[HealthCheck, ...]:
        return tuple(self._checks)

    # -- draining -----------------------------------------------------------

    def drain(self) -> None:
        """Report not ready from now on (before a planned stop)."""
        self._drained = True

    def undrain(self) -> None:
        self._drained = False

    @property
    def draining(self) -> bool:
        return self._drained or is_draining()

    # -- evaluation ---------------------------------------------------------

    async def report(self) -> HealthReport:
        """Evaluate (or join the evaluation in progress, or reuse the cache)."""
        while True:
            cached = self._cached
            if cached is not None and self.clock() - self._cached_at < self.cache_for:
                return self._with_drain(cached)
            pending = self._pending
            if pending is None:
                return await self._lead()
            shared = await asyncio.shield(pending)
            if shared is not None:
                return self._with_drain(shared)
            # The evaluating probe went away before finishing: take over.

    async def is_ready(self) -> bool:
        return (await self.report()).ready

    async def diagnostic_body(self) -> str:
        return (await self.report()).body().decode("utf-8")

    async def _lead(self) -> HealthReport:
        pending: asyncio.Future[HealthReport | None] = asyncio.get_running_loop().create_future()
        self._pending = pending
        shared: HealthReport | None = None
        try:
            results = await asyncio.gather(*(run_check(c) for c in self._checks))
            ok = all(r.status is CheckStatus.PASS for r in results if r.required)
            report = shared = HealthReport(ok, False, tuple(results))
            if self.cache_for:
                self._cached, self._cached_at = report, self.clock()
        finally:
            self._pending = None
            pending.set_result(shared)
        return self._with_drain(report)

    def _with_drain(self, report: HealthReport) -> HealthReport:
        # Drain state is read per probe, never cached: it must flip at once.
        if self.draining:
            return HealthReport(False, True, report.checks)
        return report
