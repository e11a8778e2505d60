"""The asyncio adapter for HTTP/2: one `Http2Connection` per connection.

How it works:
- `data_received` feeds the sans-IO `H2Core` and handles its events. A
  stream's request body is buffered (up to `Http2Limits.max_body_bytes`,
  else 413 and RST_STREAM(NO_ERROR)); request trailers land in
  `request.extensions["trailers"]`. A complete request is dispatched to the
  service with eager start (`weft.connection.eager`), exactly as HTTP/1.1
  does, so the same Router, layers and extractors serve both.
- Responses go through a per-stream outbox. `_pump` moves outbox bytes into
  DATA frames only as far as the stream and connection send windows allow,
  and again whenever a WINDOW_UPDATE (or a larger SETTINGS initial window)
  arrives, and stops while the transport's buffer is over its high-water
  mark. A streamed body's task waits (`_Stream.room`) while its outbox holds
  more than `_HIGH_WATER` bytes, so a slow reader holds back the producer.
- Trailers out: a streamed response whose `stream` is a `WithTrailers` ends
  with a HEADERS frame carrying its trailers.
- Every task (a suspended handler, a streamed body) is a child of the
  connection's `Nursery`; a cancelled stream cancels its task and
  `connection_lost` cancels them all.
- Abuse ends in GOAWAY with the core's error code, written before the
  transport closes; other connections are untouched.
- `begin_shutdown()` sends GOAWAY(NO_ERROR) and closes once the open streams
  have finished; `abort()` drops everything.
- An RFC 8441 extended CONNECT (`TunnelRequested`) goes to
  `weft.connection.h2_websocket`, created on a connection's first such
  stream; the hooks below are on paths an ordinary request never takes.

Integration: use it as a protocol factory for a listener that only speaks
HTTP/2, or hand it an accepted connection with `take_over(transport,
initial_data)` (ALPN chose "h2", or cleartext bytes began with the preface:
see `is_h2_preface`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import AsyncIterable, Callable
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Final, cast, final

from weft.connection.context import ServerStats
from weft.connection.eager import Resumed, Suspended, start
from weft.connection.nursery import Nursery
from weft.errors import problem
from weft.http_types import Headers, Request, Response
from weft.protocols.http2 import (
    PREFACE,
    ConnectionEnded,
    H2Core,
    Http2Limits,
    RequestData,
    RequestEnded,
    RequestStarted,
    RequestTrailers,
    StreamCancelled,
    WindowOpened,
    WithTrailers,
)
from weft.protocols.http2.events import TunnelRequested
from weft.transport.tls import ALPN_H2, PEER_CERT_KEY, PeerCert, peer_certificate_info
from weft.types import Service

if TYPE_CHECKING:
    from weft.connection.h2_websocket import H2WebSockets

__all__ = ["Http2Connection", "is_h2_preface", "negotiated_h2"]

logger: Final = logging.getLogger("weft")

_HIGH_WATER: Final = 64 * 1024
_LINGER: Final = 1.0
_NO_ERROR: Final = 0x0
_INTERNAL_ERROR: Final = 0x2
_CANCEL: Final = 0x8
# RFC 9113 §8.2.2: connection-specific fields must not appear in HTTP/2.
_HOP_BY_HOP: Final = frozenset({"connection", "keep-alive", "proxy-connection",
                                "transfer-encoding", "upgrade"})


def is_h2_preface(data: bytes) -> bool | None:
    """True if `data` starts with the HTTP/2 client preface, False if it
    cannot, None if it is a (short) prefix of it and more bytes are needed."""
    if len(data) >= len(PREFACE):
        return data.startswith(PREFACE)
    return None if PREFACE.startswith(data) else False


def negotiated_h2(transport: asyncio.BaseTransport) -> bool:
    """Did the TLS handshake on `transport` choose HTTP/2 via ALPN?"""
    ssl_object = transport.get_extra_info("ssl_object")
    return ssl_object is not None and ssl_object.selected_alpn_protocol() == ALPN_H2


_date_cache: list[Any] = [-1, b""]


def _date() -> bytes:
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache[0] = second
        _date_cache[1] = formatdate(second, usegmt=True).encode("ascii")
    value: bytes = _date_cache[1]
    return value


@final
class _Stream:
    """One request/response exchange."""

    __slots__ = ("body_bytes", "end_queued", "end_sent", "outbox", "parts", "queued",
                 "request", "request_ended", "room", "task", "trailers_out")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.parts: list[bytes] | None = []
        self.body_bytes = 0
        self.request_ended = False
        self.task: asyncio.Task[Any] | None = None
        self.outbox: deque[memoryview] = deque()
        self.queued = 0                 # bytes in `outbox`
        self.end_queued = False         # the body is complete once the outbox drains
        self.end_sent = False
        self.trailers_out: list[tuple[bytes, bytes]] | None = None
        self.room: asyncio.Future[None] | None = None


@final
class Http2Connection(asyncio.Protocol):
    """One HTTP/2 connection (see the module docstring)."""

    __slots__ = ("_closing", "_core", "_limits", "_loop", "_nursery", "_on_close", "_peer",
                 "_peer_cert", "_scheme", "_service", "_stats", "_streams", "_timer",
                 "_transport", "_tunnels", "_write_paused")

    def __init__(self, service: Service, limits: Http2Limits | None = None, *,
                 stats: ServerStats | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        self._service = service
        self._limits = limits if limits is not None else Http2Limits()
        self._stats = stats if stats is not None else ServerStats()
        self._on_close = on_close
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transport: asyncio.Transport | None = None
        self._core: H2Core | None = None
        self._nursery: Nursery | None = None
        self._streams: dict[int, _Stream] = {}
        self._peer: Any = None
        self._peer_cert: PeerCert | None = None
        self._scheme = "http"
        self._timer: asyncio.TimerHandle | None = None
        self._write_paused = False
        self._closing = True
        self._tunnels: H2WebSockets | None = None

    # ------------------------------------------------------------- lifecycle

    def take_over(self, transport: asyncio.BaseTransport, initial_data: bytes = b"") -> None:
        """Adopt a connection another protocol accepted; `initial_data` is
        what that protocol already read (starting with the preface for h2c)."""
        transport.set_protocol(self)
        self.connection_made(transport)
        if initial_data:
            self.data_received(initial_data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._transport = transport
        self._closing = False
        self._peer = transport.get_extra_info("peername")
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self._scheme = "https"
            self._peer_cert = peer_certificate_info(ssl_object)
        self._nursery = Nursery(loop)
        self._core = H2Core(self._limits, loop.time())
        self._flush()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._transport = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._nursery is not None:
            self._nursery.cancel()
        for stream in self._streams.values():
            self._wake(stream)
        if self._streams:
            self._stats.requests_in_flight -= len(self._streams)
            self._streams.clear()
        if self._tunnels is not None:
            self._tunnels.lost()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def begin_shutdown(self) -> None:
        """GOAWAY(NO_ERROR): finish the open streams, refuse new ones, close."""
        core = self._core
        if core is None or self._closing:
            return
        if self._tunnels is not None:
            self._tunnels.shutdown()  # close frames first, so they precede the GOAWAY
        core.drain()
        self._flush()
        if not self._streams:
            self._close()

    def abort(self) -> None:
        """Cancel every child task and drop the connection now."""
        if self._nursery is not None:
            self._nursery.cancel()
        transport = self._transport
        if transport is not None:
            self._closing = True
            transport.abort()

    @property
    def idle(self) -> bool:
        return not self._streams

    @property
    def core(self) -> H2Core:
        if self._core is None:
            raise RuntimeError("Http2Connection has no connection yet")
        return self._core

    # ----------------------------------------------------------------- input

    def data_received(self, data: bytes) -> None:
        core = self._core
        if self._closing or core is None:
            return
        assert self._loop is not None
        self._stats.bytes_in += len(data)
        for ev in core.receive(data, self._loop.time()):
            kind = type(ev)
            if kind is RequestData:
                self._on_data(ev)  # type: ignore[arg-type]
            elif kind is RequestStarted:
                self._on_start(ev)  # type: ignore[arg-type]
            elif kind is RequestEnded:
                self._on_end(ev.stream_id)  # type: ignore[union-attr]
            elif kind is WindowOpened:
                self._on_window(ev.stream_id)  # type: ignore[union-attr]
            elif kind is RequestTrailers:
                stream = self._streams.get(ev.stream_id)  # type: ignore[union-attr]
                if stream is not None:
                    stream.request.extensions["trailers"] = Headers.from_lowered(
                        ev.headers)  # type: ignore[union-attr]
            elif kind is StreamCancelled:
                self._on_cancelled(ev.stream_id)  # type: ignore[union-attr]
            elif kind is ConnectionEnded:
                self._on_ended(ev)  # type: ignore[arg-type]
            elif kind is TunnelRequested:
                self._on_tunnel(ev)  # type: ignore[arg-type]
            if self._closing:
                return
        self._flush()
        self._arm()

    def _on_start(self, ev: RequestStarted) -> None:
        request = Request(ev.method, ev.path, ev.raw_query, Headers.from_lowered(ev.headers),
                          http_version="2", scheme=self._scheme, peer=self._peer)
        if self._peer_cert is not None:
            request.extensions[PEER_CERT_KEY] = self._peer_cert
        self._streams[ev.stream_id] = _Stream(request)
        self._stats.requests_total += 1
        self._stats.requests_in_flight += 1

    def _on_tunnel(self, ev: TunnelRequested) -> None:
        tunnels = self._tunnels
        if tunnels is None:
            from weft.connection.h2_websocket import H2WebSockets
            assert self._loop is not None
            tunnels = self._tunnels = H2WebSockets(self, self._loop)
        tunnels.open(ev)

    def _on_data(self, ev: RequestData) -> None:
        stream = self._streams.get(ev.stream_id)
        if stream is None or stream.parts is None:
            if self._tunnels is not None:
                self._tunnels.data(ev.stream_id, ev.data)
            return
        stream.body_bytes += len(ev.data)
        if stream.body_bytes > self._limits.max_body_bytes:
            stream.parts = None
            self._respond(ev.stream_id, stream, problem(
                413, detail=f"request body exceeds {self._limits.max_body_bytes} bytes"))
            return
        stream.parts.append(ev.data)

    def _on_end(self, sid: int) -> None:
        stream = self._streams.get(sid)
        if stream is None:
            return
        stream.request_ended = True
        parts = stream.parts
        if parts is None:  # already answered (413), or a tunnel
            if self._tunnels is not None and self._tunnels.ended(sid):
                return
            if stream.end_sent:
                self._finish(sid, stream)
            return
        stream.parts = None
        stream.request.body = parts[0] if len(parts) == 1 else b"".join(parts)
        self._dispatch(sid, stream)

    def _on_cancelled(self, sid: int) -> None:
        stream = self._streams.pop(sid, None)
        if stream is None:
            return
        self._stats.requests_in_flight -= 1
        if stream.task is not None:
            stream.task.cancel()
        self._wake(stream)
        if self._tunnels is not None:
            self._tunnels.reset(sid)
        self._after_stream()

    def _on_window(self, sid: int) -> None:
        if sid:
            stream = self._streams.get(sid)
            if stream is not None:
                self._pump(sid, stream)
        else:
            for stream_id, stream in list(self._streams.items()):
                if stream.outbox or stream.end_queued:
                    self._pump(stream_id, stream)

    def _on_ended(self, ev: ConnectionEnded) -> None:
        if ev.error_code and not ev.by_peer:
            logger.info("HTTP/2 connection from %s closed: %s (error %#x)", self._peer,
                        ev.reason, ev.error_code)
        if ev.error_code or not ev.by_peer:
            self._close()
        elif not self._streams:
            self._close()

    # -------------------------------------------------------------- dispatch

    def _dispatch(self, sid: int, stream: _Stream) -> None:
        request = stream.request
        step: Any
        try:
            step, result = start(self._service(request))
        except (Exception, asyncio.CancelledError) as exc:
            self._handler_failed(sid, stream, exc)
            return
        if type(result) is not Suspended:
            self._respond(sid, stream, result)
            return
        yielded = result.value
        assert self._nursery is not None
        task = self._nursery.start(Resumed(step, yielded))
        stream.task = task
        task.add_done_callback(functools.partial(self._handler_done, sid, stream))

    def _handler_done(self, sid: int, stream: _Stream, task: asyncio.Task[Any]) -> None:
        stream.task = None
        if self._closing or self._streams.get(sid) is not stream:
            if not task.cancelled():
                task.exception()  # retrieved: the stream is gone, nobody waits
            return
        if task.cancelled():
            self._handler_failed(sid, stream, asyncio.CancelledError("handler was cancelled"))
        elif task.exception() is not None:
            self._handler_failed(sid, stream, cast(BaseException, task.exception()))
        else:
            self._respond(sid, stream, task.result())
        self._flush()
        self._arm()

    def _handler_failed(self, sid: int, stream: _Stream, exc: BaseException) -> None:
        request = stream.request
        logger.error("unhandled error in handler for %s %s", request.method, request.path,
                     exc_info=exc)
        self._respond(sid, stream, problem(500))

    # -------------------------------------------------------------- response

    def _head(self, response: Response, length: int | None) -> list[tuple[bytes, bytes]]:
        head = [(b":status", b"%d" % response.status)]
        has_date = has_length = False
        for name, value in response.headers:
            name = name.lower()
            if name in _HOP_BY_HOP:
                continue
            if name == "date":
                has_date = True
            elif name == "content-length":
                has_length = True
            head.append((name.encode("latin-1"), value.encode("latin-1")))
        if not has_date:
            head.append((b"date", _date()))
        if length is not None and not has_length:
            head.append((b"content-length", b"%d" % length))
        return head

    def _respond(self, sid: int, stream: _Stream, response: Any) -> None:
        core = self._core
        if core is None or self._closing:
            return
        request = stream.request
        if type(response) is not Response:
            logger.error("handler for %s %s returned %r, not a Response",
                         request.method, request.path, response)
            response = problem(500)
        body_stream = response.stream
        no_body = (request.method == "HEAD" or response.status in (204, 304)
                   or response.status < 200)
        length = None if body_stream is not None else len(response.body)
        try:
            head = self._head(response, None if response.status in (204, 304) else length)
            sent = core.send_headers(sid, head, end_stream=no_body or (
                body_stream is None and not response.body))
        except (ValueError, UnicodeEncodeError) as exc:
            logger.error("invalid response from handler for %s %s", request.method,
                         request.path, exc_info=exc)
            fallback = problem(500)
            sent = core.send_headers(sid, self._head(fallback, len(fallback.body)), False)
            response, body_stream, no_body = fallback, None, False
        if not sent:
            return
        if no_body or (body_stream is None and not response.body):
            if body_stream is not None:
                self._close_stream_quietly(body_stream)
            stream.end_sent = True
            self._finish(sid, stream)
            return
        if body_stream is None:
            self._queue(stream, response.body)
            stream.end_queued = True
            self._pump(sid, stream)
            return
        assert self._nursery is not None
        task = self._nursery.start(self._send_stream(sid, stream, body_stream))
        stream.task = task
        task.add_done_callback(functools.partial(self._stream_done, sid, stream))

    def _close_stream_quietly(self, body: AsyncIterable[bytes]) -> None:
        aclose = getattr(body, "aclose", None)
        if aclose is not None and self._nursery is not None and not self._nursery.closed:
            self._nursery.start(aclose())

    async def _send_stream(self, sid: int, stream: _Stream, body: AsyncIterable[bytes]) -> None:
        try:
            async for chunk in body:
                if not chunk:
                    continue
                if self._streams.get(sid) is not stream:
                    return
                self._queue(stream, bytes(chunk))
                self._pump(sid, stream)
                self._flush()
                while stream.queued > _HIGH_WATER and self._streams.get(sid) is stream:
                    await self._room(stream)
            if isinstance(body, WithTrailers):
                trailers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                            for k, v in body.trailers()]
                stream.trailers_out = trailers or None
            stream.end_queued = True
            self._pump(sid, stream)
            self._flush()
            self._arm()
        finally:
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()

    def _stream_done(self, sid: int, stream: _Stream, task: asyncio.Task[None]) -> None:
        if stream.task is task:
            stream.task = None
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None or self._closing:
            return
        logger.error("response stream failed", exc_info=exc)
        if self._streams.get(sid) is stream and self._core is not None:
            # The head is out: the honest signal left is resetting the stream.
            self._core.reset(sid, _INTERNAL_ERROR)
            self._drop(sid)
            self._flush()
            self._after_stream()

    async def _room(self, stream: _Stream) -> None:
        assert self._loop is not None
        waiter = stream.room
        if waiter is None or waiter.done():
            waiter = stream.room = self._loop.create_future()
        await waiter

    @staticmethod
    def _wake(stream: _Stream) -> None:
        waiter = stream.room
        if waiter is not None:
            stream.room = None
            if not waiter.done():
                waiter.set_result(None)

    @staticmethod
    def _queue(stream: _Stream, data: bytes) -> None:
        if data:
            stream.outbox.append(memoryview(data))
            stream.queued += len(data)

    def _pump(self, sid: int, stream: _Stream) -> None:
        """Send what the windows allow; END_STREAM (or trailers) once done."""
        core = self._core
        if core is None or self._write_paused or stream.end_sent:
            return
        outbox = stream.outbox
        while outbox:
            chunk = outbox[0]
            last = stream.end_queued and len(outbox) == 1 and stream.trailers_out is None
            sent = core.send_data(sid, chunk, last)
            if sent < 0:
                self._drop(sid)
                return
            stream.queued -= sent
            if sent < len(chunk):
                outbox[0] = chunk[sent:]
                break
            outbox.popleft()
            if last:
                stream.end_sent = True
        if stream.queued <= _HIGH_WATER:
            self._wake(stream)
        if not outbox and stream.end_queued and not stream.end_sent:
            if stream.trailers_out is not None:
                try:
                    core.send_headers(sid, stream.trailers_out, end_stream=True, trailers=True)
                except ValueError as exc:
                    logger.error("invalid response trailers", exc_info=exc)
                    core.reset(sid, _INTERNAL_ERROR)
                    self._drop(sid)
                    return
            else:
                core.send_data(sid, b"", True)
            stream.end_sent = True
        if stream.end_sent:
            self._finish(sid, stream)

    def _finish(self, sid: int, stream: _Stream) -> None:
        """The response is out. A request still uploading is told to stop."""
        core = self._core
        if core is None or self._streams.get(sid) is not stream:
            return
        if not stream.request_ended:
            core.reset(sid, _NO_ERROR)
        else:
            core.stream_finished(sid)
        self._drop(sid)
        self._after_stream()

    def _drop(self, sid: int) -> None:
        stream = self._streams.pop(sid, None)
        if stream is not None:
            self._stats.requests_in_flight -= 1
            self._wake(stream)
            if self._core is not None:
                self._core.stream_finished(sid)

    def _after_stream(self) -> None:
        core = self._core
        if not self._streams and core is not None and (core.draining or core.closed):
            self._flush()
            self._close()

    # ---------------------------------------------------------------- output

    def _flush(self) -> None:
        core = self._core
        transport = self._transport
        if core is None or transport is None:
            return
        data = core.data_to_send()
        if data:
            self._stats.bytes_out += len(data)
            transport.write(data)

    def _close(self) -> None:
        """Flush (the GOAWAY), then half-close and discard input for up to
        `_LINGER` seconds: closing with unread input makes the kernel send a
        TCP reset, which can destroy the GOAWAY before the peer reads it."""
        if self._closing:
            return
        self._flush()
        self._closing = True
        if self._nursery is not None:
            self._nursery.cancel()
        transport = self._transport
        if transport is None:
            return
        if transport.can_write_eof():
            transport.write_eof()
            assert self._loop is not None
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_later(_LINGER, transport.close)
        else:
            transport.close()

    def eof_received(self) -> bool:
        """The peer half-closed: finish open streams (as if draining), else close."""
        if self._closing or not self._streams or self._core is None:
            return False
        self._core.drain()
        self._flush()
        return True

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        for sid, stream in list(self._streams.items()):
            if stream.outbox or stream.end_queued:
                self._pump(sid, stream)
        self._flush()

    # ------------------------------------------------------------- deadlines

    def _arm(self) -> None:
        core = self._core
        if self._timer is not None or core is None or self._closing:
            return
        deadline = core.next_deadline()
        if deadline is not None:
            assert self._loop is not None
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        core = self._core
        if core is None or self._closing:
            return
        assert self._loop is not None
        ended = core.on_timer(self._loop.time())
        if ended is not None:
            self._on_ended(ended)
            return
        self._arm()
