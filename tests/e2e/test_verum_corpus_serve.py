"""Corpus programs whose app is meaningful, compiled and served on 127.0.0.1.

The corpus files build their app in a function and do not serve it from
`main`, so a small driver imports that function from the generated
package and serves its result on port 0. Skips when the corpus is absent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.weftc.verum_corpus import CORPUS
from weftc.build import build

ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"Verum corpus not found at {CORPUS}")

# The driver: `app` is what `make()` returns (a WeftApp, or a Router to wrap in one).
DRIVER = """
import asyncio, logging, sys
from weft.app import WeftApp
from {package}.app import {make}

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
app = {make}()
if not isinstance(app, WeftApp):
    app = WeftApp.new(app)
asyncio.run(app.bind("127.0.0.1:0").serve_async())
"""


def _serve(out: Path, package: str, make: str) -> Iterator[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(out), str(ROOT / "runtime")])
    code = DRIVER.format(package=package, make=make)
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, env=env, cwd=out)
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
        yield found[0]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        reader.join(5)


def _built(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    out = tmp_path_factory.mktemp(name)
    result = build(CORPUS / f"{name}.vr", out, "test")
    assert result.package == name, [(d.code, d.message) for d in result.diagnostics]
    return out


@pytest.fixture(scope="module")
def hello_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(_built(tmp_path_factory, "hello_world"), "hello_world", "build_app")


@pytest.fixture(scope="module")
def router_basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(_built(tmp_path_factory, "router_basic"), "router_basic",
                      "typecheck_router_build")


def test_hello_world_root_goes_through_the_layer_stack(hello_world: str) -> None:
    r = httpx.get(hello_world + "/", timeout=5)
    assert r.status_code == 200
    assert r.text == "Hello from Weft!"
    assert "traceparent" in r.headers  # TracingLayer wraps the router


def test_hello_world_echo_reads_the_path_parameter(hello_world: str) -> None:
    r = httpx.get(hello_world + "/hello/ada", timeout=5)
    assert r.status_code == 200
    assert r.text == "Hello, ada!"


def test_hello_world_unknown_path_is_a_problem_404(hello_world: str) -> None:
    r = httpx.get(hello_world + "/nowhere", timeout=5)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_router_basic_serves_each_route_and_the_fallback(router_basic: str) -> None:
    with httpx.Client(base_url=router_basic, timeout=5) as client:
        assert client.get("/").status_code == 200
        assert client.get("/users/7").status_code == 200
        assert client.post("/users").status_code == 200
        assert client.get("/files/a/b/c.txt").status_code == 200
        r = client.delete("/somewhere/else")
    assert r.status_code == 200  # `.fallback(Noop.new())` answers everything else
    assert r.content == b""
