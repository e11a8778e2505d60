"""Sans-IO tests of `H2Core`, the frame scanner and the reset guard, driven
by h2's client side and hand-built frames, with a fake clock."""

from __future__ import annotations

import h2.config
import h2.connection
import h2.events
import pytest
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hyperframe.frame import (
    ContinuationFrame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from machine_support import parse
from weft.protocols.http2 import (
    PREFACE,
    ConnectionEnded,
    FrameScanner,
    H2Core,
    Http2Limits,
    RapidResetGuard,
    RequestData,
    RequestEnded,
    RequestStarted,
    RequestTrailers,
    StreamCancelled,
    TokenBucket,
    WindowOpened,
)


def client() -> h2.connection.H2Connection:
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                             header_encoding="utf-8"))
    c.initiate_connection()
    return c


def pair(limits: Http2Limits | None = None) -> tuple[H2Core, h2.connection.H2Connection]:
    core = H2Core(limits or Http2Limits(), 0.0)
    c = client()
    c.receive_data(core.data_to_send())
    return core, c


def req(c: h2.connection.H2Connection, sid: int, end: bool = True, path: str = "/x?y=1") -> None:
    c.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "https"),
                         (":authority", "example.test"), ("x-a", "1")], end_stream=end)


def test_request_events_and_settings() -> None:
    core, c = pair(Http2Limits(max_concurrent_streams=7))
    assert c.remote_settings.max_concurrent_streams == 7
    assert c.remote_settings[SettingCodes.MAX_HEADER_LIST_SIZE] == 64 * 1024
    req(c, 1, end=False)
    c.send_data(1, b"body", end_stream=False)
    c.send_headers(1, [("x-checksum", "abc")], end_stream=True)
    events = core.receive(c.data_to_send(), 0.1)
    started = [e for e in events if isinstance(e, RequestStarted)]
    assert started == [RequestStarted(1, "GET", "/x", "y=1", "https", "example.test",
                                      [("x-a", "1"), ("host", "example.test")])]
    assert RequestData(1, b"body") in events
    assert RequestTrailers(1, [("x-checksum", "abc")]) in events
    assert events[-1] == RequestEnded(1)


def test_streams_beyond_limit_are_refused_not_fatal() -> None:
    core = H2Core(Http2Limits(max_concurrent_streams=2), 0.0)
    c = client()   # has not read the server's SETTINGS yet, as on a fresh connection
    for sid in (1, 3, 5):
        req(c, sid, end=sid == 1)
    events = core.receive(c.data_to_send(), 0.1)
    assert [e.stream_id for e in events if isinstance(e, RequestStarted)] == [1, 3]
    back = c.receive_data(core.data_to_send())
    resets = [e for e in back if isinstance(e, h2.events.StreamReset)]
    assert [(r.stream_id, r.error_code) for r in resets] == [(5, ErrorCodes.REFUSED_STREAM)]
    # Freeing a slot admits the next stream on the same connection.
    assert core.send_headers(1, [(b":status", b"200")], end_stream=True)
    core.stream_finished(1)
    c.receive_data(core.data_to_send())
    req(c, 7)
    assert any(isinstance(e, RequestStarted) and e.stream_id == 7
               for e in core.receive(c.data_to_send(), 0.2))


def test_rapid_reset_poisons_with_enhance_your_calm() -> None:
    core, c = pair(Http2Limits(rapid_reset_rate=10.0, rapid_reset_burst=5))
    ended: list[ConnectionEnded] = []
    sid = 1
    for _ in range(20):
        req(c, sid, end=False)
        c.reset_stream(sid, ErrorCodes.CANCEL)
        sid += 2
        events = core.receive(c.data_to_send(), 0.0)   # same instant: no refill
        ended += [e for e in events if isinstance(e, ConnectionEnded)]
        if ended:
            break
    assert ended and ended[0].error_code == ErrorCodes.ENHANCE_YOUR_CALM
    assert core.closed and core.guard.client_resets == 6
    back = c.receive_data(core.data_to_send())
    term = [e for e in back if isinstance(e, h2.events.ConnectionTerminated)]
    assert term and term[0].error_code == ErrorCodes.ENHANCE_YOUR_CALM


def test_resets_within_rate_are_fine() -> None:
    core, c = pair(Http2Limits(rapid_reset_rate=10.0, rapid_reset_burst=2))
    sid = 1
    for i in range(30):
        req(c, sid, end=False)
        c.reset_stream(sid, ErrorCodes.CANCEL)
        events = core.receive(c.data_to_send(), i * 0.2)   # 5/s, under 10/s
        assert StreamCancelled(sid, ErrorCodes.CANCEL) in events
        sid += 2
    assert not core.closed


def continuation_flood(n: int, size: int = 0) -> bytes:
    frames = [HeadersFrame(1, data=b"\x82", flags=[]).serialize()]
    frames += [ContinuationFrame(1, data=b"\x00" * size).serialize() for _ in range(n)]
    return b"".join(frames)


def test_continuation_flood_is_cut_off() -> None:
    core, c = pair(Http2Limits(max_continuation_frames=32))
    events = core.receive(c.data_to_send() + continuation_flood(40), 0.0)
    assert events[-1].error_code == ErrorCodes.ENHANCE_YOUR_CALM  # type: ignore[union-attr]
    assert "CONTINUATION" in events[-1].reason  # type: ignore[union-attr]


