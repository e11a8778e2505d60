"""`examples/hello.vr` compiled, type-checked with mypy --strict, served, and asked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ROOT, Served, serve


def mypy_strict(out: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join([str(out), str(ROOT / "runtime")])
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--config-file", os.devnull, *targets],
                          capture_output=True, text=True, cwd=out, env=env, timeout=110)


@pytest.fixture(scope="module")
def hello(hello_build: Path) -> Iterator[Served]:
    yield from serve(hello_build, "hello")


def test_generated_hello_passes_mypy_strict(hello_build: Path) -> None:
    r = mypy_strict(hello_build, "hello")
    assert r.returncode == 0, r.stdout + r.stderr


def test_root_answers_hello_from_weft(hello: Served) -> None:
    r = httpx.get(hello.base + "/", timeout=5)
    assert r.status_code == 200
    assert r.text == "Hello from Weft!"
    assert r.headers["content-type"].startswith("text/plain")


def test_hello_name_echoes_the_capture(hello: Served) -> None:
    assert httpx.get(hello.base + "/hello/Ada", timeout=5).text == "Hello, Ada!"
    assert httpx.get(hello.base + "/hello/Grace%20Hopper", timeout=5).text == \
        "Hello, Grace Hopper!"


def test_unknown_path_is_a_problem_404(hello: Served) -> None:
    r = httpx.get(hello.base + "/nope", timeout=5)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_curl_agrees(hello: Served) -> None:
    out = subprocess.run(["curl", "-s", hello.base + "/hello/curl"], capture_output=True,
                         text=True, timeout=10)
    assert out.stdout == "Hello, curl!"
