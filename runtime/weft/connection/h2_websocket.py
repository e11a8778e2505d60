"""WebSocket over HTTP/2 (RFC 8441): one WebSocket per extended-CONNECT stream.

How it works:
- `H2Core` advertises SETTINGS_ENABLE_CONNECT_PROTOCOL=1 and reports a
  HEADERS block with `:protocol` as `TunnelRequested`. `Http2Connection`
  hands it to `H2WebSockets.open`, created on the first such stream, so a
  connection that never opens one pays nothing.
- The stream becomes a `GET` `Request` (`http_version="2"`) marked with
  `TUNNEL_PROTOCOL_KEY`, and goes through the connection's service like any
  request: the `Router.ws` route, its captures and every layer (auth, rate
  limits, tracing) see it. Its endpoint answers `101` with a `WsAccept`
  stream; we answer the client `:status 200` instead (with the negotiated
  subprotocol and extensions) and run the route's handler with a
  `WsSession`, exactly as after an HTTP/1.1 upgrade. Any other answer is sent
  as is; a 2xx that is not a WebSocket acceptance becomes 404, because on a
  CONNECT stream a 2xx would mean "tunnel open".
- `H2StreamTransport` is the `asyncio.Transport` that `WsProtocol` writes
  to. Its bytes go into the stream's outbox in `Http2Connection`, so they
  leave as DATA frames only as far as the HTTP/2 send windows allow; while
  more than the connection's high-water mark waits, the session's sends wait
  (`pause_writing`), so a client that does not open its window slows its
  handler. Reading pauses by pausing the whole socket (HTTP/2 acknowledges
  received data at once, so that is what bounds memory).
- Closing: the WebSocket close handshake happens inside the DATA; then the
  server ends the stream (END_STREAM), and a client that has not ended its
  side yet gets RST_STREAM(NO_ERROR). A client END_STREAM before the close
  handshake, a client RST_STREAM, or the connection's loss is an abnormal
  closure: the handler's `recv()` raises `WsClosed(1006)` and its task is
  cancelled. `abort()`, and an END_STREAM that a closed window still holds
  back `close_timeout` after the close, reset the stream with CANCEL. Server
  shutdown closes each session with 1001 before the connection's GOAWAY
  lets the connection close.

This module rides on `Http2Connection`'s stream machinery (its `_Stream`
outbox, `_pump`, `_respond`, `_flush`): one implementation of flow control
for responses and tunnels.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Final, final

from weft.connection.handoff import WsAccept
from weft.connection.http2 import Http2Connection, _Stream
from weft.connection.websocket import WsProtocol, WsSession
from weft.errors import problem
from weft.http_types import Headers, Request, Response
from weft.protocols.http2.events import TunnelRequested
from weft.protocols.websocket import WsConfig, WsCore, check_upgrade
from weft.protocols.websocket.handshake import TUNNEL_PROTOCOL_KEY
from weft.transport.tls import PEER_CERT_KEY

__all__ = ["H2StreamTransport", "H2WebSockets"]

logger: Final = logging.getLogger("weft")

_HIGH_WATER: Final = 64 * 1024
_CANCEL: Final = 0x8
#: bytes a client may send on a stream before its 200 (RFC 8441 clients wait)
_EARLY_DATA_LIMIT: Final = 64 * 1024
#: for answering a `:protocol` other than websocket (no route's config applies)
_DEFAULT_CONFIG: Final = WsConfig()


@final
class H2StreamTransport(asyncio.Transport):
    """One HTTP/2 stream, seen by `WsProtocol` as its transport."""

    def __init__(self, tunnels: H2WebSockets, sid: int, stream: _Stream,
                 proto: WsProtocol, linger: float) -> None:
        super().__init__()
        self._tunnels = tunnels
        self._sid = sid
        self._stream = stream
        self._proto = proto
        self._linger = linger
        self._closing = False
        self._lost = False
        self._read_paused = False
        self._write_paused = False

    # ------------------------------------------------------------ output

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing or not data:
            return
        conn = self._tunnels.conn
        stream = self._stream
        conn._queue(stream, bytes(data))
        conn._pump(self._sid, stream)
        conn._flush()
        if stream.queued > _HIGH_WATER and not self._write_paused and not self._lost:
            self._write_paused = True
            loop = self._tunnels.loop
            room: asyncio.Future[None] = loop.create_future()
            stream.room = room  # resolved by the connection once the outbox drains
            room.add_done_callback(self._room)
            self._proto.pause_writing()

    def _room(self, _: asyncio.Future[None]) -> None:
        if self._write_paused:
            self._write_paused = False
            self._proto.resume_writing()

    def get_write_buffer_size(self) -> int:
        return self._stream.queued

    def can_write_eof(self) -> bool:
        return False

    def close(self) -> None:
        """End our side (END_STREAM once the outbox has drained)."""
        if self._closing:
            return
        self._closing = True
        conn = self._tunnels.conn
        stream = self._stream
        if conn._streams.get(self._sid) is stream:
            stream.end_queued = True
            conn._pump(self._sid, stream)
            conn._flush()
            conn._after_stream()
            if not stream.end_sent:  # a closed window holds the rest back
                self._tunnels.loop.call_later(self._linger, self._expire)
        self._release()

    def _expire(self) -> None:
        """The client never took the rest of the stream: reset it."""
        conn = self._tunnels.conn
        stream = self._stream
        if conn._core is not None and conn._streams.get(self._sid) is stream \
                and not stream.end_sent:
            conn._core.reset(self._sid, _CANCEL)
            conn._drop(self._sid)
            conn._flush()
            conn._after_stream()

    def abort(self) -> None:
        conn = self._tunnels.conn
        self._closing = True
        core = conn._core
        if core is not None and conn._streams.get(self._sid) is self._stream:
            core.reset(self._sid, _CANCEL)
            conn._drop(self._sid)
            conn._flush()
            conn._after_stream()
        self._release()

    def is_closing(self) -> bool:
        return self._closing

    # ------------------------------------------------------------- input

    def pause_reading(self) -> None:
        if not self._read_paused:
            self._read_paused = True
            self._tunnels.pause_socket()

    def resume_reading(self) -> None:
        if self._read_paused:
            self._read_paused = False
            self._tunnels.resume_socket()

    def is_reading(self) -> bool:
        return not self._read_paused

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        transport = self._tunnels.conn._transport
        if name == "h2_stream_id":
            return self._sid
        return default if transport is None else transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        raise RuntimeError("an HTTP/2 WebSocket stream keeps its protocol")

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._proto

    # --------------------------------------------------------- lifecycle

    def _release(self) -> None:
        """The stream is over for us: tell the protocol once, soon (as an
        asyncio transport would), and give back a paused read."""
        if self._lost:
            return
        self._lost = True
        self.resume_reading()
        self._tunnels.forget(self._sid)
        self._tunnels.loop.call_soon(self._proto.connection_lost, None)

    def lost(self) -> None:
        """The stream or the connection is gone (reset, or socket closed)."""
        self._closing = True
        self._release()


@final
class _Tunnel:
    """A stream between its extended CONNECT and its end."""

    __slots__ = ("early", "ended", "proto", "transport")

    def __init__(self) -> None:
        self.early: list[bytes] | None = []
        self.ended = False
        self.proto: WsProtocol | None = None
        self.transport: H2StreamTransport | None = None


@final
class H2WebSockets:
    """The RFC 8441 streams of one `Http2Connection` (see module docstring)."""

    __slots__ = ("_paused", "_tunnels", "conn", "loop")

    def __init__(self, conn: Http2Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.conn = conn
        self.loop = loop
        self._tunnels: dict[int, _Tunnel] = {}
        self._paused = 0

    def __len__(self) -> int:
        return len(self._tunnels)

    # ---------------------------------------------------------- handshake

    def open(self, ev: TunnelRequested) -> None:
        conn = self.conn
        request = Request("GET", ev.path, ev.raw_query, Headers.from_lowered(ev.headers),
                          http_version="2", scheme=conn._scheme, peer=conn._peer)
        request.extensions[TUNNEL_PROTOCOL_KEY] = ev.protocol
        if conn._peer_cert is not None:
            request.extensions[PEER_CERT_KEY] = conn._peer_cert
        stream = _Stream(request)
        stream.parts = None  # a tunnel has no request body to buffer
        sid = ev.stream_id
        conn._streams[sid] = stream
        conn._stats.requests_total += 1
        conn._stats.requests_in_flight += 1
        if ev.protocol.lower() != "websocket":
            conn._respond(sid, stream, check_upgrade(request, _DEFAULT_CONFIG))  # 501
            return
        self._tunnels[sid] = _Tunnel()
        nursery = conn._nursery
        assert nursery is not None
        task = nursery.start(self._handshake(sid, stream))
        stream.task = task
        task.add_done_callback(functools.partial(self._handshake_done, sid, stream))

    async def _handshake(self, sid: int, stream: _Stream) -> Response:
        return await self.conn._service(stream.request)

    def _handshake_done(self, sid: int, stream: _Stream, task: asyncio.Task[Response]) -> None:
        conn = self.conn
        if stream.task is task:
            stream.task = None
        if conn._closing or conn._streams.get(sid) is not stream:
            if not task.cancelled():
                task.exception()  # retrieved: the stream is gone
            return
        if task.cancelled():
            self._tunnels.pop(sid, None)
            conn._handler_failed(sid, stream, asyncio.CancelledError("handler was cancelled"))
        elif (exc := task.exception()) is not None:
            self._tunnels.pop(sid, None)
            conn._handler_failed(sid, stream, exc)
        else:
            self._answer(sid, stream, task.result())
        conn._flush()
        conn._arm()

    def _answer(self, sid: int, stream: _Stream, response: Any) -> None:
        conn = self.conn
        tunnel = self._tunnels.get(sid)
        if tunnel is None:
            return
        if type(response) is Response and type(response.stream) is WsAccept:
            if self._accept(sid, stream, tunnel, response.stream):
                return
            response = problem(500)
        elif type(response) is Response and 200 <= response.status < 300:
            response = problem(404, detail=f"no WebSocket endpoint at {stream.request.path}")
        self._tunnels.pop(sid, None)
        conn._respond(sid, stream, response)

    def _accept(self, sid: int, stream: _Stream, tunnel: _Tunnel, accept: WsAccept) -> bool:
        conn = self.conn
        core = conn._core
        route = accept.route
        handshake = check_upgrade(stream.request, route.config)
        if type(handshake) is Response or core is None:
            logger.error("WebSocket route %s accepted an invalid handshake", route.path)
            return False
        assert not isinstance(handshake, Response)
        head = [(b":status", b"200")] + [(k.encode("latin-1"), v.encode("latin-1"))
                                          for k, v in handshake.fields]
        if not core.send_headers(sid, head, end_stream=False):
            return True  # the stream went away meanwhile; nothing to answer
        proto = WsProtocol(route.config, WsCore(handshake.extensions), self.loop)
        transport = H2StreamTransport(self, sid, stream, proto, route.config.close_timeout)
        tunnel.proto, tunnel.transport = proto, transport
        proto.connection_made(transport)
        early, tunnel.early = tunnel.early, None
        if early:
            proto.data_received(b"".join(early))
        proto.start(route.handler, WsSession(proto, stream.request, handshake.subprotocol))
        if tunnel.ended:
            self._peer_ended(tunnel)
        return True

    # ------------------------------------------------------ stream events

    def data(self, sid: int, data: bytes) -> None:
        tunnel = self._tunnels.get(sid)
        if tunnel is None:
            return
        if tunnel.proto is not None:
            if not tunnel.ended:
                tunnel.proto.data_received(data)
            return
        early = tunnel.early
        if early is not None:
            early.append(data)
            if sum(map(len, early)) > _EARLY_DATA_LIMIT:
                self._refuse(sid)

    def _refuse(self, sid: int) -> None:
        conn = self.conn
        stream = conn._streams.get(sid)
        self._tunnels.pop(sid, None)
        if stream is not None and conn._core is not None:
            if stream.task is not None:
                stream.task.cancel()
            conn._core.reset(sid, _CANCEL)
            conn._drop(sid)
            conn._after_stream()

    def ended(self, sid: int) -> bool:
        """The client sent END_STREAM; True if `sid` is a tunnel."""
        tunnel = self._tunnels.get(sid)
        if tunnel is None:
            return False
        tunnel.ended = True
        if tunnel.proto is not None:
            self._peer_ended(tunnel)
        return True

    @staticmethod
    def _peer_ended(tunnel: _Tunnel) -> None:
        # Like a TCP FIN: our side ends too; without the close handshake
        # first, the session ends abnormally (1006).
        assert tunnel.transport is not None
        tunnel.transport.close()

    def reset(self, sid: int) -> None:
        """The client reset the stream (the connection already forgot it)."""
        tunnel = self._tunnels.pop(sid, None)
        if tunnel is not None and tunnel.transport is not None:
            tunnel.transport.lost()

    def forget(self, sid: int) -> None:
        self._tunnels.pop(sid, None)

    # ------------------------------------------------------- connection

    def shutdown(self) -> None:
        """Server shutdown: close every session with 1001 (going away)."""
        for tunnel in list(self._tunnels.values()):
            if tunnel.proto is not None:
                tunnel.proto.begin_shutdown()

    def lost(self) -> None:
        """The connection is gone: every session ends abnormally."""
        tunnels = list(self._tunnels.values())
        self._tunnels.clear()
        for tunnel in tunnels:
            if tunnel.transport is not None:
                tunnel.transport.lost()

    def pause_socket(self) -> None:
        self._paused += 1
        transport = self.conn._transport
        if self._paused == 1 and transport is not None:
            transport.pause_reading()

    def resume_socket(self) -> None:
        self._paused -= 1
        transport = self.conn._transport
        if self._paused == 0 and transport is not None and not transport.is_closing():
            transport.resume_reading()

