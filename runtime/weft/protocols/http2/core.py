"""`H2Core`: the server side of one HTTP/2 connection, sans-IO, over h2.

How this works:
- `receive(data, now)` first runs the `FrameScanner` (CONTINUATION and
  control-frame floods), then feeds h2 and translates its events into
  `weft.protocols.http2.events`. `data_to_send()` returns the bytes to write.
- Stream admission is ours, not h2's: h2 is configured with an effectively
  unlimited stream count while the SETTINGS frame we send advertises
  `max_concurrent_streams`. A stream beyond the limit is therefore still
  HPACK-decoded (the shared table stays in sync) and then refused with
  RST_STREAM(REFUSED_STREAM), which a client may retry, instead of h2's
  connection-wide PROTOCOL_ERROR.
- Every client cancellation of an unfinished stream and every stream we must
  refuse is charged to the `RapidResetGuard`; an empty budget ends the
  connection with GOAWAY(ENHANCE_YOUR_CALM).
- Graceful drain sends a GOAWAY(NO_ERROR) frame built here, without moving
  h2's state machine to CLOSED, so streams already open can still send and
  receive (h2 refuses all sends once it has sent GOAWAY itself). Streams
  opened after it are refused.
- Time arrives as `now`; `next_deadline()` and `on_timer(now)` implement the
  idle and SETTINGS-ack timeouts.
- Header fields are normalised and checked by `fields` (h2's own passes are
  off), and HPACK goes through the memo codecs of `hpack_cache`. Identical
  request heads are parsed once (a small per-connection memo), and so are
  identical response heads.
- SETTINGS_ENABLE_CONNECT_PROTOCOL=1 is advertised; an extended CONNECT
  (RFC 8441, a HEADERS block with `:protocol`) is reported as
  `TunnelRequested` instead of `RequestStarted`, for WebSocket over HTTP/2.
"""

from __future__ import annotations

from typing import Final, final

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RemoteSettingsChanged,
    RequestReceived,
    SettingsAcknowledged,
    StreamEnded,
    StreamReset,
    TrailersReceived,
    WindowUpdated,
)
from h2.exceptions import FlowControlError, ProtocolError, StreamClosedError
from h2.settings import SettingCodes, Settings
from hyperframe.frame import GoAwayFrame

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
from weft.protocols.http2.frames import FrameScanner
from weft.protocols.http2.guard import RapidResetGuard
from weft.protocols.http2.hpack_cache import MemoDecoder, MemoEncoder
from weft.protocols.http2.limits import Http2Limits

_STREAM_CEILING: Final = 2**31 - 1
_MAX_CONCURRENT: Final = int(SettingCodes.MAX_CONCURRENT_STREAMS)
_SETTINGS_FRAME: Final = 0x4
_MIN_FRAME: Final = 16_384  # SETTINGS_MAX_FRAME_SIZE can only be larger

Header = tuple[bytes, bytes]


def _advertise(settings_frame: bytes, setting: int, value: int) -> bytes:
    """Rewrite one value inside a serialized SETTINGS frame (RFC 9113 §6.5.1:
    a 9-byte header, then 6-byte identifier/value pairs)."""
    length = int.from_bytes(settings_frame[0:3], "big")
    if settings_frame[3] != _SETTINGS_FRAME or len(settings_frame) < 9 + length:
        raise RuntimeError("h2 did not start the connection with a SETTINGS frame")
    frame = bytearray(settings_frame)
    for at in range(9, 9 + length, 6):
        if int.from_bytes(frame[at:at + 2], "big") == setting:
            frame[at + 2:at + 6] = value.to_bytes(4, "big")
            return bytes(frame)
    raise RuntimeError(f"setting {setting:#x} missing from h2's SETTINGS frame")


def _text(value: bytes) -> str:
    return value.decode("latin-1")


#: method, target, query, scheme, authority, protocol, regular fields; all
#: None but the fields when the head has no :method or :path (plain CONNECT)
_Head = tuple[str | None, str, str | None, str, str | None, str | None,
              tuple[tuple[str, str], ...]]
# Identical request heads are parsed once per connection: at most _HEADS of
# them, each at most _HEAD_FIELDS fields and _HEAD_BYTES bytes. Response heads
# (built by us, not the peer) are memoised with the same count bounds.
_HEADS: Final = 16
_HEAD_FIELDS: Final = 32
_HEAD_BYTES: Final = 2048


