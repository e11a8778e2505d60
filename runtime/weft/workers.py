"""Worker processes: N forked copies of one server on one listening socket.

How this works
--------------
The parent binds a single listening socket (`open_listener`) and forks
`count` workers; every worker inherits the socket and accepts from it. One
shared accept queue, rather than one `SO_REUSEPORT` socket per worker, is the
choice because it loses nothing when a worker dies or drains: connections
waiting in the queue are taken by the workers still accepting, while a
per-worker reuseport socket would reset everything queued on it. The socket
still carries `SO_REUSEPORT`, so a second server generation (a rolling
restart) can bind the same port before this one is told to stop.

The parent runs no event loop (forking from inside a running loop leaves the
child with the parent's loop state). It blocks SIGCHLD, SIGTERM and SIGINT
and waits for them with `sigtimedwait`, which makes the supervision loop a
plain sequential program:

- a worker that exits while the parent is not stopping is restarted in its
  slot, counted against a `RestartIntensity`; past the limit the parent gives
  up, stops the other workers and returns 1;
- on the first SIGTERM or SIGINT the parent forwards SIGTERM to every worker
  (each then runs the server's two-phase graceful shutdown) and waits up to
  `shutdown` seconds, after which it SIGKILLs whoever is left;
- it returns 0 only if every worker exited 0 after a requested stop.

If the parent dies, even by SIGKILL, Linux sends each worker SIGTERM
(`PR_SET_PDEATHSIG`), so workers never outlive it as orphans.

A worker starts with SIGTERM and SIGINT still blocked, so a signal that
arrives before the worker can handle it stays pending instead of killing it
half-started; the worker's target unblocks them once its handlers are in
place (`WeftApp` does so right after installing its loop signal handlers).

The parent must be single-threaded when it forks, as with any `fork()`.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from weft.supervisor import Clock, MonotonicClock, RestartIntensity

__all__ = ["WorkerPolicy", "open_listener", "run_workers"]

log = logging.getLogger("weft.workers")

_WATCHED = frozenset({signal.SIGCHLD, signal.SIGTERM, signal.SIGINT})
_STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})
_POLL = 0.5  # seconds; a missed SIGCHLD is still noticed this soon
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@final
@dataclass(frozen=True, slots=True)
class WorkerPolicy:
    """How many workers, how often they may be restarted, how long they may drain."""

    count: int
    intensity: int = 5
    period: float = 10.0
    shutdown: float = 15.0

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"workers must be >= 1, got {self.count}")
        if self.intensity < 0 or self.period <= 0 or self.shutdown < 0:
            raise ValueError("intensity >= 0, period > 0 and shutdown >= 0 are required")


def open_listener(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A bound, listening, non-blocking TCP socket that forked workers share."""
    infos = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(addr)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def run_workers(
    target: Callable[[], int],
    policy: WorkerPolicy,
    *,
    clock: Clock | None = None,
    on_stop: Callable[[], object] | None = None,
) -> int:
    """Fork `policy.count` workers running `target()` (its return value is the
    worker's exit status), supervise them until SIGTERM/SIGINT or give-up, and
    return the parent's exit status. `on_stop` runs once when stopping begins
    (the app closes the parent's copy of the listening socket there, so the
    port refuses connections as soon as the last worker stops accepting).
    Blocks; call from the main thread."""
    intensity = RestartIntensity(policy.intensity, policy.period, clock or MonotonicClock())
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    workers: dict[int, int] = {}  # pid -> slot
    status = 0
    deadline: float | None = None

    def begin_stop() -> float:
        _signal_all(workers, signal.SIGTERM)
        if on_stop is not None:
            on_stop()
        return time.monotonic() + policy.shutdown

    try:
        for slot in range(policy.count):
            workers[_fork(target, slot, old_mask)] = slot
        while workers:
            wait = _POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic()))
            info = signal.sigtimedwait(_WATCHED, wait)
            if info is not None and info.si_signo in _STOP_SIGNALS and deadline is None:
                name = signal.Signals(info.si_signo).name
                log.info("%s: stopping %d workers gracefully", name, len(workers))
                deadline = begin_stop()
            for pid, code in _reap(workers):
                slot = workers.pop(pid)
                if deadline is not None:
                    if code != 0:
                        log.warning("worker %d (pid %d) exited with %d while stopping", slot, pid, code)
                        status = 1
                    continue
                log.warning("worker %d (pid %d) exited with %d; restarting it", slot, pid, code)
                if not intensity.record():
                    log.error(
                        "more than %d worker restarts in %gs; giving up",
                        policy.intensity, policy.period,
                    )
                    status = 1
                    deadline = begin_stop()
                    continue
                workers[_fork(target, slot, old_mask)] = slot
            if deadline is not None and workers and time.monotonic() >= deadline:
                log.error("%d workers still running after %gs; killing them", len(workers), policy.shutdown)
                status = 1
                _signal_all(workers, signal.SIGKILL)
                deadline = float("inf")  # SIGKILL cannot be ignored; just reap
    finally:
        if workers:  # an exception escaped the loop: leave no orphan behind
            _signal_all(workers, signal.SIGKILL)
            for pid in workers:
                os.waitpid(pid, 0)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    return status


def _fork(target: Callable[[], int], slot: int, parent_mask: set[int | signal.Signals]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        log.info("worker %d started (pid %d)", slot, pid)
        return pid
    code = 1
    try:
        # Keep SIGTERM/SIGINT blocked; the target unblocks them when ready.
        signal.pthread_sigmask(signal.SIG_SETMASK, set(parent_mask) | _STOP_SIGNALS)
        _die_with_parent(parent)
        code = target()
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Linux: get SIGTERM (a graceful stop) if the parent dies, even by SIGKILL,
    so no worker is orphaned. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _reap(workers: dict[int, int]) -> list[tuple[int, int]]:
    ended: list[tuple[int, int]] = []
    for pid in list(workers):
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:
            ended.append((pid, os.waitstatus_to_exitcode(raw)))
    return ended


def _signal_all(workers: dict[int, int], sig: signal.Signals) -> None:
    for pid in workers:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass  # already gone; it will be reaped
