"""Corpus programs whose app is meaningful, compiled and served on 127.0.0.1.

The corpus files build their app in a function and do not serve it from
`main`, so a small driver imports that function from the generated
package and serves its result on port 0. Skips when the corpus is absent.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

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


def _import(out: Path, module: str) -> ModuleType:
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.pop(0)


@pytest.fixture(scope="module")
def graceful_shutdown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(tmp_path_factory, "graceful_shutdown")


async def _serve_then(stop: str, out: Path) -> tuple[int, object, bool]:
    """Serve graceful_shutdown's router through `Server.bind`, GET `/`, then stop it
    with `begin_drain` or `shutdown`; (status, serve's result, whether the port
    still accepts)."""
    from weft.router import Router
    from weft.verum_listener import VerumServer

    app = _import(out, "graceful_shutdown.app")
    types = _import(out, "graceful_shutdown.types")
    bound = VerumServer.bind("127.0.0.1:0", Router.new().get("/", types.Noop()),
                             app.typecheck_config_builders().with_reuseport(False))
    server = bound.unwrap()
    port = server.port
    serving = asyncio.create_task(server.serve())
    async with httpx.AsyncClient(timeout=5) as client:
        status = (await client.get(f"http://127.0.0.1:{port}/")).status_code
    getattr(server, stop)()
    result = await asyncio.wait_for(serving, 20)
    assert server.drain_handle().load()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except OSError:
        return status, result, False
    writer.close()
    return status, result, True


@pytest.mark.parametrize("stop", ["begin_drain", "shutdown"])
def test_graceful_shutdown_serves_then_drains(graceful_shutdown: Path, stop: str) -> None:
    from weft.result import Ok

    status, result, accepts = asyncio.run(_serve_then(stop, graceful_shutdown))
    assert status == 200
    assert result == Ok(None)
    assert not accepts


def test_graceful_shutdown_lifecycle_function_runs(graceful_shutdown: Path) -> None:
    from weft.result import Ok

    app = _import(graceful_shutdown, "graceful_shutdown.app")
    assert app.typecheck_server_lifecycle() == Ok(None)  # binds port 0, drains, shuts down
    cfg = app.typecheck_config_builders()
    assert (cfg.drain_grace_ms, cfg.reuseport) == (60_000, True)


def test_bind_reports_an_address_in_use(graceful_shutdown: Path) -> None:
    from weft.result import Err
    from weft.router import Router
    from weft.verum_listener import ListenerConfig, VerumServer

    first = VerumServer.bind("127.0.0.1:0", Router.new(), ListenerConfig.default()).unwrap()
    try:
        again = VerumServer.bind(f"127.0.0.1:{first.port}", Router.new(), ListenerConfig.default())
        assert isinstance(again, Err) and "cannot listen on" in again.error
    finally:
        first.shutdown()


@pytest.fixture(scope="module")
def spiffe_basic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(tmp_path_factory, "spiffe_basic")


async def _spiffe_statuses(out: Path, tokens: list[str | None]) -> list[tuple[int, str]]:
    """Serve spiffe_basic's `typecheck_layer_shape(StaticBundles{..})` and send
    each token; (status, www-authenticate) per request."""
    from weft.verum_listener import ListenerConfig, VerumServer
    from weft.verum_spiffe import JwtBundle

    app = _import(out, "spiffe_basic.app")
    types = _import(out, "spiffe_basic.types")
    bundles = types.StaticBundles(x509=None, jwt=JwtBundle("prod", {"k1": _KEY.public_key()}))
    service = app.typecheck_layer_shape(bundles)
    server = VerumServer.bind("127.0.0.1:0", service, ListenerConfig.default()).unwrap()
    serving = asyncio.create_task(server.serve())
    out_: list[tuple[int, str]] = []
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            for token in tokens:
                headers = {} if token is None else {"authorization": f"Bearer {token}"}
                r = await client.get(f"http://127.0.0.1:{server.port}/", headers=headers)
                out_.append((r.status_code, r.headers.get("www-authenticate", "")))
    finally:
        server.shutdown()
        await asyncio.wait_for(serving, 20)
    return out_


def _svid(sub: str, aud: str, exp_in: int = 300) -> str:
    import time

    import jwt
    claims = {"sub": sub, "aud": aud, "exp": int(time.time()) + exp_in}
    return jwt.encode(claims, _KEY, algorithm="ES256", headers={"kid": "k1"})


def _make_key() -> Any:  # Any: a cryptography private key (the EC type needs no import here)
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1())


_KEY = _make_key()


def test_spiffe_layer_authenticates_jwt_svids(spiffe_basic: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEFT_SPIFFE_AUDIENCE", "orders")
    answers = asyncio.run(_spiffe_statuses(spiffe_basic, [
        None,
        _svid("spiffe://prod/ns/sa/admin", "orders"),
        _svid("spiffe://prod/ns/sa/admin", "billing"),
        _svid("spiffe://prod/ns/sa/admin", "orders", exp_in=-600),
        _svid("spiffe://staging/ns/sa/admin", "orders"),
    ]))
    assert [status for status, _ in answers] == [401, 200, 401, 401, 401]
    assert answers[0][1] == 'Bearer realm="weft"'
    assert 'error="invalid_token"' in answers[2][1]


def test_spiffe_layer_needs_an_audience(spiffe_basic: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEFT_SPIFFE_AUDIENCE", raising=False)
    app = _import(spiffe_basic, "spiffe_basic.app")
    types = _import(spiffe_basic, "spiffe_basic.types")
    with pytest.raises(ValueError, match="WEFT_SPIFFE_AUDIENCE"):
        app.typecheck_layer_shape(types.StaticBundles(x509=None, jwt=None))


def test_spiffe_principal_glob_and_rejections(spiffe_basic: Path) -> None:
    from weft.identity import AuthMode, Principal, SpiffeId

    app = _import(spiffe_basic, "spiffe_basic.app")
    admin = Principal(SpiffeId.parse("spiffe://prod/ns/sa/admin"), AuthMode.JWT)
    deeper = Principal(SpiffeId.parse("spiffe://prod/a/b/sa/admin"), AuthMode.JWT)
    assert app.typecheck_principal_match(admin)
    assert not app.typecheck_principal_match(deeper)
    assert app.typecheck_rejection_shapes() == (401, "credential expired")


@pytest.fixture(scope="module")
def http2_basic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(tmp_path_factory, "http2_basic")


async def _h2c_get(out: Path) -> tuple[str, int]:
    """serve_h2c(http2_basic's limits) on a bound listener; one prior-knowledge h2 GET."""
    from weft.router import Router
    from weft.verum_listener import ListenerConfig, VerumServer

    app = _import(out, "http2_basic.app")
    types = _import(out, "http2_basic.types")
    router = Router.new().get("/", types.Noop())
    server = VerumServer.bind("127.0.0.1:0", router, ListenerConfig.default()).unwrap()
    serving = asyncio.create_task(server.serve_h2c(app.typecheck_h2_limits()))
    try:
        async with httpx.AsyncClient(http1=False, http2=True, timeout=5) as client:
            r = await client.get(f"http://127.0.0.1:{server.port}/")
            # Shut down while the client still holds its connection open: the
            # server's GOAWAY meets a live peer.
            server.shutdown()
            result = await asyncio.wait_for(serving, 20)
    finally:
        server.shutdown()
    assert result.is_ok()
    return r.http_version, r.status_code


def test_http2_basic_serves_h2c_through_server_bind(http2_basic: Path) -> None:
    assert asyncio.run(_h2c_get(http2_basic)) == ("HTTP/2", 200)
