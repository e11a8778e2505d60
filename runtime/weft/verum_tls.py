"""Verum's `core.net.tls` builder and `core.net.weft.tls.TlsTransport`.

Verum builds a server configuration in steps: `TlsConfig.server()` has no
identity yet, and `with_identity` adds one. weft's `TlsConfig` is one frozen
value whose certificate and key are file paths, read when the server starts
(`weft.transport.tls.build_ssl_context`). So `server()` here is a
`TlsConfig` with empty paths, each `with_*` returns a changed copy, and a
configuration still without identity fails at start with a `TlsConfigError`
that says so, which is what Verum's own comment on `TlsConfig.server()`
promises.

`TlsTransport` is the `WeftTransport` (read, write all, close) over one TLS
connection's asyncio streams: weft serves HTTP over TLS inside
`weft.server`, so the transport is for programs that speak their own
protocol over TLS. Failures come back as `Err(text)`, as Verum's do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from collections.abc import Iterable
from typing import final

from weft.result import Err, Ok, Result
from weft.transport.tls import TlsConfig, TlsVersion

__all__ = ["TlsTransport", "server", "with_alpn", "with_identity_files", "with_min_version"]


def server() -> TlsConfig:
    """Verum's `TlsConfig.server()`: no identity until `with_identity_files`."""
    return TlsConfig(cert_file="", key_file="")


def with_min_version(cfg: TlsConfig, version: TlsVersion) -> TlsConfig:
    return dataclasses.replace(cfg, min_version=version)


def with_alpn(cfg: TlsConfig, protocols: Iterable[str]) -> TlsConfig:
    return dataclasses.replace(cfg, alpn=tuple(protocols))


def with_identity_files(cfg: TlsConfig, cert_file: str, key_file: str) -> TlsConfig:
    """The certificate chain and its key, as PEM files read when serving starts."""
    return dataclasses.replace(cfg, cert_file=cert_file, key_file=key_file)


@final
class TlsTransport:
    """One TLS connection as a byte duplex (Verum's `WeftTransport`)."""

    __slots__ = ("_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if writer.get_extra_info("ssl_object") is None:
            raise ValueError("TlsTransport needs the streams of a TLS connection")
        self._reader = reader
        self._writer = writer

    @classmethod
    async def connect(cls, host: str, port: int, context: ssl.SSLContext,
                      server_hostname: str | None = None) -> TlsTransport:
        """Open a client connection and finish the handshake."""
        reader, writer = await asyncio.open_connection(
            host, port, ssl=context, server_hostname=server_hostname or host)
        return cls(reader, writer)

    @property
    def ssl_object(self) -> ssl.SSLObject:
        obj: ssl.SSLObject = self._writer.get_extra_info("ssl_object")
        return obj

    async def read(self, max: int) -> Result[bytes, str]:
        """Up to `max` bytes; empty once the peer has closed."""
        if max < 1:
            return Err(f"read size must be at least 1, got {max}")
        try:
            return Ok(await self._reader.read(max))
        except (OSError, ssl.SSLError) as exc:
            return Err(f"TLS read failed: {exc}")

    async def write_all(self, data: bytes) -> Result[None, str]:
        """Every byte of `data`, waiting while the peer reads slowly."""
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (OSError, ssl.SSLError) as exc:
            return Err(f"TLS write failed: {exc}")
        return Ok(None)

    async def close(self) -> None:
        """Send close_notify and close; errors on the way out are the peer's."""
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass
