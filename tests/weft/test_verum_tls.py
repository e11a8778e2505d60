"""`weft.verum_tls`: Verum's step-by-step TlsConfig and the TLS `WeftTransport`."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from weft.result import Err, Ok
from weft.transport.tls import TlsConfig, TlsConfigError, TlsVersion, build_ssl_context
from weft.verum_tls import TlsTransport, server, with_alpn, with_identity_files, with_min_version

from tests.weft.tls.tls_support import make_pki


def test_server_without_identity_fails_at_start_naming_it() -> None:
    cfg = with_alpn(with_min_version(server(), TlsVersion.TLS1_2), ["h2"])
    assert cfg.min_version is TlsVersion.TLS1_2 and cfg.alpn == ("h2",)
    with pytest.raises(TlsConfigError, match="no identity"):
        build_ssl_context(cfg)


def test_identity_files_make_a_working_context(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    cfg = with_identity_files(server(), str(pki.server_cert), str(pki.server_key))
    assert cfg == TlsConfig(str(pki.server_cert), str(pki.server_key))
    assert isinstance(build_ssl_context(cfg), ssl.SSLContext)


def test_transport_reads_writes_and_closes_over_tls(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    server_ctx = build_ssl_context(with_identity_files(server(), str(pki.server_cert),
                                                       str(pki.server_key)))
    client_ctx = ssl.create_default_context(cafile=str(pki.ca_cert))

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        t = TlsTransport(reader, writer)
        while True:
            got = await t.read(4096)
            assert isinstance(got, Ok)
            if not got.value:
                break
            assert await t.write_all(got.value.upper()) == Ok(None)
        await t.close()

    async def scenario() -> None:
        srv = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_ctx)
        port = srv.sockets[0].getsockname()[1]
        async with srv:
            client = await TlsTransport.connect("127.0.0.1", port, client_ctx)
            assert client.ssl_object.version() == "TLSv1.3"
            assert await client.write_all(b"hello") == Ok(None)
            got = await client.read(100)
            assert got == Ok(b"HELLO")
            assert isinstance(await client.read(0), Err)
            await client.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_transport_refuses_plain_streams() -> None:
    async def scenario() -> None:
        async def noop(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.close()
        srv = await asyncio.start_server(noop, "127.0.0.1", 0)
        async with srv:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", srv.sockets[0].getsockname()[1])
            with pytest.raises(ValueError, match="TLS connection"):
                TlsTransport(reader, writer)
            writer.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))
