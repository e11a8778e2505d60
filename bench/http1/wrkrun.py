"""Run wrk pinned to the client core and turn its report into numbers.

wrk's own CPU time comes from the kernel's accounting of the reaped child
(`os.wait4`), so the harness can tell when the client, not the server, was
the limit: a client that used ~all of its core could not have sent more.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PIPELINE_LUA = Path(__file__).resolve().parent / "pipeline.lua"

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_TOTAL = re.compile(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m)", re.M)
_P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


@dataclass(frozen=True, slots=True)
class WrkReport:
    """What one wrk run measured."""

    requests_per_s: float
    requests: int
    p50_ms: float | None  # None: too few samples for wrk to print percentiles
    p99_ms: float | None
    errors: int
    client_cpu: float  # wrk's CPU seconds / wall seconds (1.0 = its whole core)


class WrkError(RuntimeError):
    """wrk failed or printed something this parser does not understand."""


def parse(text: str) -> tuple[float, int, float | None, float | None, int]:
    """(requests/s, requests, p50 ms, p99 ms, errors) from wrk `--latency` output.

    wrk prints 0 for every percentile when it recorded too few latency
    samples (pipelining records one per batch); those come back as None.
    """
    rps, total, p50, p99 = (_RPS.search(text), _TOTAL.search(text),
                            _P50.search(text), _P99.search(text))
    if rps is None or total is None or p50 is None or p99 is None:
        raise WrkError(f"unrecognised wrk output:\n{text}")
    errors = sum(int(n) for n in m.groups()) if (m := _SOCKET_ERRORS.search(text)) else 0
    if m := _NON_2XX.search(text):
        errors += int(m.group(1))
    return (float(rps.group(1)), int(total.group(1)), _ms(p50), _ms(p99), errors)


def _ms(match: re.Match[str]) -> float | None:
    value = float(match.group(1)) * _UNIT_MS[match.group(2)]
    return value or None


def run(url: str, connections: int, duration_s: int, *, pipeline: bool = False,
        cpu: str = "1") -> WrkReport:
    """One wrk run (one thread, `connections` connections) pinned to `cpu`."""
    cmd = ["taskset", "-c", cpu, "wrk", "-t1", f"-c{connections}", f"-d{duration_s}s",
           "--latency", "--timeout", "5s"]
    if pipeline:
        cmd += ["-s", str(PIPELINE_LUA)]
    cmd.append(url)
    started = time.monotonic()
    # taskset execs wrk in place, so the child's pid and rusage are wrk's.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read().decode(errors="replace")
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise WrkError(f"{' '.join(cmd)} exited {proc.returncode}:\n{out}")
    rps, total, p50, p99, errors = parse(out)
    return WrkReport(rps, total, p50, p99, errors,
                     (usage.ru_utime + usage.ru_stime) / wall)
