"""TLS on loopback: versions and ALPN seen by `openssl s_client`, session
resumption, and client certificates reaching handlers (over HTTP/2)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from pathlib import Path

import httpx
from tls_support import make_pki
from weft.http_types import Request, Response
from weft.transport import (
    PEER_CERT_KEY,
    ClientAuth,
    PeerCert,
    TlsConfig,
    TlsVersion,
    build_ssl_context,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "http2"))
from h2_support import serve


def run(coro: object, limit: float = 30.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro, limit)  # type: ignore[arg-type]
    asyncio.run(bounded())


async def whoami(req: Request) -> Response:
    cert = req.extensions.get(PEER_CERT_KEY)
    if not isinstance(cert, PeerCert):
        return Response(200, [], b"anonymous")
    return Response(200, [], f"{cert.common_name}|{','.join(cert.san_uris)}".encode())


async def s_client(port: int, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 15)
    return out.decode(errors="replace")


def test_versions_and_alpn_with_openssl(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    strict = build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key)))
    lenient = build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key),
                                          min_version=TlsVersion.TLS1_2))

    async def main() -> None:
        async with serve(whoami, ssl_ctx=strict, mixed=True) as s:
            out = await s_client(s.port, "-tls1_3", "-alpn", "h2")
            assert "Protocol  : TLSv1.3" in out or "TLSv1.3" in out
            assert "ALPN protocol: h2" in out
            out = await s_client(s.port, "-tls1_3", "-alpn", "http/1.1")
            assert "ALPN protocol: http/1.1" in out
            out = await s_client(s.port, "-tls1_2")
            assert "ALPN protocol" not in out and ("alert" in out or "error" in out.lower())
        async with serve(whoami, ssl_ctx=lenient, mixed=True) as s:
            out = await s_client(s.port, "-tls1_2", "-alpn", "h2")
            assert "TLSv1.2" in out and "ALPN protocol: h2" in out
    run(main())


def _fetch(port: int, ctx: ssl.SSLContext, session: ssl.SSLSession | None
           ) -> tuple[bool, ssl.SSLSession | None]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")
        return bool(tls.session_reused), tls.session


def test_session_resumption(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    ctx = build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key)))

    async def main() -> None:
        client = ssl.create_default_context(cafile=str(pki.ca_cert))
        client.set_alpn_protocols(["http/1.1"])
        async with serve(whoami, ssl_ctx=ctx, mixed=True) as s:
            reused, session = await asyncio.to_thread(_fetch, s.port, client, None)
            assert not reused and session is not None
            reused, _ = await asyncio.to_thread(_fetch, s.port, client, session)
            assert reused
    run(main())


def test_client_certificate_reaches_handler_over_h2(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    optional = build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key),
                                           client_ca_file=str(pki.ca_cert),
                                           client_auth=ClientAuth.OPTIONAL))
    required = build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key),
                                           client_ca_file=str(pki.ca_cert),
                                           client_auth=ClientAuth.REQUIRED))

    def client_ctx(with_cert: bool) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
        if with_cert:
            ctx.load_cert_chain(str(pki.client_cert), str(pki.client_key))
        return ctx

    async def main() -> None:
        async with serve(whoami, ssl_ctx=optional, mixed=True) as s:
            url = f"https://127.0.0.1:{s.port}/"
            async with httpx.AsyncClient(http2=True, verify=client_ctx(True)) as c:
                resp = await c.get(url)
                assert resp.http_version == "HTTP/2"
                assert resp.text == "alice|spiffe://weft.test/user/alice"
            async with httpx.AsyncClient(http2=True, verify=client_ctx(False)) as c:
                assert (await c.get(url)).text == "anonymous"
        async with serve(whoami, ssl_ctx=required, mixed=True) as s:
            url = f"https://127.0.0.1:{s.port}/"
            async with httpx.AsyncClient(http2=True, verify=client_ctx(True)) as c:
                assert (await c.get(url)).text.startswith("alice|")
            failed = False
            try:
                async with httpx.AsyncClient(http2=True, verify=client_ctx(False)) as c:
                    await c.get(url)
            except (httpx.HTTPError, ssl.SSLError):
                failed = True
            assert failed
    run(main())
