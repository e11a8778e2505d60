"""Build an example with `weftc build`, serve it as a subprocess on 127.0.0.1:0,
and hand tests its base URL (read from the server's "listening on" log line)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
_LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")


def weftc_build(example: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weftc", "build", str(EXAMPLES / example),
                           "-o", str(out)], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


@dataclass
class Served:
    proc: subprocess.Popen[str]
    base: str
    log: list[str] = field(default_factory=list)

    def wait_for_log(self, pattern: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in list(self.log)):
                return True
            time.sleep(0.05)
        return False


def serve(out: Path, package: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    full = dict(os.environ)
    full["PYTHONPATH"] = os.pathsep.join([str(out), str(ROOT / "runtime")])
    full.update(env or {})
    proc = subprocess.Popen([sys.executable, "-m", package, "--bind", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=full, cwd=out)
    assert proc.stderr is not None
    log: list[str] = []
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            log.append(line)
            m = _LISTENING.search(line)
            if m and not found:
                found.append(f"http://{m.group(1)}:{m.group(2)}")
                ready.set()
        ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        if not ready.wait(20) or not found:
            proc.kill()
            pytest.fail("server did not start:\n" + "".join(log))
        yield Served(proc, found[0], log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        reader.join(5)


@pytest.fixture(scope="module")
def hello_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hello")
    r = weftc_build("hello.vr", out)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def rest_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rest")
    r = weftc_build("rest_api.vr", out)
    assert r.returncode == 0, r.stderr
    return out
