"""Helpers for the HTTP/2 tests: a listener built straight on
`loop.create_server` (the server wiring is the lead's), a port that speaks
HTTP/1.1, h2c prior knowledge and TLS+ALPN at once (the dispatch the lead
will put into the HTTP/1.1 connection), and a raw h2 client."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.settings
from weft.connection.context import ConnectionContext
from weft.connection.http1 import Http1Connection
from weft.connection.http2 import Http2Connection, is_h2_preface, negotiated_h2
from weft.protocols.http1 import Http1Limits
from weft.protocols.http2 import Http2Limits
from weft.types import Service


@dataclass
class Served:
    port: int
    h2: list[Http2Connection] = field(default_factory=list)


class Switch(asyncio.Protocol):
    """Pick HTTP/2 (ALPN "h2" or the cleartext preface) or HTTP/1.1."""

    def __init__(self, service: Service, limits: Http2Limits, ctx: ConnectionContext,
                 served: Served) -> None:
        self._service, self._limits, self._ctx, self._served = service, limits, ctx, served
        self._transport: asyncio.Transport | None = None
        self._buf = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if negotiated_h2(transport):
            self._h2(b"")

    def _h2(self, data: bytes) -> None:
        assert self._transport is not None
        conn = Http2Connection(self._service, self._limits)
        self._served.h2.append(conn)
        conn.take_over(self._transport, data)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buf += data
        verdict = is_h2_preface(self._buf)
        if verdict is None:
            return
        if verdict:
            self._h2(self._buf)
            return
        h1 = Http1Connection(self._ctx)
        self._transport.set_protocol(h1)
        h1.connection_made(self._transport)
        h1.data_received(self._buf)


@contextlib.asynccontextmanager
async def serve(service: Service, limits: Http2Limits | None = None,
                ssl_ctx: ssl.SSLContext | None = None, *, mixed: bool = False
                ) -> AsyncIterator[Served]:
    loop = asyncio.get_running_loop()
    limits = limits if limits is not None else Http2Limits()
    served = Served(0)
    ctx = ConnectionContext(service, Http1Limits(), loop, 1000)
    factory: Callable[[], asyncio.Protocol]
    if mixed:
        def factory() -> asyncio.Protocol:
            return Switch(service, limits, ctx, served)
    else:
        def factory() -> asyncio.Protocol:
            conn = Http2Connection(service, limits)
            served.h2.append(conn)
            return conn
    server = await loop.create_server(factory, "127.0.0.1", 0, ssl=ssl_ctx)
    served.port = server.sockets[0].getsockname()[1]
    try:
        yield served
    finally:
        server.close()
        for conn in served.h2:
            conn.abort()
        for h1 in list(ctx.connections):
            h1.abort()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2.0)


class RawClient:
    """h2's client side over a real socket, for frame-level tests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 settings: dict[h2.settings.SettingCodes, int] | None = None) -> None:
        self.reader, self.writer = reader, writer
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8"))
        if settings:
            self.conn.local_settings = h2.settings.Settings(client=True, initial_values=settings)
        self.conn.initiate_connection()
        self.events: list[h2.events.Event] = []
        self.closed = False

    @classmethod
    async def connect(cls, port: int, settings: dict[h2.settings.SettingCodes, int] | None = None
                      ) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer, settings)
        client.flush()
        return client

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.writer.write(data)

    def write_raw(self, data: bytes) -> None:
        self.writer.write(data)

    async def pump(self, until: Callable[[list[h2.events.Event]], bool],
                   timeout: float = 5.0) -> list[h2.events.Event]:
        """Read and process until `until(self.events)` holds (or EOF)."""
        async def loop() -> None:
            while not until(self.events):
                data = await self.reader.read(65536)
                if not data:
                    self.closed = True
                    return
                self.events.extend(self.conn.receive_data(data))
                self.flush()
        await asyncio.wait_for(loop(), timeout)
        return self.events

    def get(self, path: str, stream_id: int | None = None, end: bool = True,
            extra: list[tuple[str, str]] | None = None, method: str = "GET") -> int:
        sid = stream_id if stream_id is not None else self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", method), (":path", path), (":scheme", "http"),
                                     (":authority", "127.0.0.1"), *(extra or [])],
                               end_stream=end)
        self.flush()
        return sid

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 2.0)


def ended(sid: int) -> Callable[[list[h2.events.Event]], bool]:
    return lambda evs: any(isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
                           and e.stream_id == sid for e in evs)


def goaway(evs: list[h2.events.Event]) -> bool:
    return any(isinstance(e, h2.events.ConnectionTerminated) for e in evs)


def body_of(evs: list[h2.events.Event], sid: int) -> bytes:
    return b"".join(e.data for e in evs
                    if isinstance(e, h2.events.DataReceived) and e.stream_id == sid)


def headers(ev: h2.events.ResponseReceived | h2.events.TrailersReceived) -> list[tuple[str, str]]:
    """Header fields as text (the client decodes them: header_encoding="utf-8")."""
    return [(str(k), str(v)) for k, v in ev.headers or ()]


def status_of(evs: list[h2.events.Event], sid: int) -> int | None:
    for e in evs:
        if isinstance(e, h2.events.ResponseReceived) and e.stream_id == sid:
            return int(dict(headers(e))[":status"])
    return None
