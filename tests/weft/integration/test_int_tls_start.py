"""TLS configuration errors stop the server at start with a clear message,
from Python (`TlsConfigError`) and from the example's command line (exit 2,
no traceback); and the example itself serves every protocol on one port."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from int_support import run_tool
from tls_support import Pki
from weft import reactor
from weft.http_types import Request, Response
from weft.server import Server, ServerConfig
from weft.transport import TlsConfig, TlsConfigError

HELLO = Path(__file__).resolve().parents[3] / "examples" / "python" / "hello.py"


async def ok(req: Request) -> Response:
    return Response(200, [], b"ok")


def start_with(tls: TlsConfig) -> None:
    async def main() -> None:
        server = Server(ok, ServerConfig(host="127.0.0.1", port=0, tls=tls))
        try:
            await server.start()
        finally:
            assert server.sockets == []  # nothing was bound
    reactor.run(main())


def test_missing_certificate_fails_at_start(tmp_path: Path, pki: Pki) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(TlsConfigError, match=re.escape(f"certificate file '{missing}' does not exist")):
        start_with(TlsConfig(str(missing), str(pki.server_key)))


def test_mismatched_key_fails_at_start(pki: Pki) -> None:
    with pytest.raises(TlsConfigError, match="do not match"):
        start_with(TlsConfig(str(pki.server_cert), str(pki.other_key)))


def hello_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(HELLO), "--bind", "127.0.0.1:0", *args],
                          capture_output=True, text=True, timeout=30, check=False)


def test_cli_bad_certificate_path_exits_2(tmp_path: Path, pki: Pki) -> None:
    done = hello_cli("--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", str(pki.server_key))
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "missing.pem" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_mismatched_key_exits_2(pki: Pki) -> None:
    done = hello_cli("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.other_key))
    assert done.returncode == 2
    assert "do not match" in done.stderr and "Traceback" not in done.stderr


def test_cli_cert_without_key_is_a_usage_error(pki: Pki) -> None:
    done = hello_cli("--tls-cert", str(pki.server_cert))
    assert done.returncode == 2 and "--tls-key" in done.stderr


@pytest.fixture
def hello_tls(pki: Pki) -> Iterator[int]:
    """examples/python/hello.py serving TLS on a free port; yields the port."""
    proc = subprocess.Popen(
        [sys.executable, str(HELLO), "--bind", "127.0.0.1:0", "--tls-cert", str(pki.server_cert),
         "--tls-key", str(pki.server_key)],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stderr is not None
        port = None
        for _ in range(50):
            line = proc.stderr.readline()
            found = re.search(r"listening on https://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
            if not line:
                break
        assert port is not None, "hello.py did not report its port"
        yield port
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_example_serves_h2_http1_and_wss_on_one_port(hello_tls: int, pki: Pki) -> None:
    url = f"https://127.0.0.1:{hello_tls}"
    out = run_tool("curl", "-sS", "--http2", "--cacert", str(pki.ca_cert), "-i", f"{url}/hello/h2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/2 200") and out.stdout.endswith("Hello, h2!")
    with httpx.Client(verify=ssl.create_default_context(cafile=str(pki.ca_cert)),
                      timeout=5) as client:
        r = client.get(f"{url}/")
    assert (r.http_version, r.text) == ("HTTP/1.1", "Hello, World!")

    async def echo() -> object:
        ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
        async with websockets.connect(f"wss://127.0.0.1:{hello_tls}/ws/echo", ssl=ctx) as ws:
            await ws.send("echo me")
            return await ws.recv()

    assert asyncio.run(asyncio.wait_for(echo(), 10)) == "echo me"
