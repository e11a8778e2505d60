"""A listener that upgrades requests the way the HTTP/1.1 connection will
(parse the head, `WsRoutes.match`, `upgrade`), plus hand-built frames."""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
from collections.abc import AsyncIterator

from weft.connection.websocket import WsRoutes, upgrade
from weft.http_types import Headers, Request, Response


class UpgradeOnly(asyncio.Protocol):
    def __init__(self, routes: WsRoutes) -> None:
        self._routes = routes
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buf += data
        if b"\r\n\r\n" not in self._buf:
            return
        head, rest = self._buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
        pairs = (line.split(":", 1) for line in lines[1:])
        headers = Headers([(k.strip(), v.strip()) for k, v in pairs])
        path, _, query = target.partition("?")
        request = Request(method, path, query or None, headers,
                          http_version=version.removeprefix("HTTP/"))
        route = self._routes.match(request)
        result: object = Response(404, [], b"no such socket") if route is None else upgrade(
            self._transport, request, rest, route)
        if isinstance(result, Response):
            body = result.body
            lines_out = [f"HTTP/1.1 {result.status} X", f"content-length: {len(body)}",
                         "connection: close", *(f"{k}: {v}" for k, v in result.headers)]
            self._transport.write("\r\n".join(lines_out).encode() + b"\r\n\r\n" + body)
            self._transport.close()


@contextlib.asynccontextmanager
async def serve_ws(routes: WsRoutes) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: UpgradeOnly(routes), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2.0)


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True,
          declared: int | None = None) -> bytes:
    """One client frame; `declared` lies about the payload length."""
    length = len(payload) if declared is None else declared
    first = (0x80 if fin else 0) | opcode
    mbit = 0x80 if mask else 0
    if length < 126:
        head = bytes([first, mbit | length])
    elif length < 65536:
        head = bytes([first, mbit | 126]) + struct.pack("!H", length)
    else:
        head = bytes([first, mbit | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


HANDSHAKE = (b"GET %s HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\n"
             b"connection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"sec-websocket-version: 13\r\n\r\n")


class RawWs:
    """A socket that did the handshake and reads server frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, path: bytes = b"/echo") -> RawWs:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HANDSHAKE % path)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101"), head
        assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head   # RFC 6455 §1.3 example
        return cls(reader, writer)

    async def read_frame(self) -> tuple[int, bytes]:
        async def read() -> tuple[int, bytes]:
            b0, b1 = await self.reader.readexactly(2)
            assert not b1 & 0x80, "server frames must not be masked"
            length = b1 & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return b0 & 0x0F, await self.reader.readexactly(length)
        return await asyncio.wait_for(read(), 5)

    async def eof(self) -> bool:
        return await asyncio.wait_for(self.reader.read(1), 5) == b""

    def close(self) -> None:
        self.writer.close()
