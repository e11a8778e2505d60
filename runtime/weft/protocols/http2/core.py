"""`H2Core`: the server side of one HTTP/2 connection (RFC 9113), sans-IO.

How this works:
- `receive(data, now)` checks the client preface, then parses frames in one
  pass: a frame header is one `struct` call, a partial frame waits in
  `_buf` for the rest, and each complete frame goes to its `_on_*` handler.
  The flood limits of `frames` (CONTINUATION count and header-block bytes,
  PING/SETTINGS rate) are checked in the same pass, on the frame header,
  before a payload is buffered. `data_to_send()` returns the frames queued.
- Errors follow RFC 9113 §5.4: a connection error raises `_Fatal` inside
  the parser and becomes GOAWAY with its code (`ConnectionEnded`); a stream
  error sends RST_STREAM, reports `StreamCancelled` if the adapter knew
  the stream, and is charged to the `RapidResetGuard` (the client caused it).
- Stream states follow the table in `streams`; flow control in both
  directions follows §5.2 and §6.9: received DATA is charged to the
  connection and stream receive windows (`flow.ReceiveWindow`, reopened by
  WINDOW_UPDATE as soon as half is used), sent DATA never exceeds the
  stream and connection send windows, and the client's
  SETTINGS_INITIAL_WINDOW_SIZE moves every open stream's window, which may
  go negative.
- Stream admission is ours: SETTINGS advertises `max_concurrent_streams`,
  and a stream beyond it is still HPACK-decoded (the shared table stays in
  sync) and then refused with RST_STREAM(REFUSED_STREAM), which a client
  may retry. Every refusal and stream error, and every client cancellation
  of a stream the adapter still serves, is charged to the guard; an empty
  budget ends the connection with GOAWAY(ENHANCE_YOUR_CALM).
- `drain()` sends GOAWAY(NO_ERROR) with the highest stream seen: streams up
  to it finish, later ones are refused.
- Time arrives as `now`; `next_deadline()` and `on_timer(now)` implement the
  idle and SETTINGS-ack timeouts.
- Header fields are checked by `fields` (one pass), request heads parsed
  by `heads`, and HPACK goes through the memo codecs of `hpack_cache`. A
  request head whose block repeats while the client's table is unchanged
  is not decoded again (`heads.HeadMemo`), and a response head that
  repeats while ours is unchanged is not checked or encoded again.
  SETTINGS_ENABLE_CONNECT_PROTOCOL=1 is advertised; an extended CONNECT
  (RFC 8441, a HEADERS block with `:protocol`) is reported as
  `TunnelRequested` instead of `RequestStarted`. Server push is off.
"""

from __future__ import annotations

from typing import Final, cast, final

from hpack import HPACKError, OversizedHeaderListError

from weft.protocols.http2 import wire
from weft.protocols.http2.events import (
    ConnectionEnded,
    Event,
    RequestData,
    RequestEnded,
    RequestStarted,
    RequestTrailers,
    StreamCancelled,
    TunnelRequested,
    WindowOpened,
)
from weft.protocols.http2.fields import FieldError, request_fields, response_fields
from weft.protocols.http2.flow import ReceiveWindow
from weft.protocols.http2.frames import CONTROL_FLOOD, PREFACE, block_verdict
from weft.protocols.http2.guard import RapidResetGuard, TokenBucket
from weft.protocols.http2.heads import HeadMemo, RequestHead, parse_head, trailer_fields
from weft.protocols.http2.hpack_cache import MemoDecoder, MemoEncoder
from weft.protocols.http2.limits import Http2Limits
from weft.protocols.http2.settings import SettingCode, SettingsError, advertised, parse_settings
from weft.protocols.http2.streams import (
    CLOSED,
    CONNECTION_ERROR,
    ENDED,
    IGNORE,
    ON_CLOSED,
    OPEN,
    RECV_DATA,
    RECV_END,
    RECV_HEADERS,
    REMOTE_CLOSED,
    RESET_RECEIVED,
    RESET_SENT,
    SEND_DATA,
    SEND_END,
    SEND_HEADERS,
    TRANSITIONS,
    ClosedStreams,
    Stream,
)
from weft.protocols.http2.wire import (
    ACK,
    CONTINUATION,
    DATA,
    DEFAULT_WINDOW,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    HEADER,
    HEADERS,
    MAX_WINDOW,
    MIN_MAX_FRAME,
    PADDED,
    PING,
    PRIORITY,
    PRIORITY_FLAG,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
    ErrorCode,
)

