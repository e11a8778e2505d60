"""Start the benchmark's server and load generator on their own cores, and
make sure neither outlives the run (every exit path kills the server tree)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.http1.procs import kill_tree

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
APP = HERE / "app.py"
HOST = "127.0.0.1"
SERVER_CPU = "0"
CLK_TCK = os.sysconf("SC_CLK_TCK")  # /proc/stat's unit, ticks per second
CLIENT_CPU = "1"


class ServerFailed(RuntimeError):
    """The server did not start or died during a run."""


def pinned(cpu: str, argv: list[str]) -> list[str]:
    """`argv` under `taskset -c cpu` when taskset and a second core exist."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return argv
    return ["taskset", "-c", cpu, *argv]


def _env() -> dict[str, str]:
    paths = [str(REPO), str(REPO / "runtime"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


@dataclass(frozen=True, slots=True)
class Served:
    pid: int
    port: int
    rounds: int  # SHA-256 rounds of the handler's CPU burst


@contextmanager
def serving(layers: str, *, work_ms: float, limit: int, target_ms: float, interval_ms: float,
            queue: int, log: Path, rounds: int = 0, startup_timeout: float = 60.0) -> Iterator[Served]:
    """Run `app.py` pinned to the server core; yield once it listens; kill its tree."""
    argv = [sys.executable, str(APP), "--bind", f"{HOST}:0", "--layers", layers,
            "--work-ms", str(work_ms), "--limit", str(limit), "--target-ms", str(target_ms),
            "--interval-ms", str(interval_ms), "--queue", str(queue),
            "--rounds", str(rounds)]
    with log.open("ab") as err:
        proc = subprocess.Popen(pinned(SERVER_CPU, argv), stdout=subprocess.PIPE, stderr=err,
                                stdin=subprocess.DEVNULL, env=_env(), cwd=REPO,
                                start_new_session=True, text=True)
        try:
            line = _first_line(proc, startup_timeout)
            fields = dict(kv.split("=", 1) for kv in line.split())
            if "port" not in fields:
                raise ServerFailed(f"{layers}: no port announced (exit {proc.poll()}); "
                                   f"see {log}")
            yield Served(proc.pid, int(fields["port"]), int(fields.get("rounds", "0")))
            if proc.poll() is not None:
                raise ServerFailed(f"{layers}: exited with {proc.returncode} during the run")
        finally:
            kill_tree(proc.pid)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    got: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        got.append(proc.stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else ""


def core_times(cpu: str) -> tuple[int, int]:
    """(idle, total) clock ticks of core `cpu` since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                ticks = [int(v) for v in line.split()[1:9]]
                return ticks[3] + ticks[4], sum(ticks)  # idle + iowait, all but guest
    raise RuntimeError(f"no cpu{cpu} line in /proc/stat")


def open_loop(port: int, rate: float, duration: float, *, deadline: float,
              max_conns: int) -> dict[str, object]:
    """One run of `loadgen` in its own process on the client core; its summary."""
    argv = [sys.executable, "-m", "bench.overload.loadgen", "--host", HOST, "--port", str(port),
            "--rate", f"{rate:.1f}", "--duration", str(duration), "--deadline", str(deadline),
            "--max-conns", str(max_conns)]
    # subprocess.run kills the generator if this process is interrupted or it overruns.
    done = subprocess.run(pinned(CLIENT_CPU, argv), capture_output=True, text=True, env=_env(),
                          cwd=REPO, timeout=duration + deadline + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen exited {done.returncode}: {done.stderr[-2000:]}")
    summary: dict[str, object] = json.loads(done.stdout)
    return summary