def test_oversize_header_block_is_cut_off() -> None:
    core, c = pair(Http2Limits(max_header_block_bytes=32 * 1024))
    events = core.receive(c.data_to_send() + continuation_flood(4, 16_000), 0.0)
    end = events[-1]
    assert isinstance(end, ConnectionEnded) and end.error_code == ErrorCodes.ENHANCE_YOUR_CALM
    assert "header block" in end.reason


def test_decoded_header_list_cap() -> None:
    core, c = pair(Http2Limits(max_header_list_size=1024))
    c.remote_settings.max_header_list_size = 10**6  # ignore the advertised cap
    c.send_headers(1, [(":method", "GET"), (":path", "/"), (":scheme", "http"),
                       (":authority", "a"), ("x-big", "v" * 4000)], end_stream=True)
    events = core.receive(c.data_to_send(), 0.0)
    assert isinstance(events[-1], ConnectionEnded)
    assert events[-1].error_code == ErrorCodes.ENHANCE_YOUR_CALM


def test_ping_flood() -> None:
    core, c = pair(Http2Limits(control_frame_rate=5.0, control_frame_burst=10))
    pings = b"".join(PingFrame(0, opaque_data=b"%08d" % i).serialize() for i in range(50))
    events = core.receive(c.data_to_send() + pings, 0.0)
    assert isinstance(events[-1], ConnectionEnded) and "flood" in events[-1].reason


def test_send_data_honours_windows() -> None:
    core, c = pair()
    req(c, 1)
    core.receive(c.data_to_send(), 0.0)
    core.send_headers(1, [(b":status", b"200")], end_stream=False)
    assert core.window(1) == 65_535
    assert core.send_data(1, b"x" * 100_000, True) == 65_535
    assert core.window(1) == 0 and core.send_data(1, b"x", True) == 0
    back = c.receive_data(core.data_to_send())
    got = sum(len(e.data) for e in back if isinstance(e, h2.events.DataReceived))
    assert got == 65_535
    c.increment_flow_control_window(40_000, stream_id=1)
    c.increment_flow_control_window(40_000)
    events = core.receive(c.data_to_send(), 0.0)
    assert WindowOpened(1) in events and WindowOpened(0) in events
    assert core.send_data(1, b"x" * 34_465, True) == 34_465
    back = c.receive_data(core.data_to_send())
    assert any(isinstance(e, h2.events.StreamEnded) for e in back)


def test_settings_ack_timeout_and_idle_timeout() -> None:
    core = H2Core(Http2Limits(settings_ack_timeout=2.0, idle_timeout=5.0), 0.0)
    assert core.next_deadline() == 2.0
    assert core.on_timer(1.0) is None
    ended = core.on_timer(2.5)
    assert ended is not None and ended.error_code == ErrorCodes.SETTINGS_TIMEOUT
    core2, c = pair(Http2Limits(settings_ack_timeout=2.0, idle_timeout=5.0))
    core2.receive(c.data_to_send(), 1.0)   # the client's SETTINGS ACK
    assert core2.next_deadline() == 6.0
    ended = core2.on_timer(6.0)
    assert ended is not None and ended.error_code == ErrorCodes.NO_ERROR


def test_drain_lets_open_streams_finish_and_refuses_new() -> None:
    core, c = pair()
    req(c, 1)
    core.receive(c.data_to_send(), 0.0)
    core.drain()
    req(c, 3)   # crosses the GOAWAY in flight
    events = core.receive(c.data_to_send(), 0.0)
    assert not any(isinstance(e, RequestStarted) for e in events)
    assert core.send_headers(1, [(b":status", b"204")], end_stream=True)
    out = parse(core.data_to_send())
    goaway = [f for f in out if isinstance(f, GoAwayFrame)]
    assert goaway and goaway[0].error_code == 0 and goaway[0].last_stream_id == 1
    assert any(isinstance(f, RstStreamFrame) and f.stream_id == 3
               and f.error_code == ErrorCodes.REFUSED_STREAM for f in out)
    assert any(isinstance(f, HeadersFrame) and f.stream_id == 1 and "END_STREAM" in f.flags
               for f in out)
    assert not core.closed and core.draining


def test_guard_and_bucket_with_fake_clock() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5) and not bucket.take(0.5)
    guard = RapidResetGuard(rate=1.0, burst=2, now=0.0)
    assert guard.on_client_reset(0.0) and guard.on_server_reset(0.0)
    assert not guard.on_client_reset(0.1) and guard.poisoned
    assert not guard.on_client_reset(100.0)   # poisoned for good


def test_limits_validate() -> None:
    with pytest.raises(ValueError, match="max_frame_size"):
        Http2Limits(max_frame_size=100)
    with pytest.raises(ValueError, match="max_concurrent_streams"):
        Http2Limits(max_concurrent_streams=0)


def _verdict(chunks: list[bytes]) -> str | None:
    scanner = FrameScanner(Http2Limits(max_continuation_frames=3), 0.0)
    for chunk in chunks:
        v = scanner.scan(chunk, 0.0)
        if v is not None:
            assert 0 <= v.offset < len(chunk)
            return v.reason
    return None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), max_size=12), st.integers(0, 6))
def test_scanner_verdict_independent_of_chunking(cuts: list[int], n: int) -> None:
    wire = PREFACE + continuation_flood(n, 5)
    chunks, at = [], 0
    for cut in cuts:
        chunks.append(wire[at:at + cut])
        at += cut
    chunks.append(wire[at:])
    whole = _verdict([wire])
    assert _verdict([c for c in chunks if c]) == whole
    assert (whole is not None) == (n > 3)
