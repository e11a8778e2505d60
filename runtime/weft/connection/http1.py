"""The asyncio adapter for HTTP/1.1: one `Http1Connection` per TCP connection.

How it works:
- `data_received` feeds the sans-IO `Http1Parser` and then `_pump`s: it pulls
  events, buffers request bodies (up to `max_body_bytes`) and dispatches each
  complete request. Dispatch is *eager* (see `weft.connection.eager`): a
  handler that finishes without suspending is answered inline, with no task.
  Every response produced during one `data_received` is joined and written
  with one `transport.write`.
- Requests are served strictly one at a time, in arrival order; pipelined
  requests that arrive while a handler is suspended wait in a queue of at
  most `max_pipeline` entries, and reading pauses while the queue is full.
- Every task the connection starts (a suspended handler, a response stream)
  is a child of its `Nursery`; `connection_lost` cancels them all.
- One timer per connection enforces the current deadline (header, body or
  keep-alive idle). Moving the deadline is an attribute write; the timer
  re-arms itself only when it fires early.
- The connection ticket (membership in `ConnectionContext.connections`) is
  taken in `connection_made` and given back in `connection_lost`, which the
  transport calls on every exit path.
- Malformed input is answered with its 4xx and the connection closes; a
  handler exception is answered with 500 (logged once) and keep-alive goes on.

`data_received` and `_pump` have a C twin (`_native.c`, see `weft.accel`)
that serves the common case (simple requests answered at once) and hands
everything else to these methods; the Python code is its specification.

Protocol switches (see docs/runtime/http2-tls-websocket.md): TLS with ALPN
"h2" hands the socket to an `Http2Connection` in `connection_made`; on a
cleartext port with h2c on, the first bytes are checked for the HTTP/2
preface (only until they decide it: later reads pay nothing); a response
whose stream is a `WsAccept` hands the socket to a WebSocket session. The
new protocol inherits this connection's ticket (`ConnectionContext.hand_over`)
and gives it back when it closes; this object then never touches the
socket again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import AsyncIterable, Callable
from http import HTTPStatus
from types import ModuleType
from typing import Any, Final, cast, final

from weft.accel import native_module
from weft.connection.context import ConnectionContext, ServedConnection, ServerStats
from weft.connection.eager import Resumed, Suspended, start
from weft.connection.handoff import WsAccept
from weft.connection.http2 import Http2Connection, is_h2_preface
from weft.connection.nursery import Nursery
from weft.connection.websocket import upgrade
from weft.http_types import Request, Response
from weft.protocols.http1 import (
    CONTINUE_100,
    END_OF_MESSAGE,
    LAST_CHUNK,
    NEED_DATA,
    PAUSED,
    Data,
    Http1Parser,
    ParseError,
    RequestReceived,
    State,
    encode_chunk,
    no_body_status,
)
from weft.protocols.http1 import parser as http1_parser
from weft.transport.tls import ALPN_H2, PEER_CERT_KEY, PeerCert, peer_certificate_info

logger: Final = logging.getLogger("weft")

_NO_DEADLINE: Final = 0
_IDLE: Final = 1
_HEADER: Final = 2
_BODY: Final = 3

_PAUSE_PIPELINE: Final = 1
_PAUSE_WRITES: Final = 2
_PAUSE_UPGRADE: Final = 4

_HEAD_STATE: Final = State.HEAD


def problem_response(status: int, detail: str | None = None) -> Response:
    """An RFC 9457 problem+json response (the connection's own errors)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    doc: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        doc["detail"] = detail
    return Response(status, [("content-type", "application/problem+json")],
                    json.dumps(doc, separators=(",", ":")).encode())


_OVERLOADED_BODY: Final = (b'{"type":"about:blank","title":"Service Unavailable","status":503,'
                           b'"detail":"too many connections"}')
_OVERLOADED: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n"
    b"connection: close\r\nretry-after: 1\r\ncontent-length: %d\r\n\r\n%b"
    % (len(_OVERLOADED_BODY), _OVERLOADED_BODY))


