"""`run_workers` with plain targets: restarts, give-up, signal forwarding, the kill deadline.

Each target runs in a forked child of the test process and reports through a
journal file; workers start with SIGTERM blocked, so they wait for it with
`sigwait` exactly as a real server's handler would receive it.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from weft.supervisor import ManualClock
from weft.workers import WorkerPolicy, open_listener, run_workers


def _note(journal: Path, line: str) -> None:
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def _lines(journal: Path) -> list[str]:
    return journal.read_text().split() if journal.exists() else []


def test_a_crashing_worker_is_restarted_until_intensity_gives_up(tmp_path: Path) -> None:
    journal = tmp_path / "journal"

    def crash() -> int:
        _note(journal, "run")
        return 3

    policy = WorkerPolicy(1, intensity=2, period=60.0, shutdown=1.0)
    assert run_workers(crash, policy, clock=ManualClock()) == 1
    assert _lines(journal) == ["run"] * 3  # the first run plus two restarts


def test_stop_signal_is_forwarded_and_clean_exits_give_status_0(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    stopped: list[bool] = []

    def worker() -> int:
        _note(journal, f"start-{os.getpid()}")
        try:  # exactly one worker asks the parent to stop
            os.close(os.open(tmp_path / "leader", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            while len(_lines(journal)) < 2:
                time.sleep(0.01)
            os.kill(os.getppid(), signal.SIGTERM)
        except FileExistsError:
            pass
        signal.sigwait({signal.SIGTERM})
        _note(journal, "stopped")
        return 0

    status = run_workers(worker, WorkerPolicy(2, shutdown=10.0), on_stop=lambda: stopped.append(True))
    assert status == 0
    lines = _lines(journal)
    assert sorted(x.split("-")[0] for x in lines) == ["start", "start", "stopped", "stopped"]
    assert stopped == [True]
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_workers_that_ignore_the_stop_signal_are_killed_after_the_deadline(tmp_path: Path) -> None:
    journal = tmp_path / "journal"

    def stubborn() -> int:
        _note(journal, "start")
        if len(_lines(journal)) == 1:
            os.kill(os.getppid(), signal.SIGTERM)
        time.sleep(60)  # SIGTERM stays blocked: never handled
        return 0

    assert run_workers(stubborn, WorkerPolicy(1, shutdown=0.3)) == 1
    assert _lines(journal) == ["start"]


def test_open_listener_shares_one_port_and_allows_a_second_generation() -> None:
    first = open_listener("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        assert port > 0
        assert not first.getblocking()
        second = open_listener("127.0.0.1", port)  # SO_REUSEPORT: a rolling restart
        second.close()
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        first.close()


def test_bad_policies_are_rejected() -> None:
    with pytest.raises(ValueError, match="workers must be >= 1"):
        WorkerPolicy(0)
    with pytest.raises(ValueError):
        WorkerPolicy(1, period=0)