Header = tuple[bytes, bytes]

_PROTOCOL: Final = ErrorCode.PROTOCOL_ERROR
_FRAME_SIZE: Final = ErrorCode.FRAME_SIZE_ERROR
_FLOW: Final = ErrorCode.FLOW_CONTROL_ERROR
_STREAM_CLOSED: Final = ErrorCode.STREAM_CLOSED
_CALM: Final = ErrorCode.ENHANCE_YOUR_CALM
# Response heads (plain (name, value) pairs) are checked and HPACK-encoded once
# while the encoder's table stays the same (`MemoEncoder.sync`): at most
# _HEADS_OUT of them, each at most _HEAD_FIELDS fields.
_HEADS_OUT: Final = 16
_HEAD_FIELDS: Final = 32


class _Fatal(Exception):
    """A connection error (RFC 9113 §5.4.1) found while parsing."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@final
class H2Core:
    """See the module docstring. `secure` only sets the default `:scheme`."""

    __slots__ = (
        "_active",
        "_block_count",
        "_block_end",
        "_block_parts",
        "_block_self_dep",
        "_block_sid",
        "_block_size",
        "_blocks_generation",
        "_blocks_out",
        "_buf",
        "_closed",
        "_control",
        "_decoder",
        "_drain_last",
        "_encoder",
        "_ended",
        "_guard",
        "_heads",
        "_highest",
        "_last_activity",
        "_limits",
        "_local_window",
        "_out",
        "_peer_frame",
        "_peer_window",
        "_preface",
        "_recv",
        "_send_window",
        "_settings_deadline",
        "_settings_seen",
        "_streams",
    )

    def __init__(self, limits: Http2Limits, now: float) -> None:
        self._limits = limits
        decoder = MemoDecoder()
        decoder.max_header_list_size = limits.max_header_list_size
        decoder.max_allowed_table_size = limits.hpack_table_size
        self._decoder = decoder
        self._encoder = MemoEncoder()
        self._out: list[bytes] = [wire.settings(advertised(limits))]
        #: the connection receive window; larger than the RFC's default when
        #: the streams' window is, so one stream can use all of its own
        self._recv = ReceiveWindow(DEFAULT_WINDOW)
        target = max(DEFAULT_WINDOW, limits.initial_window_size)
        if target > DEFAULT_WINDOW:
            self._recv.resize(target)
            self._out.append(wire.window_update(0, target - DEFAULT_WINDOW))
        #: receive window of new streams: our setting once the client has
        #: acknowledged it, the RFC's default until then
        self._local_window = DEFAULT_WINDOW
        self._send_window = DEFAULT_WINDOW   # connection send window
        self._peer_window = DEFAULT_WINDOW   # client's SETTINGS_INITIAL_WINDOW_SIZE
        self._peer_frame = MIN_MAX_FRAME     # client's SETTINGS_MAX_FRAME_SIZE
        self._streams: dict[int, Stream] = {}
        self._ended = ClosedStreams()
        #: streams reported to the adapter and not finished yet
        self._active: set[int] = set()
        self._highest = 0
        self._buf = b""
        self._preface = True
        self._settings_seen = False
        # The header block being assembled from HEADERS + CONTINUATION (sid 0: none).
        self._block_sid = 0
        self._block_end = False
        self._block_self_dep = False
        self._block_parts: list[bytes] = []
        self._block_count = 0
        self._block_size = 0
        self._control = TokenBucket(limits.control_frame_rate, limits.control_frame_burst, now)
        self._guard = RapidResetGuard(limits.rapid_reset_rate, limits.rapid_reset_burst, now)
        self._heads = HeadMemo()
        self._blocks_out: dict[tuple[object, ...], bytes] = {}
        self._blocks_generation = -1
        self._closed = False
        self._drain_last: int | None = None
        self._last_activity = now
        self._settings_deadline: float | None = now + limits.settings_ack_timeout

    # ---------------------------------------------------------------- state

    @property
    def closed(self) -> bool:
        """GOAWAY with an error (or the peer's GOAWAY) ended the connection."""
        return self._closed

    @property
    def draining(self) -> bool:
        return self._drain_last is not None

    @property
    def open_streams(self) -> int:
        return len(self._active)

    @property
    def guard(self) -> RapidResetGuard:
        return self._guard

    def is_active(self, stream_id: int) -> bool:
        return stream_id in self._active

    def stream_state(self, stream_id: int) -> int:
        """The stream's state in `streams` terms (CLOSED once it is gone)."""
        stream = self._streams.get(stream_id)
        return CLOSED if stream is None else stream.state

    # ---------------------------------------------------------------- input

    def receive(self, data: bytes, now: float) -> list[Event]:
        """Feed received bytes; returns the events they caused."""
        if self._closed:
            return []
        self._last_activity = now
        if self._buf:
            data = self._buf + data
            self._buf = b""
        events: list[Event] = []
        try:
            pos = self._frames(data, now, events)
        except _Fatal as exc:
            events.append(self.goaway(exc.code, exc.reason))
            return events
        if pos < len(data) and not self._closed:
            self._buf = data[pos:]
        return events

    def _frames(self, data: bytes, now: float, events: list[Event]) -> int:
        """Handle every complete frame in `data`; returns where the first
        incomplete one starts."""
        pos = 0
        end = len(data)
        if self._preface:
            if end < len(PREFACE):
                if not PREFACE.startswith(data):
                    raise _Fatal(_PROTOCOL, "invalid HTTP/2 client preface")
                return 0
            if not data.startswith(PREFACE):
                raise _Fatal(_PROTOCOL, "invalid HTTP/2 client preface")
            self._preface = False
            pos = len(PREFACE)
        unpack = HEADER.unpack_from
        limit = self._limits.max_frame_size
        while end - pos >= 9:
            hi, lo, ftype, flags, sid = unpack(data, pos)
            length = hi << 16 | lo
            if length > limit:
                raise _Fatal(_FRAME_SIZE, f"frame of {length} bytes is larger than "
                                          f"SETTINGS_MAX_FRAME_SIZE {limit}")
            if ftype == HEADERS or ftype == PUSH_PROMISE:
                verdict = block_verdict(self._limits, 0, length)
                if verdict is not None:
                    raise _Fatal(_CALM, verdict)
            elif ftype == CONTINUATION and self._block_sid:
                verdict = block_verdict(self._limits, self._block_count + 1,
                                        self._block_size + length)
                if verdict is not None:
                    raise _Fatal(_CALM, verdict)
            stop = pos + 9 + length
            if stop > end:
                break
            payload = data[pos + 9:stop]
            pos = stop
            sid &= MAX_WINDOW
            if self._block_sid and ftype != CONTINUATION:
                raise _Fatal(_PROTOCOL, f"frame type {ftype:#x} inside the header block of "
                                        f"stream {self._block_sid} (CONTINUATION expected)")
            if not self._settings_seen:
                if ftype != SETTINGS or flags & ACK:
                    raise _Fatal(_PROTOCOL, "the client preface must end with SETTINGS")
                self._settings_seen = True
            if ftype == HEADERS:
                self._on_headers(sid, flags, payload, now, events)
            elif ftype == DATA:
                self._on_data(sid, flags, payload, now, events)
            elif ftype == WINDOW_UPDATE:
                self._on_window_update(sid, payload, now, events)
            elif ftype == SETTINGS:
                self._on_settings(sid, flags, payload, now, events)
            elif ftype == RST_STREAM:
                self._on_rst_stream(sid, payload, now, events)
            elif ftype == PING:
                self._on_ping(sid, flags, payload, now)
            elif ftype == CONTINUATION:
                self._on_continuation(sid, flags, payload, now, events)
            elif ftype == PRIORITY:
                self._on_priority(sid, payload, now, events)
            elif ftype == GOAWAY:
                self._on_goaway(sid, payload, events)
            elif ftype == PUSH_PROMISE:
                raise _Fatal(_PROTOCOL, "a client cannot push (PUSH_PROMISE received)")
            # any other type is an extension this server does not know: ignored (§5.5)
            if self._closed:
                return end
        return pos

    # ------------------------------------------------------ header blocks

    def _on_headers(self, sid: int, flags: int, payload: bytes, now: float,
                    events: list[Event]) -> None:
        if not sid & 1:
            raise _Fatal(_PROTOCOL, f"HEADERS on stream {sid}: client streams are odd")
        start, stop = 0, len(payload)
        if flags & PADDED:
            if not stop:
                raise _Fatal(_FRAME_SIZE, "padded HEADERS frame without a pad length")
            start, stop = 1, stop - payload[0]
        self_dep = False
        if flags & PRIORITY_FLAG:
            if stop - start < 5:
                raise _Fatal(_FRAME_SIZE, "HEADERS frame too short for its priority fields")
            self_dep = wire.u31(payload, start) == sid
            start += 5
        if stop < start:
            raise _Fatal(_PROTOCOL, "padding longer than the HEADERS payload")
        fragment = payload if stop - start == len(payload) else payload[start:stop]
        if flags & END_HEADERS:
            self._on_block(sid, bool(flags & END_STREAM), fragment, self_dep, now, events)
            return
        self._block_sid = sid
        self._block_end = bool(flags & END_STREAM)
        self._block_self_dep = self_dep
        self._block_parts = [fragment]
        self._block_count = 0
        self._block_size = len(payload)

    def _on_continuation(self, sid: int, flags: int, payload: bytes, now: float,
                         events: list[Event]) -> None:
        if not self._block_sid:
            raise _Fatal(_PROTOCOL, f"CONTINUATION on stream {sid} without a header block")
        if sid != self._block_sid:
            raise _Fatal(_PROTOCOL, f"CONTINUATION on stream {sid} inside the header block "
                                    f"of stream {self._block_sid}")
        self._block_count += 1
        self._block_size += len(payload)
        self._block_parts.append(payload)
        if flags & END_HEADERS:
            block = b"".join(self._block_parts)
            self._block_parts = []
            self._block_sid = 0
            self._on_block(sid, self._block_end, block, self._block_self_dep, now, events)

    def _decode(self, block: bytes) -> list[Header]:
        try:
            # raw=True: hpack's HeaderTuples hold bytes (a tuple subclass)
            fields = cast("list[Header]", self._decoder.decode(block, raw=True))
        except OversizedHeaderListError as exc:
            raise _Fatal(_CALM, f"decoded header list larger than "
                                f"{self._limits.max_header_list_size} bytes") from exc
        except (HPACKError, IndexError, ValueError) as exc:
            raise _Fatal(ErrorCode.COMPRESSION_ERROR, f"HPACK: {exc}") from exc
        return fields

    def _on_block(self, sid: int, end_stream: bool, block: bytes, self_dep: bool, now: float,
                  events: list[Event]) -> None:
        """A complete header block: always decoded (the HPACK table is
        shared by every stream; `heads` explains when a repeated request
        head need not be), then judged by the stream's state."""
        stream = self._streams.get(sid)
        if stream is None and sid > self._highest:
            self._highest = sid
            head = self._request_head(block)
            if self_dep:
                self._stream_error(sid, _PROTOCOL, "stream depends on itself", now, events)
            elif isinstance(head, FieldError):
                # A malformed request is a stream error (RFC 9113 §8.1.1).
                self._stream_error(sid, _PROTOCOL, str(head), now, events)
            else:
                self._open(sid, end_stream, head, now, events)
            return
        raw = self._decode(block)
        if stream is None:
            how = self._ended.get(sid)
            if how is None:
                raise _Fatal(_PROTOCOL, f"HEADERS on stream {sid}, not above stream "
                                        f"{self._highest} already opened")
            self._on_closed(sid, how, "HEADERS", now, events)
            return
        if self_dep:
            self._stream_error(sid, _PROTOCOL, "stream depends on itself", now, events)
        elif (stream.state, RECV_HEADERS) not in TRANSITIONS:
            self._stream_error(sid, _STREAM_CLOSED, "HEADERS after END_STREAM", now, events)
        elif not end_stream:
            self._stream_error(sid, _PROTOCOL, "trailers without END_STREAM", now, events)
        else:
            try:
                trailers = trailer_fields(raw)
            except FieldError as exc:
                self._stream_error(sid, _PROTOCOL, str(exc), now, events)
                return
            if stream.expect > 0:
                self._stream_error(sid, _PROTOCOL, "request body shorter than its "
                                   "content-length", now, events)
                return
            if sid in self._active:
                events.append(RequestTrailers(sid, trailers))
            self._remote_end(sid, stream, events)

    def _request_head(self, block: bytes) -> RequestHead | FieldError:
        decoder = self._decoder
        generation = decoder.sync(True)
        head = self._heads.get(block, generation)
        if head is not None:
            return head
        raw = self._decode(block)
        try:
            head = parse_head(request_fields(raw))
        except FieldError as exc:
            return exc
        if decoder.sync(True) == generation:
            self._heads.put(block, generation, head)
        return head

    def _open(self, sid: int, end_stream: bool, head: RequestHead, now: float,
              events: list[Event]) -> None:
        active = self._active
        if (self._drain_last is not None and sid > self._drain_last) \
                or len(active) >= self._limits.max_concurrent_streams:
            self._stream_error(sid, ErrorCode.REFUSED_STREAM, "stream refused", now, events)
            return
        method, target, query, scheme, authority, protocol, headers, length = head
        if method is None:
            # Plain CONNECT (no :path) is not served here.
            self._stream_error(sid, _PROTOCOL, "CONNECT is not served", now, events)
            return
        if end_stream and length > 0:
            self._stream_error(sid, _PROTOCOL, "content-length without a body", now, events)
            return
        stream = Stream(REMOTE_CLOSED if end_stream else OPEN, self._peer_window)
        if not end_stream:
            stream.recv = ReceiveWindow(self._local_window)
            stream.expect = length
        self._streams[sid] = stream
        active.add(sid)
        if protocol is not None:  # `request_fields` checked: CONNECT, :scheme and :path
            events.append(TunnelRequested(sid, protocol, target, query, scheme, authority,
                                          list(headers)))
        else:
            events.append(RequestStarted(sid, method, target, query, scheme, authority,
                                         list(headers)))
        if end_stream:
            events.append(RequestEnded(sid))

    # --------------------------------------------------------------- DATA

    def _on_data(self, sid: int, flags: int, payload: bytes, now: float,
                 events: list[Event]) -> None:
        if not sid:
            raise _Fatal(_PROTOCOL, "DATA on stream 0")
        n = len(payload)
        start, stop = 0, n
        if flags & PADDED:
            if not n:
                raise _Fatal(_FRAME_SIZE, "padded DATA frame without a pad length")
            start, stop = 1, n - payload[0]
            if stop < start:
                raise _Fatal(_PROTOCOL, "padding longer than the DATA payload")
        stream = self._streams.get(sid)
        if stream is None and sid > self._highest:
            raise _Fatal(_PROTOCOL, f"DATA on idle stream {sid}")
        if n:
            # The whole frame counts against the connection, whatever
            # becomes of its stream (§6.9).
            recv = self._recv
            if not recv.take(n):
                raise _Fatal(_FLOW, "DATA beyond the connection's flow-control window")
            grant = recv.release()
            if grant:
                self._out.append(wire.window_update(0, grant))
        if stream is None:
            how = self._ended.get(sid)
            self._on_closed(sid, RESET_RECEIVED if how is None else how, "DATA", now, events)
            return
        if (stream.state, RECV_DATA) not in TRANSITIONS:
            self._stream_error(sid, _STREAM_CLOSED, "DATA after END_STREAM", now, events)
            return
        window = stream.recv
        assert window is not None  # kept while the client may send
        if n and not window.take(n):
            self._stream_error(sid, _FLOW, "DATA beyond the stream's flow-control window",
                               now, events)
            return
        if stream.expect >= 0:
            stream.expect -= stop - start
            if stream.expect < 0 or (flags & END_STREAM and stream.expect):
                self._stream_error(sid, _PROTOCOL, "request body does not match its "
                                   "content-length", now, events)
                return
        if stop > start and sid in self._active:
            events.append(RequestData(sid, payload if start == 0 and stop == n
                                      else payload[start:stop]))
        if flags & END_STREAM:
            self._remote_end(sid, stream, events)
        elif n:
            grant = window.release()
            if grant:
                self._out.append(wire.window_update(sid, grant))

    def _remote_end(self, sid: int, stream: Stream, events: list[Event]) -> None:
        state = TRANSITIONS[(stream.state, RECV_END)]
        stream.recv = None
        if state == CLOSED:
            del self._streams[sid]
            self._ended.add(sid, ENDED)
        else:
            stream.state = state
        if sid in self._active:
            events.append(RequestEnded(sid))

    def _on_closed(self, sid: int, how: int, what: str, now: float,
                   events: list[Event]) -> None:
        """DATA or HEADERS on a closed stream, judged by how it closed."""
        verdict = ON_CLOSED[how]
        if verdict == IGNORE:
            return
        reason = f"{what} on closed stream {sid}"
        if verdict == CONNECTION_ERROR:
            raise _Fatal(_STREAM_CLOSED, reason)
        self._stream_error(sid, _STREAM_CLOSED, reason, now, events)

    # ------------------------------------------------------ stream control

    def _on_rst_stream(self, sid: int, payload: bytes, now: float,
                       events: list[Event]) -> None:
        if not sid:
            raise _Fatal(_PROTOCOL, "RST_STREAM on stream 0")
        if len(payload) != 4:
            raise _Fatal(_FRAME_SIZE, "RST_STREAM payload is not 4 bytes")
        if self._streams.pop(sid, None) is None:
            if sid > self._highest:
                raise _Fatal(_PROTOCOL, f"RST_STREAM on idle stream {sid}")
            return
        self._ended.add(sid, RESET_RECEIVED)
        if sid in self._active:
            self._active.discard(sid)
            events.append(StreamCancelled(sid, wire.u32(payload)))
            if not self._guard.on_client_reset(now):
                events.append(self.goaway(_CALM, "stream reset rate exceeded"))

    def _on_priority(self, sid: int, payload: bytes, now: float, events: list[Event]) -> None:
        """Parsed and ignored (§5.3.2), except for the errors it can carry."""
        if not sid:
            raise _Fatal(_PROTOCOL, "PRIORITY on stream 0")
        if len(payload) != 5:
            self._stream_error(sid, _FRAME_SIZE, "PRIORITY payload is not 5 bytes", now, events)
        elif wire.u31(payload) == sid:
            self._stream_error(sid, _PROTOCOL, "stream depends on itself", now, events)

    def _on_window_update(self, sid: int, payload: bytes, now: float,
                          events: list[Event]) -> None:
        if len(payload) != 4:
            raise _Fatal(_FRAME_SIZE, "WINDOW_UPDATE payload is not 4 bytes")
        increment = wire.u31(payload)
        if not sid:
            if not increment:
                raise _Fatal(_PROTOCOL, "WINDOW_UPDATE with increment 0")
            self._send_window += increment
            if self._send_window > MAX_WINDOW:
                raise _Fatal(_FLOW, "connection flow-control window above 2**31-1")
            events.append(WindowOpened(0))
            return
        stream = self._streams.get(sid)
        if stream is None:
            if sid > self._highest:
                raise _Fatal(_PROTOCOL, f"WINDOW_UPDATE on idle stream {sid}")
            return  # a closed stream: updates may still be in flight
        if not increment:
            self._stream_error(sid, _PROTOCOL, "WINDOW_UPDATE with increment 0", now, events)
            return
        stream.send_window += increment
        if stream.send_window > MAX_WINDOW:
            self._stream_error(sid, _FLOW, "stream flow-control window above 2**31-1", now,
                               events)
            return
        if sid in self._active:
            events.append(WindowOpened(sid))

    def _stream_error(self, sid: int, code: int, reason: str, now: float,
                      events: list[Event]) -> None:
        """RST_STREAM(`code`) for a stream error (§5.4.2) or a refusal."""
        self._streams.pop(sid, None)
        self._out.append(wire.rst_stream(sid, code))
        self._ended.add(sid, RESET_SENT)
        if sid in self._active:
            self._active.discard(sid)
            events.append(StreamCancelled(sid, code))
        if not self._guard.on_server_reset(now):
            events.append(self.goaway(_CALM, f"too many streams reset ({reason})"))

    # ---------------------------------------------------- connection control

    def _on_settings(self, sid: int, flags: int, payload: bytes, now: float,
                     events: list[Event]) -> None:
        if sid:
            raise _Fatal(_PROTOCOL, f"SETTINGS on stream {sid}")
        if flags & ACK:
            if payload:
                raise _Fatal(_FRAME_SIZE, "SETTINGS ACK with a payload")
            self._settings_acked()
            return
        if not self._control.take(now):
            raise _Fatal(_CALM, CONTROL_FLOOD)
        parsed = parse_settings(payload)
        if isinstance(parsed, SettingsError):
            raise _Fatal(parsed.code, parsed.reason)
        window_moved = False
        for code, value in parsed:
            if code == SettingCode.INITIAL_WINDOW_SIZE:
                delta = value - self._peer_window
                self._peer_window = value
                window_moved = True
                for stream in self._streams.values():
                    stream.send_window += delta
                    if stream.send_window > MAX_WINDOW:
                        raise _Fatal(_FLOW, "SETTINGS_INITIAL_WINDOW_SIZE pushes a stream's "
                                            "window above 2**31-1")
            elif code == SettingCode.MAX_FRAME_SIZE:
                self._peer_frame = value
            elif code == SettingCode.HEADER_TABLE_SIZE:
                self._encoder.header_table_size = value
        self._out.append(wire.SETTINGS_ACK)
        if window_moved:
            events.append(WindowOpened(0))

    def _settings_acked(self) -> None:
        """Our SETTINGS are in force: new stream windows use our size, and
        open ones move by the difference (§6.9.2)."""
        self._settings_deadline = None
        target = self._limits.initial_window_size
        if target != self._local_window:
            self._local_window = target
            for stream in self._streams.values():
                if stream.recv is not None:
                    stream.recv.resize(target)

    def _on_ping(self, sid: int, flags: int, payload: bytes, now: float) -> None:
        if sid:
            raise _Fatal(_PROTOCOL, f"PING on stream {sid}")
        if len(payload) != 8:
            raise _Fatal(_FRAME_SIZE, "PING payload is not 8 bytes")
        if flags & ACK:
            return
        if not self._control.take(now):
            raise _Fatal(_CALM, CONTROL_FLOOD)
        self._out.append(wire.ping_ack(payload))

    def _on_goaway(self, sid: int, payload: bytes, events: list[Event]) -> None:
        if sid:
            raise _Fatal(_PROTOCOL, f"GOAWAY on stream {sid}")
        if len(payload) < 8:
            raise _Fatal(_FRAME_SIZE, "GOAWAY payload shorter than 8 bytes")
        last = wire.u31(payload)
        code = wire.u32(payload, 4)
        if code:
            self._closed = True
        else:
            self._drain_last = last if self._drain_last is None else min(self._drain_last, last)
        reason = payload[8:].decode("utf-8", "replace")
        events.append(ConnectionEnded(code, reason, True, last))

    # --------------------------------------------------------------- output

    def window(self, stream_id: int) -> int:
        """Bytes that may be sent on `stream_id` now (stream and connection
        windows both honoured); 0 if the stream is gone."""
        stream = self._streams.get(stream_id)
        if stream is None or stream_id not in self._active:
            return 0
        room = min(stream.send_window, self._send_window)
        return room if room > 0 else 0

    def _writable(self, stream_id: int, event: int) -> Stream | None:
        if stream_id not in self._active or self._closed:
            return None
        stream = self._streams.get(stream_id)
        if stream is None or (stream.state, event) not in TRANSITIONS:
            self._active.discard(stream_id)
            return None
        return stream

    def send_headers(self, stream_id: int, headers: list[Header], end_stream: bool, *,
                     trailers: bool = False) -> bool:
        """Send a response head (or, with `trailers`, the trailers after the
        body); False if the stream is gone, ValueError (nothing sent) if the
        fields break RFC 9113 (`fields.response_fields`). Fields are plain
        (name, value) pairs: `response_fields` decides which are never
        indexed."""
        stream = self._writable(stream_id, SEND_HEADERS)
        if stream is None:
            return False
        if trailers and not end_stream:
            raise ValueError("trailers must end the stream")
        encoder = self._encoder
        generation = encoder.sync()
        blocks = self._blocks_out
        block = key = None
        if generation is not None:
            if generation != self._blocks_generation:
                blocks.clear()
                self._blocks_generation = generation
            try:
                key = (trailers, *headers)
                block = blocks.get(key)
            except TypeError:  # unhashable values: no memo
                key = None
        if block is None:
            block = encoder.encode(response_fields(headers, trailers))
            if key is not None and len(key) <= _HEAD_FIELDS and encoder.sync() == generation:
                if len(blocks) >= _HEADS_OUT:
                    blocks.clear()
                blocks[key] = block
        self._out.append(wire.header_block(stream_id, block, end_stream, self._peer_frame))
        if end_stream:
            self._local_end(stream_id, stream)
        return True

    def send_data(self, stream_id: int, data: bytes | memoryview, end_stream: bool) -> int:
        """Send as much of `data` as the windows allow, in frames of the
        peer's maximum size; END_STREAM goes with the last byte if all of it
        fit. Returns the bytes sent (-1 if the stream is gone)."""
        stream = self._writable(stream_id, SEND_DATA)
        if stream is None:
            return -1
        total = len(data)
        if not total:
            # An empty frame only carries END_STREAM; windows do not apply.
            if end_stream:
                self._out.append(wire.frame(DATA, END_STREAM, stream_id))
                self._local_end(stream_id, stream)
            return 0
        room = min(total, stream.send_window, self._send_window)
        if room == total and total <= self._peer_frame:
            self._out.append(HEADER.pack(total >> 16, total & 0xFFFF, DATA,
                                         END_STREAM if end_stream else 0, stream_id) + data)
            stream.send_window -= total
            self._send_window -= total
            if end_stream:
                self._local_end(stream_id, stream)
            return total
        sent = 0
        size_max = self._peer_frame
        out = self._out
        while sent < room:
            size = min(size_max, room - sent)
            last = end_stream and sent + size == total
            out.append(wire.frame(DATA, END_STREAM if last else 0, stream_id,
                                  bytes(data[sent:sent + size])))
            sent += size
        stream.send_window -= sent
        self._send_window -= sent
        if end_stream and sent == total:
            self._local_end(stream_id, stream)
        return sent

    def _local_end(self, sid: int, stream: Stream) -> None:
        state = TRANSITIONS[(stream.state, SEND_END)]
        if state == CLOSED:
            del self._streams[sid]
            self._ended.add(sid, ENDED)
        else:
            stream.state = state

    def reset(self, stream_id: int, error_code: int = ErrorCode.CANCEL) -> None:
        """Abandon a stream (RST_STREAM) and forget it."""
        self._active.discard(stream_id)
        if self._closed:
            return
        if self._streams.pop(stream_id, None) is not None:
            self._out.append(wire.rst_stream(stream_id, error_code))
            self._ended.add(stream_id, RESET_SENT)

    def stream_finished(self, stream_id: int) -> None:
        """The adapter is done with the stream; the slot is free again. A
        stream the client is still sending on is told to stop: with
        NO_ERROR once the response is complete (§8.1), CANCEL otherwise."""
        self._active.discard(stream_id)
        stream = self._streams.get(stream_id)
        if stream is not None:
            done = (stream.state, SEND_END) not in TRANSITIONS
            self.reset(stream_id, ErrorCode.NO_ERROR if done else ErrorCode.CANCEL)

    def goaway(self, error_code: int, reason: str, last: int | None = None) -> ConnectionEnded:
        """End the connection now with GOAWAY(`error_code`); `last` defaults
        to the highest stream the client opened."""
        if last is None:
            last = self._highest
        if not self._closed:
            self._closed = True
            self._out.append(wire.goaway(last, int(error_code), reason.encode()[:256]))
        return ConnectionEnded(int(error_code), reason, False, last)

    def drain(self) -> None:
        """Graceful shutdown: GOAWAY(NO_ERROR); open streams may finish, new
        ones are refused."""
        if self._closed or self._drain_last is not None:
            return
        self._drain_last = self._highest
        self._out.append(wire.goaway(self._highest, ErrorCode.NO_ERROR))

    def data_to_send(self) -> bytes:
        out = self._out
        if not out:
            return b""
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        return data

    # ------------------------------------------------------------ deadlines

    def next_deadline(self) -> float | None:
        """When `on_timer` must run next, or None."""
        if self._closed:
            return None
        deadline = self._settings_deadline
        if not self._active:
            idle = self._last_activity + self._limits.idle_timeout
            deadline = idle if deadline is None else min(deadline, idle)
        return deadline

    def on_timer(self, now: float) -> ConnectionEnded | None:
        if self._closed:
            return None
        if self._settings_deadline is not None and now >= self._settings_deadline:
            return self.goaway(ErrorCode.SETTINGS_TIMEOUT, "SETTINGS not acknowledged")
        if not self._active and now >= self._last_activity + self._limits.idle_timeout:
            return self.goaway(ErrorCode.NO_ERROR, "idle timeout")
        return None