@final
class Http1Connection(asyncio.Protocol):
    """One HTTP/1.1 connection (see the module docstring)."""

    __slots__ = ("_busy", "_close_after", "_closing", "_continue_pending", "_ctx",
                 "_cur_ka", "_cur_req", "_deadline", "_deadline_kind", "_drain", "_eager", "_encode", "_held",
                 "_https", "_in_flight", "_keepalive", "_loop", "_max_pipeline", "_nursery", "_out", "_parser", "_parts",
                 "_peer", "_peer_cert", "_queue", "_read_paused", "_receiving", "_service",
                 "_sniff", "_stats", "_successor", "_timer", "_timer_at", "_transport",
                 "_write_paused")

    def __init__(self, ctx: ConnectionContext) -> None:
        self._ctx = ctx
        self._service = ctx.service
        #: the service's optional `eager(request)`: a finished Response or an
        #: awaitable, so a handler that never suspends costs no service coroutine
        self._eager: Callable[[Request], Any] | None = getattr(ctx.service, "eager", None)
        self._stats = ctx.stats
        self._loop = ctx.loop
        self._parser = Http1Parser(ctx.limits)
        self._keepalive = ctx.limits.keepalive_timeout
        self._encode = ctx.serializer.encode
        self._max_pipeline = ctx.limits.max_pipeline
        self._transport: asyncio.Transport | None = None
        self._peer: Any = None
        self._nursery: Nursery | None = None
        self._queue: deque[tuple[Request | ParseError, bool]] | None = None
        self._out: list[bytes] = []
        self._busy = False            # a handler task or a response stream is running
        self._in_flight = 0           # counted in stats.requests_in_flight
        self._cur_req: Request | None = None
        self._cur_ka = True
        self._receiving: RequestReceived | None = None
        self._parts: list[bytes] | None = None
        self._continue_pending = False
        self._close_after = False     # finish the current response, then close
        self._closing = True          # until connection_made
        self._read_paused = 0
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._deadline = 0.0
        self._deadline_kind = _NO_DEADLINE
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        #: bytes held while deciding between HTTP/2 preface and HTTP/1.1;
        #: None once decided (or when h2c is off)
        self._sniff: bytes | None = None
        self._https = False
        self._peer_cert: PeerCert | None = None
        #: an upgrade request's handler is suspended: parse nothing after it
        self._held = False
        #: the protocol that took this connection's socket (and ticket) over
        self._successor: ServedConnection | None = None

    # ------------------------------------------------------------- lifecycle

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses but have its API.
        transport = cast(asyncio.Transport, transport)
        if not self._ctx.acquire(self):
            transport.write(_OVERLOADED)
            transport.close()
            return
        self._transport = transport
        self._closing = False
        self._peer = transport.get_extra_info("peername")
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            if ssl_object.selected_alpn_protocol() == ALPN_H2:
                self._switch_to_h2(transport, b"")
                return
            self._https = True
            self._peer_cert = peer_certificate_info(ssl_object)
        elif self._ctx.h2c:
            self._sniff = b""
        # Accepted by the kernel just before shutdown phase 1 closed the
        # listener: serve what it sends, once, then close (no 503, no reset).
        self._close_after = not self._ctx.accepting
        self._arm(_IDLE)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._transport = None
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        if self._nursery is not None:
            self._nursery.cancel()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.cancel()
        if self._in_flight:
            self._stats.requests_in_flight -= self._in_flight
            self._in_flight = 0
        self._queue = None
        self._parts = None
        self._out.clear()
        self._ctx.release(self)

    def eof_received(self) -> bool:
        # A client that stops sending has gone away (half-closing HTTP/1.1
        # clients are vanishingly rare, while abandoning ones are common):
        # let the transport close, which cancels the nursery.
        return False

    def begin_shutdown(self) -> None:
        """Phase 1 of server shutdown: close now if idle, else after the
        current response (which will carry `connection: close`)."""
        self._close_after = True
        if (not self._closing and not self._busy and not self._queue
                and not self._parser.mid_message):
            self._close()

    def abort(self) -> None:
        """Phase 2 of server shutdown: cancel every child and drop the socket."""
        if self._nursery is not None:
            self._nursery.cancel()
        transport = self._transport
        if transport is not None:
            self._closing = True
            transport.abort()

    @property
    def nursery(self) -> Nursery:
        if self._nursery is None:
            self._nursery = Nursery(self._loop)
        return self._nursery

    @property
    def idle(self) -> bool:
        """No request in progress: nothing running, queued or half-received."""
        return not self._busy and not self._queue and not self._parser.mid_message

    # ----------------------------------------------------------------- input

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if self._sniff is not None:
            data = self._sniffed(data)
            if not data:
                return
        self._stats.bytes_in += len(data)
        self._parser.feed(data)
        self._pump()

    def _pump(self) -> None:
        """Dispatch queued requests and parse buffered input until blocked;
        then write what was produced and set the next deadline."""
        parser = self._parser
        next_request = parser.next_request
        max_queue = self._max_pipeline
        while not self._closing:
            queue = self._queue
            if queue:
                if not self._busy:
                    item, keep_alive = queue.popleft()
                    if type(item) is ParseError:
                        self._send_error(item.status, item.reason)
                    else:
                        self._dispatch(item, keep_alive)
                    continue
                if len(queue) >= max_queue:
                    self._pause_reading(_PAUSE_PIPELINE)
                    break
            if self._held:
                break
            if not self._busy:
                # The common case in one call: a complete, simple request.
                simple = next_request()
                if simple is NEED_DATA:
                    break
                if simple is not None:
                    self._dispatch(simple, True)  # type: ignore[arg-type]
                    if parser.drained:
                        break  # nothing buffered: asking again would say NEED_DATA
                    continue
            event = parser.next_event()
            kind = type(event)
            if kind is RequestReceived:
                if event.complete:  # type: ignore[union-attr]
                    self._submit(event.request, event.keep_alive)  # type: ignore[union-attr]
                else:
                    self._receiving = event  # type: ignore[assignment]
                    self._parts = []
                    if event.expect_continue:  # type: ignore[union-attr]
                        self._continue_pending = parser.buffered == 0
            elif kind is Data:
                self._parts.append(event.data)  # type: ignore[union-attr]
                self._continue_pending = False
            elif event is END_OF_MESSAGE:
                received = self._receiving
                parts = self._parts
                assert received is not None and parts is not None
                self._receiving = self._parts = None
                request = received.request
                request.body = parts[0] if len(parts) == 1 else b"".join(parts)
                self._submit(request, received.keep_alive)
            elif event is NEED_DATA or event is PAUSED:
                break
            else:
                assert kind is ParseError
                self._receiving = self._parts = None
                self._continue_pending = False
                self._submit(event, False)  # type: ignore[arg-type]
        if self._read_paused & _PAUSE_PIPELINE and not self._closing:
            queue = self._queue
            if not queue or len(queue) < max_queue:
                self._resume_reading(_PAUSE_PIPELINE)
        if self._continue_pending and not self._busy and not self._queue:
            self._continue_pending = False
            self._out.append(CONTINUE_100)
        out = self._out
        if out:
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            transport = self._transport
            if transport is not None:
                self._stats.bytes_out += len(data)
                transport.write(data)
        if (not self._busy and not self._closing and not self._queue
                and (parser.drained or not parser.mid_message)):
            # the common case: idle again, keep-alive deadline from now
            deadline = self._deadline = self._loop.time() + self._keepalive
            self._deadline_kind = _IDLE
            if self._timer is None or deadline < self._timer_at:
                self._arm(_IDLE)
        else:
            self._update_deadline()

    def _submit(self, item: Request | ParseError, keep_alive: bool) -> None:
        if self._busy or self._queue:
            queue = self._queue
            if queue is None:
                queue = self._queue = deque()
            queue.append((item, keep_alive))
        elif type(item) is ParseError:
            self._send_error(item.status, item.reason)
        else:
            self._dispatch(item, keep_alive)

    # -------------------------------------------------------------- dispatch

    def _dispatch(self, request: Request, keep_alive: bool) -> None:
        self._stats.requests_total += 1
        request.peer = self._peer
        if self._https:
            request.scheme = "https"
            if self._peer_cert is not None:
                request.extensions[PEER_CERT_KEY] = self._peer_cert
        eager = self._eager
        try:
            response = eager(request) if eager is not None else self._service(request)
        except (Exception, asyncio.CancelledError) as exc:
            self._handler_failed(request, keep_alive, exc)
            return
        if type(response) is not Response:
            self._await_response(request, keep_alive, response)
        elif response.stream is None:
            # `_respond`'s common case, inline.
            try:
                data, keep_alive = self._encode(
                    response, request.method == "HEAD", keep_alive and not self._close_after,
                    request.http_version == "1.0")
            except (ValueError, UnicodeEncodeError):
                self._respond(request, response, keep_alive)  # logs it, answers 500
                return
            self._out.append(data)
            if self._in_flight:
                self._request_done()
            if not keep_alive:
                self._close()
        else:
            self._respond(request, response, keep_alive)

    def _await_response(self, request: Request, keep_alive: bool, awaitable: Any) -> None:
        """The service gave an awaitable (Any: whatever it returned): run it
        until it first suspends; answer at once if it finished, else hand it
        to a task in the nursery and hold the connection's later requests."""
        try:
            step, result = start(awaitable)
        except (Exception, asyncio.CancelledError) as exc:
            self._handler_failed(request, keep_alive, exc)
            return
        if type(result) is not Suspended:
            self._respond(request, result, keep_alive)
            return
        self._suspended(request, keep_alive, step, result.value)

    def _suspended(self, request: Request, keep_alive: bool, step: Any, yielded: Any) -> None:
        """The handler suspended at `yielded` (Any: the iterator and whatever
        it awaits): hand it to a task in the nursery and hold the connection's
        later requests until it answers."""
        self._busy = True
        self._cur_req = request
        self._cur_ka = keep_alive
        self._in_flight = 1
        self._stats.requests_in_flight += 1
        if "upgrade" in request.headers:
            # Bytes after an upgrade request may belong to the new protocol.
            self._held = True
            self._pause_reading(_PAUSE_UPGRADE)
        task = self.nursery.start(Resumed(step, yielded))
        task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            if self._closing:
                return
            exc: BaseException | None = asyncio.CancelledError("handler task was cancelled")
        else:
            exc = task.exception()
            if self._closing:
                return
        request = self._cur_req
        assert request is not None
        self._cur_req = None
        self._busy = False
        if self._held:
            self._held = False
            self._resume_reading(_PAUSE_UPGRADE)
        if exc is None:
            self._respond(request, task.result(), self._cur_ka)
        else:
            self._handler_failed(request, self._cur_ka, exc)
        self._pump()

    def _handler_failed(self, request: Request, keep_alive: bool, exc: BaseException) -> None:
        logger.error("unhandled error in handler for %s %s", request.method, request.path,
                     exc_info=exc)
        self._respond(request, problem_response(500), keep_alive)

    # -------------------------------------------------------------- response

    def _respond(self, request: Request, response: Any, keep_alive: bool) -> None:
        if type(response) is not Response:
            logger.error("handler for %s %s returned %r, not a Response",
                         request.method, request.path, response)
            response = problem_response(500)
        if response.stream is not None:
            self._start_stream(request, response, keep_alive)
            return
        try:
            data, keep_alive = self._encode(
                response, request.method == "HEAD", keep_alive and not self._close_after,
                request.http_version == "1.0")
        except (ValueError, UnicodeEncodeError) as exc:
            logger.error("invalid response from handler for %s %s", request.method,
                         request.path, exc_info=exc)
            data, keep_alive = self._ctx.serializer.encode(
                problem_response(500), request.method == "HEAD",
                keep_alive and not self._close_after, request.http_version == "1.0")
        self._out.append(data)
        if self._in_flight:
            self._request_done()
        if not keep_alive:
            self._close()

    def _request_done(self) -> None:
        if self._in_flight:
            self._in_flight = 0
            self._stats.requests_in_flight -= 1

    def _send_error(self, status: int, reason: str) -> None:
        """Answer a protocol error (4xx/5xx) and close."""
        data, _ = self._ctx.serializer.encode(problem_response(status, reason), False, False,
                                              False)
        self._out.append(data)
        self._close()

    def _start_stream(self, request: Request, response: Response, keep_alive: bool) -> None:
        if type(response.stream) is WsAccept:
            self._switch_to_ws(request, response.stream)
            return
        head_only = request.method == "HEAD"
        try:
            head, keep_alive, length = self._ctx.serializer.encode_stream_head(
                response, head_only, keep_alive and not self._close_after,
                request.http_version == "1.0")
        except (ValueError, UnicodeEncodeError) as exc:
            logger.error("invalid response from handler for %s %s", request.method,
                         request.path, exc_info=exc)
            self._respond(request, problem_response(500), keep_alive)
            return
        self._out.append(head)
        self._flush()
        stream = response.stream
        assert stream is not None
        if head_only or no_body_status(response.status):
            self._request_done()
            if not keep_alive:
                self._close()
            return
        self._busy = True
        self._cur_ka = keep_alive
        if not self._in_flight:
            self._in_flight = 1
            self._stats.requests_in_flight += 1
        chunked = length is None and request.http_version != "1.0"
        task = self.nursery.start(self._stream_body(stream, chunked, length))
        task.add_done_callback(self._stream_done)

    async def _stream_body(self, stream: AsyncIterable[bytes], chunked: bool,
                           length: int | None) -> None:
        sent = 0
        stats = self._stats
        try:
            async for chunk in stream:
                if not chunk:
                    continue
                sent += len(chunk)
                if length is not None and sent > length:
                    raise RuntimeError("streamed body is longer than its content-length")
                data = encode_chunk(chunk) if chunked else bytes(chunk)
                transport = self._transport
                if transport is None:
                    return
                stats.bytes_out += len(data)
                transport.write(data)
                if self._write_paused:
                    await self._writable()
            if length is not None and sent != length:
                raise RuntimeError("streamed body is shorter than its content-length")
            if chunked and self._transport is not None:
                stats.bytes_out += len(LAST_CHUNK)
                self._transport.write(LAST_CHUNK)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    def _stream_done(self, task: asyncio.Task[None]) -> None:
        if self._closing:
            if not task.cancelled():
                task.exception()
            return
        self._busy = False
        failed = task.cancelled() or task.exception() is not None
        if failed:
            if not task.cancelled():
                logger.error("response stream failed", exc_info=task.exception())
            # The head is out: the only honest signal left is closing early.
            self._request_done()
            self._close()
            return
        self._request_done()
        if not self._cur_ka or self._close_after:
            self._close()
            return
        self._pump()

    async def _writable(self) -> None:
        if self._write_paused:
            drain = self._drain
            if drain is None:
                drain = self._drain = self._loop.create_future()
            await drain

    # ---------------------------------------------------------------- output

    def _flush(self) -> None:
        out = self._out
        if out:
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            transport = self._transport
            if transport is not None:
                self._stats.bytes_out += len(data)
                transport.write(data)

    def _close(self) -> None:
        if self._closing:
            return
        self._flush()
        self._closing = True
        self._queue = None
        self._deadline_kind = _NO_DEADLINE
        if self._transport is not None:
            self._transport.close()

    def pause_writing(self) -> None:
        self._write_paused = True
        self._pause_reading(_PAUSE_WRITES)

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain
        if drain is not None:
            self._drain = None
            if not drain.done():
                drain.set_result(None)
        self._resume_reading(_PAUSE_WRITES)

    def _pause_reading(self, reason: int) -> None:
        if not self._read_paused and self._transport is not None:
            self._transport.pause_reading()
        self._read_paused |= reason

    def _resume_reading(self, reason: int) -> None:
        if not self._read_paused & reason:
            return
        self._read_paused &= ~reason
        if not self._read_paused and self._transport is not None and not self._closing:
            self._transport.resume_reading()

    # ------------------------------------------------------------- deadlines

    def _update_deadline(self) -> None:
        if self._closing:
            return
        if self._busy or self._queue:
            self._deadline_kind = _NO_DEADLINE
        elif self._parser.mid_message:
            self._arm(_HEADER if self._parser.state is _HEAD_STATE else _BODY)
        else:
            self._arm(_IDLE)

    def _arm(self, kind: int) -> None:
        if kind == _HEADER and self._deadline_kind == _HEADER:
            return  # the head deadline runs from the head's first byte
        limits = self._ctx.limits
        delay = (limits.keepalive_timeout if kind == _IDLE
                 else limits.header_timeout if kind == _HEADER else limits.body_timeout)
        deadline = self._deadline = self._loop.time() + delay
        self._deadline_kind = kind
        timer = self._timer
        if timer is not None and deadline < self._timer_at:
            timer.cancel()  # the timer only ever moves later by itself
            timer = None
        if timer is None:
            self._timer_at = deadline
            self._timer = self._loop.call_at(deadline, self._on_deadline)

    def _on_deadline(self) -> None:
        self._timer = None
        kind = self._deadline_kind
        if self._closing or kind == _NO_DEADLINE:
            return
        if self._loop.time() < self._deadline:
            self._timer_at = self._deadline
            self._timer = self._loop.call_at(self._deadline, self._on_deadline)
            return
        if kind == _IDLE:
            self._close()
        else:
            what = "request head" if kind == _HEADER else "request body"
            self._send_error(408, f"{what} not received in time")


    # ------------------------------------------------------ protocol switches

    def _sniffed(self, data: bytes) -> bytes:
        """h2c prior knowledge: hold the first bytes until they show whether
        they start with the HTTP/2 preface; return what HTTP/1.1 should parse
        (nothing while undecided or once HTTP/2 took over)."""
        sniff = self._sniff
        held = sniff + data if sniff else data
        verdict = is_h2_preface(held)
        if verdict is None:
            self._sniff = held
            return b""
        self._sniff = None
        if verdict:
            transport = self._transport
            assert transport is not None
            self._switch_to_h2(transport, held)
            return b""
        return held

    def _switch_to_h2(self, transport: asyncio.Transport, initial: bytes) -> None:
        ctx = self._ctx
        h2 = Http2Connection(ctx.service, ctx.http2, stats=ctx.stats,
                             on_close=self._successor_closed)
        self._detach(h2)
        h2.take_over(transport, initial)
        if not ctx.accepting:
            h2.begin_shutdown()  # serves the streams already received, then GOAWAY

    def _switch_to_ws(self, request: Request, accept: WsAccept) -> None:
        transport = self._transport
        assert transport is not None
        if self._queue or self._close_after:
            # Requests pipelined behind a handshake are not HTTP; and no new
            # long-lived session starts while the server shuts down.
            status = 503 if self._close_after else 400
            detail = ("the server is shutting down" if self._close_after
                      else "a WebSocket handshake must be the last request sent")
            self._respond(request, problem_response(status, detail), False)
            return
        self._request_done()
        self._flush()  # responses to earlier pipelined requests go before the 101
        rest = self._parser.detach()
        result = upgrade(transport, request, rest, accept.route,
                         on_close=self._successor_closed)
        if type(result) is Response:
            self._respond(request, result, False)
            return
        self._detach(result)

    def _detach(self, successor: ServedConnection) -> None:
        """`successor` now owns the socket: pass the ticket on, stop the
        deadline timer, and never touch the transport again."""
        self._ctx.hand_over(self, successor)
        self._successor = successor
        transport = self._transport
        if self._read_paused and transport is not None:
            self._read_paused = 0
            transport.resume_reading()
        self._closing = True
        self._transport = None
        self._deadline_kind = _NO_DEADLINE
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        self._queue = None
        self._out.clear()

    def _successor_closed(self) -> None:
        ctx = self._ctx
        if self._successor is not None:
            ctx.release(self._successor)
        ctx.release(self)


#: the pure-Python `data_received` and `_pump`: the specification of the C fast lane
py_data_received: Final = Http1Connection.data_received
py_pump: Final = Http1Connection._pump


def _load_native() -> ModuleType | None:
    """Install the C fast lane (`_native.c`) on the class, if built and not switched off."""
    native = native_module("weft.connection._native")
    if native is None:
        return None
    parser_native = http1_parser.NATIVE
    next_request = parser_native.next_request if parser_native is not None \
        else http1_parser.py_next_request
    native.bind_http1(Http1Connection, Http1Parser, Request, Response, ServerStats,
                      py_data_received, py_pump, next_request, NEED_DATA, State.HEAD,
                      State.CLOSED, State.ERROR, CONTINUE_100, asyncio.CancelledError)
    # setattr: replacing methods on a final class is this module's own choice
    setattr(Http1Connection, "data_received", native.data_received_method)  # noqa: B010
    setattr(Http1Connection, "_pump", native.pump_method)  # noqa: B010
    return native


#: the C fast lane in use, or None when the pure-Python methods serve
NATIVE: Final = _load_native()
