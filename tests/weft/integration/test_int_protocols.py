"""One port, every protocol: HTTP/1.1, h2c prior knowledge, TLS with ALPN
h2 and http/1.1, each reached by independent clients (curl, httpx, h2load,
openssl s_client, h2's own client side)."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
from h2_support import RawClient, body_of, ended, status_of
from int_support import App, run_tool
from tls_support import Pki
from weft.connection.http1 import Http1Connection
from weft.connection.http2 import Http2Connection
from weft.transport import ClientAuth, TlsConfig

from tests.weft.helpers import RunningServer

T = TypeVar("T")
Serve = Callable[..., tuple[RunningServer, App]]


def run(coro: Coroutine[Any, Any, T], limit: float = 20.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, limit)
    return asyncio.run(bounded())


def tls(pki: Pki, **kw: object) -> TlsConfig:
    return TlsConfig(str(pki.server_cert), str(pki.server_key), **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ cleartext


def test_http11_curl_and_httpx(serve_app: Serve) -> None:
    running, _ = serve_app()
    url = f"http://127.0.0.1:{running.port}"
    out = run_tool("curl", "-sS", "--http1.1", "-i", f"{url}/hello/ann")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/1.1 200") and out.stdout.endswith("hello ann")
    with httpx.Client(timeout=5) as client:
        r = client.get(f"{url}/whoami")
    assert r.http_version == "HTTP/1.1"
    assert r.json() == {"version": "1.1", "scheme": "http", "cn": None}


def test_h2c_prior_knowledge_curl_and_httpx(serve_app: Serve) -> None:
    running, _ = serve_app()
    url = f"http://127.0.0.1:{running.port}"
    out = run_tool("curl", "-sS", "--http2-prior-knowledge", "-i", f"{url}/hello/bo")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/2 200") and out.stdout.endswith("hello bo")
    with httpx.Client(http1=False, http2=True, timeout=5) as client:
        r = client.get(f"{url}/whoami")
    assert r.http_version == "HTTP/2"
    assert r.json() == {"version": "2", "scheme": "http", "cn": None}


def test_h2c_h2load(serve_app: Serve) -> None:
    running, _ = serve_app()
    out = run_tool("h2load", "-n", "200", "-c", "4", "-m", "10",
                   f"http://127.0.0.1:{running.port}/", timeout=60)
    assert out.returncode == 0, out.stderr
    assert "200 succeeded, 0 failed, 0 errored" in out.stdout, out.stdout
    assert "h2" in out.stdout  # "Application protocol: h2c"
    assert running.wait_for(lambda: running.server.connections == 0)
    assert running.sync(lambda: running.stats.connections_open) == 0


def test_preface_split_across_reads_and_http1_starting_like_it(serve_app: Serve) -> None:
    """The preface may trickle in; a request whose first byte matches it
    ("P" of POST) must still be HTTP/1.1."""
    running, _ = serve_app()

    async def h2_trickled() -> tuple[int | None, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        client = RawClient(reader, writer)
        data = client.conn.data_to_send()
        for i in range(0, 30):  # the preface one byte at a time, then the rest
            writer.write(data[i:i + 1])
            await writer.drain()
            await asyncio.sleep(0.002)
        writer.write(data[30:])
        sid = client.get("/hello/trickle")
        events = await client.pump(ended(sid))
        await client.close()
        return status_of(events, sid), body_of(events, sid)

    assert run(h2_trickled()) == (200, b"hello trickle")
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as s:
        s.sendall(b"P")
        s.sendall(b"OST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 405"), reply  # "/" is GET-only: routed as HTTP/1.1


def test_h2c_off_leaves_the_preface_to_http1(serve_app: Serve) -> None:
    running, _ = serve_app(h2c=False)
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 505"), reply


def test_tickets_follow_the_protocol_that_owns_the_socket(serve_app: Serve) -> None:
    running, _ = serve_app()

    async def scenario() -> None:
        client = await RawClient.connect(running.port)
        sid = client.get("/")
        await client.pump(ended(sid))
        kinds = running.sync(lambda: [type(c) for c in running.server._ctx.connections])  # type: ignore[union-attr]
        assert kinds == [Http2Connection]
        assert running.stats.connections_open == 1
        await client.close()

    run(scenario())
    assert running.wait_for(lambda: running.server.connections == 0)
    assert running.stats.connections_open == 0
    with httpx.Client(timeout=5) as client:  # keep-alive: the connection stays open
        assert client.get(f"http://127.0.0.1:{running.port}/").text == "hello"
        kinds = running.sync(lambda: [type(c) for c in running.server._ctx.connections])  # type: ignore[union-attr]
        assert kinds == [Http1Connection]
    assert running.wait_for(lambda: running.server.connections == 0)


# ------------------------------------------------------------------------ TLS


def test_tls_alpn_h2_and_http11_with_curl(serve_app: Serve, pki: Pki) -> None:
    running, _ = serve_app(tls=tls(pki))
    url = f"https://127.0.0.1:{running.port}"
    out = run_tool("curl", "-sS", "--http2", "-k", "-i", f"{url}/hello/tls")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/2 200") and out.stdout.endswith("hello tls")
    out = run_tool("curl", "-sS", "--http1.1", "-k", "-i", f"{url}/whoami")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/1.1 200")
    assert json.loads(out.stdout.split("\n\n", 1)[1]) == {
        "version": "1.1", "scheme": "https", "cn": None}


def test_tls_httpx_http2_and_http1(serve_app: Serve, pki: Pki) -> None:
    running, _ = serve_app(tls=tls(pki))
    url = f"https://127.0.0.1:{running.port}/whoami"
    with httpx.Client(http2=True, verify=False, timeout=5) as client:
        r = client.get(url)
    assert r.http_version == "HTTP/2"
    assert r.json() == {"version": "2", "scheme": "https", "cn": None}
    with httpx.Client(verify=False, timeout=5) as client:
        r = client.get(url)
    assert r.http_version == "HTTP/1.1"
    assert r.json()["scheme"] == "https"


def test_tls_h2load(serve_app: Serve, pki: Pki) -> None:
    running, _ = serve_app(tls=tls(pki))
    out = run_tool("h2load", "-n", "200", "-c", "4", "-m", "10",
                   f"https://127.0.0.1:{running.port}/", timeout=60)
    assert out.returncode == 0, out.stderr
    assert "200 succeeded, 0 failed, 0 errored" in out.stdout, out.stdout
    assert "TLSv1.3" in out.stdout


def test_openssl_s_client_alpn(serve_app: Serve, pki: Pki) -> None:
    running, _ = serve_app(tls=tls(pki))
    where = f"127.0.0.1:{running.port}"
    out = run_tool("openssl", "s_client", "-connect", where, "-alpn", "h2", "-tls1_3")
    assert "ALPN protocol: h2" in out.stdout, out.stdout
    assert "TLSv1.3" in out.stdout
    out = run_tool("openssl", "s_client", "-connect", where, "-alpn", "http/1.1", "-tls1_3")
    assert "ALPN protocol: http/1.1" in out.stdout, out.stdout
    out = run_tool("openssl", "s_client", "-connect", where, "-tls1_2")
    assert "ALPN protocol" not in out.stdout and "Cipher is (NONE)" in out.stdout + out.stderr


def test_client_certificate_reaches_http1_and_h2_handlers(serve_app: Serve, pki: Pki) -> None:
    running, _ = serve_app(tls=tls(pki, client_ca_file=str(pki.ca_cert),
                                   client_auth=ClientAuth.OPTIONAL))
    url = f"https://127.0.0.1:{running.port}/whoami"
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    ctx.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    with httpx.Client(verify=ctx, timeout=5) as client:
        first, second = client.get(url), client.get(url)  # one connection, two requests
    assert first.http_version == "HTTP/1.1"
    assert first.json() == second.json() == {"version": "1.1", "scheme": "https", "cn": "alice"}
    with httpx.Client(verify=ctx, http2=True, timeout=5) as client:
        r = client.get(url)
    assert r.json() == {"version": "2", "scheme": "https", "cn": "alice"}
    anonymous = ssl.create_default_context(cafile=str(pki.ca_cert))
    with httpx.Client(verify=anonymous, timeout=5) as client:
        assert client.get(url).json()["cn"] is None

