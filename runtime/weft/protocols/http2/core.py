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
from h2.exceptions import ProtocolError, StreamClosedError
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
from weft.protocols.http2.frames import FrameScanner
from weft.protocols.http2.guard import RapidResetGuard
from weft.protocols.http2.limits import Http2Limits

_STREAM_CEILING: Final = 2**31 - 1
_MAX_CONCURRENT: Final = int(SettingCodes.MAX_CONCURRENT_STREAMS)
_SETTINGS_FRAME: Final = 0x4

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


@final
class H2Core:
    """See the module docstring. `secure` only sets the default `:scheme`."""

    __slots__ = ("_active", "_closed", "_conn", "_drain_last", "_guard", "_last_activity",
                 "_limits", "_out", "_scanner", "_settings_deadline")

    def __init__(self, limits: Http2Limits, now: float) -> None:
        self._limits = limits
        config = H2Configuration(client_side=False, header_encoding=None,
                                 validate_inbound_headers=True,
                                 normalize_inbound_headers=True)
        conn = H2Connection(config=config)
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
            self._start(ev, now, out)
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
            if ev.stream_id in active:
                out.append(RequestTrailers(ev.stream_id, [
                    (_text(k), _text(v)) for k, v in ev.headers or ()]))
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

    def _start(self, ev: RequestReceived, now: float, out: list[Event]) -> None:
        sid = ev.stream_id
        if (self._drain_last is not None and sid > self._drain_last) \
                or len(self._active) >= self._limits.max_concurrent_streams:
            self._refuse(sid, ErrorCodes.REFUSED_STREAM, now, out)
            return
        method = path = scheme = protocol = None
        authority: str | None = None
        headers: list[tuple[str, str]] = []
        for name, value in ev.headers or ():
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
            # Plain CONNECT (no :path) is not served here.
            self._refuse(sid, ErrorCodes.PROTOCOL_ERROR, now, out)
            return
        if authority is not None and not any(k == "host" for k, _ in headers):
            headers.append(("host", authority))
        target, sep, query = path.partition("?")
        self._active.add(sid)
        if protocol is not None:  # h2 checked it comes with CONNECT, :scheme and :path
            out.append(TunnelRequested(sid, protocol, target, query if sep else None,
                                       scheme or "https", authority, headers))
            return
        out.append(RequestStarted(sid, method, target, query if sep else None,
                                  scheme or "https", authority, headers))

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

    def send_headers(self, stream_id: int, headers: list[Header], end_stream: bool) -> bool:
        """Send a response head (or trailers); False if the stream is gone,
        ValueError (nothing sent) if h2 rejects the fields."""
        if stream_id not in self._active or self._closed:
            return False
        try:
            self._conn.send_headers(stream_id, headers, end_stream=end_stream)
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
        try:
            total = len(data)
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

    def goaway(self, error_code: int, reason: str) -> ConnectionEnded:
        """End the connection now with GOAWAY(`error_code`)."""
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
