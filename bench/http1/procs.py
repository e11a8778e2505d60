"""Linux /proc readings for a server and every process it forked.

A server under test may be one process (uvicorn, weft) or a supervisor with
workers (granian, hypercorn). Memory and CPU are therefore summed over the
whole tree, and stopping a server kills the tree, so no worker outlives a run.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the `(comm)` field, or None if gone."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # comm may hold spaces and parentheses; it ends at the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def tree_pids(root: int) -> list[int]:
    """`root` and all its live descendants, root first."""
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    out: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        if _stat_fields(pid) is None:
            continue
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def rss_kib(pids: list[int]) -> int:
    """Summed resident set size (VmRSS) of `pids`, in KiB."""
    total = 0
    for pid in pids:
        try:
            status = (_PROC / str(pid) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
                break
    return total


def cpu_split(pids: list[int]) -> tuple[float, float]:
    """Summed (user, system) CPU seconds of `pids`, all their threads included."""
    user = system = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime and stime are stat fields 14 and 15; index 11 and 12 here.
            user += int(fields[11])
            system += int(fields[12])
    return user / _CLK_TCK, system / _CLK_TCK


def cpu_seconds(pids: list[int]) -> float:
    """Summed user+system CPU time of `pids` (all their threads), in seconds."""
    return sum(cpu_split(pids))


def cpus_allowed(pid: int) -> str:
    """The CPU affinity list of `pid` as the kernel prints it, e.g. `0`."""
    try:
        status = (_PROC / str(pid) / "status").read_text()
    except OSError:
        return "?"
    for line in status.splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    return "?"


def kill_tree(root: int, grace: float = 3.0) -> None:
    """SIGTERM the tree rooted at `root`, then SIGKILL whatever is left.

    The root runs in its own session (started with `start_new_session`), so
    the process group catches workers; the explicit pid walk also catches a
    worker that moved to a group of its own.
    """
    pids = tree_pids(root)
    _signal_all(root, pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not [p for p in pids if _alive(p)]:
            return
        time.sleep(0.05)
    _signal_all(root, pids + tree_pids(root), signal.SIGKILL)


def _signal_all(root: int, pids: list[int], sig: signal.Signals) -> None:
    try:
        os.killpg(root, sig)
    except OSError:
        pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    # A zombie ("Z") has exited; only its parent's wait() is missing.
    return fields is not None and fields[0] != "Z"


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, steal) CPU seconds summed over all cores since boot, from /proc/stat.

    busy - (server + client CPU) over an interval is what everything else on
    the machine used meanwhile: the noise the benchmark reports alongside.
    """
    with open("/proc/stat") as f:
        fields = f.readline().split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq) / _CLK_TCK, steal / _CLK_TCK