def _parse_head(fields: list[Header]) -> _Head:
    """Split a checked request head into pseudo-fields and text fields."""
    method = path = scheme = protocol = authority = None
    headers: list[tuple[str, str]] = []
    for name, value in fields:
        if name[:1] == b":":
            if name == b":method":
                method = _text(value)
            elif name == b":path":
                path = _text(value)
            elif name == b":scheme":
                scheme = _text(value)
            elif name == b":authority":
                authority = _text(value)
            elif name == b":protocol":
                protocol = _text(value)
        else:
            headers.append((_text(name), _text(value)))
    if method is None or path is None:
        return (None, "", None, "", None, None, ())
    if authority is not None and not any(k == "host" for k, _ in headers):
        headers.append(("host", authority))
    target, sep, query = path.partition("?")
    return (method, target, query if sep else None, scheme or "https", authority, protocol,
            tuple(headers))


@final
class H2Core:
    """See the module docstring. `secure` only sets the default `:scheme`."""

    __slots__ = ("_active", "_closed", "_conn", "_drain_last", "_guard", "_heads",
                 "_heads_out", "_last_activity", "_limits", "_out", "_scanner", "_settings_deadline")

    def __init__(self, limits: Http2Limits, now: float) -> None:
        self._limits = limits
        # Header fields are normalised and validated by `fields` instead of
        # h2 (same rules, one pass); h2 still checks everything else.
        config = H2Configuration(client_side=False, header_encoding=None,
                                 validate_inbound_headers=False,
                                 normalize_inbound_headers=False,
                                 validate_outbound_headers=False,
                                 normalize_outbound_headers=False)
        conn = H2Connection(config=config)
        conn.encoder = MemoEncoder()
        conn.decoder = MemoDecoder()
        conn.local_settings = Settings(client=False, initial_values={
            SettingCodes.MAX_CONCURRENT_STREAMS: _STREAM_CEILING,
            SettingCodes.MAX_HEADER_LIST_SIZE: limits.max_header_list_size,
            SettingCodes.INITIAL_WINDOW_SIZE: limits.initial_window_size,
            SettingCodes.MAX_FRAME_SIZE: limits.max_frame_size,
            SettingCodes.HEADER_TABLE_SIZE: limits.hpack_table_size,
            SettingCodes.ENABLE_CONNECT_PROTOCOL: 1,  # RFC 8441 (WebSocket over HTTP/2)
        })
        conn.max_inbound_frame_size = limits.max_frame_size
        conn.decoder.max_header_list_size = limits.max_header_list_size
        conn.decoder.max_allowed_table_size = limits.hpack_table_size
        conn.initiate_connection()
        self._conn = conn
        self._out: list[bytes] = [
            _advertise(conn.data_to_send(), _MAX_CONCURRENT, limits.max_concurrent_streams)]
        self._scanner = FrameScanner(limits, now)
        self._guard = RapidResetGuard(limits.rapid_reset_rate, limits.rapid_reset_burst, now)
        #: streams reported to the adapter and not finished yet
        self._active: set[int] = set()
        self._heads: dict[tuple[Header, ...], _Head] = {}
        #: response heads already normalised by `response_fields`, same bounds
        self._heads_out: dict[tuple[object, ...], list[Header]] = {}
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

    # ---------------------------------------------------------------- input

    def receive(self, data: bytes, now: float) -> list[Event]:
        """Feed received bytes; returns the events they caused."""
        if self._closed:
            return []
        self._last_activity = now
        violation = self._scanner.scan(data, now)
        feed = data if violation is None else data[:violation.offset]
        events: list[Event] = []
        if feed:
            try:
                raw = self._conn.receive_data(feed)
            except ProtocolError as exc:
                # h2 has queued its GOAWAY with the matching error code.
                self._closed = True
                code = int(getattr(exc, "error_code", ErrorCodes.PROTOCOL_ERROR))
                return [ConnectionEnded(code, str(exc) or type(exc).__name__, False,
                                        self._conn.highest_inbound_stream_id)]
            for ev in raw:
                self._translate(ev, now, events)
                if self._closed:
                    return events
        if violation is not None:
            events.append(self.goaway(violation.error_code, violation.reason))
        return events

    def _translate(self, ev: object, now: float, out: list[Event]) -> None:
        active = self._active
        if isinstance(ev, RequestReceived):
            self._start(ev.stream_id, ev.headers or [], now, out)
        elif isinstance(ev, DataReceived):
            sid = ev.stream_id
            if ev.flow_controlled_length:
                self._conn.acknowledge_received_data(ev.flow_controlled_length, sid)
            if sid in active and ev.data:
                out.append(RequestData(sid, bytes(ev.data)))
        elif isinstance(ev, StreamEnded):
            if ev.stream_id in active:
                out.append(RequestEnded(ev.stream_id))
        elif isinstance(ev, TrailersReceived):
            try:
                fields = request_fields(ev.headers or [], trailers=True)
            except FieldError as exc:
                out.append(self._malformed(exc, ev.stream_id))
                return
            if ev.stream_id in active:
                out.append(RequestTrailers(ev.stream_id, [
                    (_text(k), _text(v)) for k, v in fields]))
        elif isinstance(ev, StreamReset):
            sid = ev.stream_id
            if sid in active:
                active.discard(sid)
                out.append(StreamCancelled(sid, int(ev.error_code or 0)))
                if ev.remote_reset and not self._guard.on_client_reset(now):
                    out.append(self.goaway(ErrorCodes.ENHANCE_YOUR_CALM,
                                           "stream reset rate exceeded"))
        elif isinstance(ev, WindowUpdated):
            out.append(WindowOpened(ev.stream_id))
        elif isinstance(ev, RemoteSettingsChanged):
            if SettingCodes.INITIAL_WINDOW_SIZE in ev.changed_settings:
                out.append(WindowOpened(0))
        elif isinstance(ev, SettingsAcknowledged):
            self._settings_deadline = None
        elif isinstance(ev, ConnectionTerminated):
            code = int(ev.error_code or 0)
            last = int(ev.last_stream_id or 0)
            if code:
                self._closed = True
            else:
                self._drain_last = min(self._drain_last or last, last)
            reason = (ev.additional_data or b"").decode("utf-8", "replace")
            out.append(ConnectionEnded(code, reason, True, last))

    def _malformed(self, exc: FieldError, stream_id: int) -> ConnectionEnded:
        """A malformed header block ends the connection, as h2's own
        validation did; streams after it in the same read are not served."""
        return self.goaway(ErrorCodes.PROTOCOL_ERROR, str(exc), stream_id)

    def _start(self, sid: int, raw: list[Header], now: float, out: list[Event]) -> None:
        heads = self._heads
        key = tuple(raw)
        head = heads.get(key)
        if head is None:
            try:
                head = _parse_head(request_fields(raw))
            except FieldError as exc:
                out.append(self._malformed(exc, sid))
                return
            if len(key) <= _HEAD_FIELDS and sum(len(n) + len(v) for n, v in key) <= _HEAD_BYTES:
                if len(heads) >= _HEADS:
                    heads.clear()
                heads[key] = head
        if (self._drain_last is not None and sid > self._drain_last) \
                or len(self._active) >= self._limits.max_concurrent_streams:
            self._refuse(sid, ErrorCodes.REFUSED_STREAM, now, out)
            return
        method, target, query, scheme, authority, protocol, headers = head
        if method is None:
            # Plain CONNECT (no :path) is not served here.
            self._refuse(sid, ErrorCodes.PROTOCOL_ERROR, now, out)
            return
        self._active.add(sid)
        if protocol is not None:  # `request_fields` checked: CONNECT, :scheme and :path
            out.append(TunnelRequested(sid, protocol, target, query, scheme, authority,
                                       list(headers)))
            return
        out.append(RequestStarted(sid, method, target, query, scheme, authority, list(headers)))

    def _refuse(self, sid: int, code: ErrorCodes, now: float, out: list[Event]) -> None:
        self._conn.reset_stream(sid, code)
        if not self._guard.on_server_reset(now):
            out.append(self.goaway(ErrorCodes.ENHANCE_YOUR_CALM, "too many refused streams"))

    # --------------------------------------------------------------- output

    def window(self, stream_id: int) -> int:
        """Bytes that may be sent on `stream_id` now (stream and connection
        windows both honoured); 0 if the stream is gone."""
        if stream_id not in self._active:
            return 0
        try:
            return self._conn.local_flow_control_window(stream_id)
        except (StreamClosedError, ProtocolError):
            return 0

    def send_headers(self, stream_id: int, headers: list[Header], end_stream: bool, *,
                     trailers: bool = False) -> bool:
        """Send a response head (or, with `trailers`, the trailers after the
        body); False if the stream is gone, ValueError (nothing sent) if the
        fields break RFC 9113 (`fields.response_fields`) or h2 rejects them."""
        if stream_id not in self._active or self._closed:
            return False
        try:
            key = (trailers, *headers)
            fields = self._heads_out.get(key)
        except TypeError:  # unhashable values: no memo
            key, fields = None, None
        if fields is None:
            fields = response_fields(headers, trailers)
            if key is not None and len(key) <= _HEAD_FIELDS:
                if len(self._heads_out) >= _HEADS:
                    self._heads_out.clear()
                self._heads_out[key] = fields
        try:
            self._conn.send_headers(stream_id, fields, end_stream=end_stream)
        except StreamClosedError:
            self._active.discard(stream_id)
            return False
        except ProtocolError as exc:
            # h2's outbound validation (upper-case or connection-specific fields)
            raise ValueError(f"invalid response header block: {exc}") from exc
        return True

    def send_data(self, stream_id: int, data: bytes | memoryview, end_stream: bool) -> int:
        """Send as much of `data` as the windows allow, in frames of the
        peer's maximum size; END_STREAM goes with the last byte if all of it
        fit. Returns the bytes sent (-1 if the stream is gone)."""
        if stream_id not in self._active or self._closed:
            return -1
        conn = self._conn
        total = len(data)
        if 0 < total <= _MIN_FRAME:
            # One frame (every peer accepts 16 KiB): h2 checks the windows
            # itself and raises before changing any state if they are short.
            try:
                conn.send_data(stream_id, data, end_stream=end_stream)
                return total
            except FlowControlError:
                pass
            except StreamClosedError:
                self._active.discard(stream_id)
                return -1
        try:
            room = min(total, conn.local_flow_control_window(stream_id))
            frame = conn.max_outbound_frame_size
            sent = 0
            while sent < room:
                size = min(frame, room - sent)
                last = end_stream and sent + size == total
                conn.send_data(stream_id, data[sent:sent + size], end_stream=last)
                sent += size
            if end_stream and total == 0:
                conn.end_stream(stream_id)
        except StreamClosedError:
            self._active.discard(stream_id)
            return -1
        return sent

    def reset(self, stream_id: int, error_code: int = ErrorCodes.CANCEL) -> None:
        """Abandon a stream (RST_STREAM) and forget it."""
        self._active.discard(stream_id)
        if self._closed:
            return
        try:
            self._conn.reset_stream(stream_id, error_code)
        except (StreamClosedError, ProtocolError):
            pass

    def stream_finished(self, stream_id: int) -> None:
        """The response went out completely; the slot is free again."""
        self._active.discard(stream_id)

    def goaway(self, error_code: int, reason: str, last: int | None = None) -> ConnectionEnded:
        """End the connection now with GOAWAY(`error_code`); `last` defaults
        to the highest stream the client opened."""
        if last is None:
            last = self._conn.highest_inbound_stream_id
        if not self._closed:
            self._closed = True
            self._conn.close_connection(error_code, reason.encode()[:256], last)
        return ConnectionEnded(int(error_code), reason, False, last)

    def drain(self) -> None:
        """Graceful shutdown: GOAWAY(NO_ERROR); open streams may finish, new
        ones are refused."""
        if self._closed or self._drain_last is not None:
            return
        last = self._conn.highest_inbound_stream_id
        self._drain_last = last
        pending = self._conn.data_to_send()
        if pending:
            self._out.append(pending)
        self._out.append(GoAwayFrame(0, last_stream_id=last, error_code=0).serialize())

    def data_to_send(self) -> bytes:
        pending = self._conn.data_to_send()
        out = self._out
        if not out:
            return pending
        if pending:
            out.append(pending)
        data = b"".join(out)
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
            return self.goaway(ErrorCodes.SETTINGS_TIMEOUT, "SETTINGS not acknowledged")
        if not self._active and now >= self._last_activity + self._limits.idle_timeout:
            return self.goaway(ErrorCodes.NO_ERROR, "idle timeout")
        return None
