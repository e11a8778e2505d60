"""Per-request records of an open-loop run, and the summary the report uses.

A record keeps when the request was *scheduled* (not when it could be
sent), so latency includes any wait for a connection: the generator never
hides the server's slowness by sending later (no coordinated omission).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# Outcomes that are not HTTP statuses.
TIMEOUT = -1  # no complete response within the client deadline
ERROR = 0  # the connection failed or closed before the response was complete


@dataclass(frozen=True, slots=True)
class Record:
    """One request: scheduled offset (s), latency (s, from the schedule), outcome."""

    scheduled: float
    latency: float
    status: int
    lag: float  # seconds between its schedule and the moment it was written (-1: never)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _ms(values: Sequence[float]) -> dict[str, float | None]:
    ordered = sorted(values)

    def at(q: float) -> float | None:
        v = percentile(ordered, q)
        return None if v is None else round(v * 1000, 3)

    return {"p50": at(50), "p90": at(90), "p99": at(99), "p999": at(99.9),
            "max": None if not ordered else round(ordered[-1] * 1000, 3)}


def summarize(records: Sequence[Record], rate: float, duration: float, deadline: float,
              max_open: int) -> dict[str, object]:
    """Counts by outcome, goodput (2xx answers received within the run, per
    second), shed share and latency percentiles of admitted (2xx) and refused
    (503) requests."""
    statuses = Counter(r.status for r in records)
    ok = [r.latency for r in records if 200 <= r.status < 300]
    # Goodput counts 2xx answers that arrived within the run: a backlog's
    # answers after the schedule ended (up to `deadline` later) are not
    # output at the offered load.
    in_window = sum(1 for r in records
                    if 200 <= r.status < 300 and r.scheduled + r.latency <= duration)
    shed = [r.latency for r in records if r.status == 503]
    sent_lag = sorted(r.lag for r in records if r.lag >= 0)
    total = len(records)
    return {
        "offered_rps": rate,
        "duration_s": duration,
        "deadline_s": deadline,
        "scheduled": total,
        "ok": len(ok),
        "shed": len(shed),
        "timeouts": statuses.get(TIMEOUT, 0),
        "errors": statuses.get(ERROR, 0),
        "other_status": {str(k): v for k, v in sorted(statuses.items())
                         if k > 0 and not 200 <= k < 300 and k != 503},
        "goodput_rps": round(in_window / duration, 1) if duration > 0 else 0.0,
        "ok_after_run": len(ok) - in_window,
        "shed_share": round(len(shed) / total, 4) if total else 0.0,
        "latency_ok_ms": _ms(ok),
        "latency_shed_ms": _ms(shed),
        "send_lag_p99_ms": None if not sent_lag else round(
            (percentile(sent_lag, 99) or 0.0) * 1000, 3),
        "max_open_connections": max_open,
    }
