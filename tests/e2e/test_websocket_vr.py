"""`examples/websocket_echo.vr` compiled, type-checked with mypy --strict,
served, and talked to with the `websockets` library (HTTP/1.1 upgrade) and
with h2's client side (RFC 8441 extended CONNECT over h2c); the same program
with `WeftApp.tls(..)` over HTTPS (HTTP/2 by ALPN, wss://); plus the
compile-time half: sending after `close` is E2004."""

from __future__ import annotations

import asyncio
import json
import os
import re
import ssl
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosedOK

from tests.e2e.conftest import ROOT, Served, serve, weftc_build
from tests.e2e.test_hello import mypy_strict
from tests.weft.test_ws_h2 import CLOSE, TEXT, H2Client, close_code, frame
from tests.weft.tls.tls_support import make_pki


@pytest.fixture(scope="module")
def ws_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("websocket_echo")
    r = weftc_build("websocket_echo.vr", out)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def ws_server(ws_build: Path) -> Iterator[Served]:
    yield from serve(ws_build, "websocket_echo")


def run(coro: object, limit: float = 20.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro, limit)  # type: ignore[arg-type]
    asyncio.run(bounded())


def test_generated_package_passes_mypy_strict(ws_build: Path) -> None:
    r = mypy_strict(ws_build, "websocket_echo")
    assert r.returncode == 0, r.stdout + r.stderr


def test_http_route_beside_the_websocket(ws_server: Served) -> None:
    r = httpx.get(ws_server.base + "/", timeout=5)
    assert r.status_code == 200 and r.text.startswith("WebSocket echo at /ws/echo")
    assert httpx.get(ws_server.base + "/ws/echo", timeout=5).status_code == 426


def test_websockets_client_echo_and_polite_close(ws_server: Served) -> None:
    url = ws_server.base.replace("http://", "ws://") + "/ws/echo"

    async def main() -> None:
        async with websockets.connect(url, compression="deflate") as ws:
            await ws.send("héllo")
            assert await ws.recv() == "héllo"
            await ws.send(b"\x00\x01" * 30_000)
            assert await ws.recv() == b"\x00\x01" * 30_000
            await ws.send("bye")
            assert await ws.recv() == "goodbye"
            with pytest.raises(ConnectionClosedOK):
                await ws.recv()
        assert ws.close_code == 1000
    run(main())


def test_websockets_client_may_close_first(ws_server: Served) -> None:
    url = ws_server.base.replace("http://", "ws://") + "/ws/echo"

    async def main() -> None:
        async with websockets.connect(url) as ws:
            await ws.send("once")
            assert await ws.recv() == "once"
            await ws.close(4001, "done")
        assert ws.close_code == 4001
    run(main())


def test_same_route_over_http2_extended_connect(ws_server: Served) -> None:
    port = int(ws_server.base.rsplit(":", 1)[1])
    client = H2Client(port)
    try:
        sid = client.opened("/ws/echo")
        client.send(sid, frame(TEXT, b"over h2") + frame(TEXT, b"bye"))
        got = client.frames(sid, 3)
        assert got[0] == (TEXT, b"over h2")
        assert got[1] == (TEXT, b"goodbye")
        assert got[2][0] == CLOSE and close_code(got[2][1]) == 1000
        client.send(sid, frame(CLOSE, struct.pack("!H", 1000)))
        client.pump(lambda: sid in client.ended)
    finally:
        client.close()


SEND_AFTER_CLOSE = """\
mount core.net.weft.{Router, WeftApp, WebSocket, WsState};

async fn leave(ws: &mut WebSocket)
    requires ws.state == WsState.Open
{
    ws.close(1000);
    ws.send_text("x").await;
}

fn main() {
    let app = Router.new().ws("/leave", leave);
    WeftApp.new(app).bind("127.0.0.1:8080").serve().await
}
"""


def test_send_after_close_is_e2004(tmp_path: Path) -> None:
    src = tmp_path / "leave.vr"
    src.write_text(SEND_AFTER_CLOSE)
    r = subprocess.run([sys.executable, "-m", "weftc", "check", str(src), "--format", "json"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 1, r.stdout + r.stderr
    report = json.loads(r.stdout)
    [diag] = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert diag["code"] == "E2004"
    assert (diag["line"], diag["column"]) == (7, 5)
    assert "self.state == WsState.Open" in diag["message"]
    assert diag["counterexample"] == {"ws.state": "WsState.Closing"}


def test_tls_from_verum_serves_h2_and_wss(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    source = (ROOT / "examples" / "websocket_echo.vr").read_text(encoding="utf-8")
    source = source.replace('.bind("0.0.0.0:8080")',
                            f'.bind("0.0.0.0:8080").tls("{pki.server_cert}", "{pki.server_key}")')
    assert ".tls(" in source
    (tmp_path / "secure_echo.vr").write_text(source, encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "weftc", "build", str(tmp_path / "secure_echo.vr"),
                        "-o", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(out), str(ROOT / "runtime")]))
    proc = subprocess.Popen([sys.executable, "-m", "secure_echo", "--bind", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=env, cwd=out)
    found: list[str] = []
    ready = threading.Event()

    def read_log() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            m = re.search(r"listening on https://([\d.]+):(\d+)", line)
            if m and not found:
                found.append(m.group(2))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        assert ready.wait(30) and found, "the TLS server did not start"
        port = found[0]
        h2_ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
        with httpx.Client(http2=True, verify=h2_ctx, timeout=5) as http:
            page = http.get(f"https://127.0.0.1:{port}/")
        assert page.status_code == 200 and page.http_version == "HTTP/2"
        # A fresh context: httpx set ALPN "h2" on its own, and wss:// here is HTTP/1.1.
        ctx = ssl.create_default_context(cafile=str(pki.ca_cert))

        async def main() -> None:
            async with websockets.connect(f"wss://127.0.0.1:{port}/ws/echo", ssl=ctx) as ws:
                await ws.send("secure")
                assert await ws.recv() == "secure"
        run(main())
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        reader.join(5)
