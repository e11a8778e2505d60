"""Capacity as the highest open-loop rate the unprotected server sustains.

A rate is *sustained* when, offered open-loop for one step (same generator
as the overload runs, server alone on its core):

* at least 99.9 % of the requests are answered 2xx within the client
  deadline (no refusals, timeouts or errors beyond that), and
* the p99 latency of those answers is at most `p99_bound_ms`, the
  benchmark's latency bound (5x the unloaded p99 of the same server).

A server past its capacity builds a queue that only grows, so its p99 rises
with the step's length; below it, p99 stays near its unloaded value until
close to the knee. The search starts low, multiplies the rate by `growth`
until a rate fails, then bisects between the last sustained and the first
failed rate down to `resolution`. A failure is confirmed by a second try at
the same rate (on a shared machine, one step can lose its core to another
process); a success needs no repeat, which errs towards a higher capacity,
the harder reference for the overload target. The capacity is the highest
sustained rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OK_FLOOR = 0.999  # share of requests answered 2xx for a rate to count as sustained


@dataclass(frozen=True, slots=True)
class Step:
    """One try of one rate."""

    rate: float
    goodput_rps: float
    ok_share: float
    p99_ms: float | None
    sustained: bool
    server_cpu: float | None
    others: float | None  # share of the server's core other processes took


# Offer `rate` for one step and return the loadgen summary (plus `server_cpu`).
Measure = Callable[[float], Mapping[str, Any]]


def judge(rate: float, summary: Mapping[str, Any], p99_bound_ms: float) -> Step:
    """Whether one step's summary shows `rate` sustained."""
    scheduled = int(summary["scheduled"])
    ok = int(summary["ok"])
    share = ok / scheduled if scheduled else 0.0
    p99 = summary["latency_ok_ms"]["p99"]
    good = share >= OK_FLOOR and p99 is not None and float(p99) <= p99_bound_ms
    cpu = summary.get("server_cpu")
    others = summary.get("server_core_others")
    return Step(round(rate, 1), float(summary["goodput_rps"]), round(share, 4),
                None if p99 is None else float(p99), good,
                None if cpu is None else float(cpu), None if others is None else float(others))


@dataclass(frozen=True, slots=True)
class Search:
    """The outcome: the capacity and every step that led to it, in order."""

    capacity_rps: float
    first_failed_rps: float | None
    steps: tuple[Step, ...]


def search(measure: Measure, start: float, p99_bound_ms: float, *, growth: float = 1.25,
           resolution: float = 0.03, max_steps: int = 24) -> Search:
    """Highest sustained rate, to within `resolution` (relative) of the first failure."""
    if start <= 0 or growth <= 1 or not 0 < resolution < 1 or max_steps < 2:
        raise ValueError("start > 0, growth > 1, 0 < resolution < 1 and max_steps >= 2")
    steps: list[Step] = []

    def sustained(rate: float) -> bool:
        for _ in range(2):  # a failure counts only if a second try fails too
            if len(steps) >= max_steps:
                raise RuntimeError(f"capacity search did not converge in {max_steps} steps: "
                                   f"{[(s.rate, s.sustained) for s in steps]}")
            step = judge(rate, measure(rate), p99_bound_ms)
            steps.append(step)
            if step.sustained:
                return True
        return False

    lo, hi = 0.0, None
    rate = start
    while hi is None:  # grow geometrically until a rate fails
        if sustained(rate):
            lo, rate = rate, rate * growth
        else:
            hi = rate
    while lo == 0.0:  # even the first rate failed: come down until one holds
        rate /= growth
        if sustained(rate):
            lo = rate
        else:
            hi = rate
    while (hi - lo) / lo > resolution:
        mid = (lo + hi) / 2
        if sustained(mid):
            lo = mid
        else:
            hi = mid
    return Search(round(lo, 1), round(hi, 1), tuple(steps))
