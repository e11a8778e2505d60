"""`H2Core` against hand-built frames: every connection error (GOAWAY with
the RFC 9113 code) and stream error (RST_STREAM) the server must detect."""

from __future__ import annotations

import struct

import pytest
from hyperframe.frame import PingFrame, SettingsFrame
from machine_support import (
    ACK,
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    GET,
    GOAWAY,
    HEADERS,
    PADDED,
    PING,
    POST,
    PRIORITY,
    PRIORITY_FLAG,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
    Peer,
    goaway_code,
    parse,
    raw,
    resets,
    settings,
    u32,
    updates,
)
from weft.protocols.http2 import (
    PREFACE,
    ConnectionEnded,
    H2Core,
    Http2Limits,
    RequestEnded,
    RequestStarted,
    StreamCancelled,
)

NO_ERROR, PROTOCOL, FLOW, STREAM_CLOSED, FRAME_SIZE = 0x0, 0x1, 0x3, 0x5, 0x6
REFUSED, CANCEL, COMPRESSION, CALM = 0x7, 0x8, 0x9, 0xB


def fatal(peer: Peer, data: bytes, code: int) -> None:
    """`data` is a connection error with `code`: GOAWAY sent, core closed."""
    peer.feed(data)
    ended = peer.ended()
    assert ended is not None and ended.error_code == code and not ended.by_peer, peer.events
    assert peer.core.closed
    assert goaway_code(peer.out()) == code
    assert peer.core.receive(raw(PING, 0, 0, b"8 bytes!"), 1.0) == []   # nothing more is read


# ------------------------------------------------------------ preface, framing


def test_invalid_preface() -> None:
    core = H2Core(Http2Limits(), 0.0)
    events = core.receive(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0.0)
    assert isinstance(events[-1], ConnectionEnded) and events[-1].error_code == PROTOCOL


def test_preface_in_pieces_then_settings() -> None:
    core = H2Core(Http2Limits(), 0.0)
    core.data_to_send()
    wire = PREFACE + settings()
    for i in range(len(wire)):
        assert core.receive(wire[i:i + 1], 0.0) == []
    out = [type(f) for f in parse(core.data_to_send())]
    assert out == [SettingsFrame]   # the ACK of the client's SETTINGS


def test_first_frame_must_be_settings() -> None:
    core = H2Core(Http2Limits(), 0.0)
    events = core.receive(PREFACE + raw(PING, 0, 0, b"12345678"), 0.0)
    assert isinstance(events[-1], ConnectionEnded) and events[-1].error_code == PROTOCOL


def test_frame_over_max_frame_size() -> None:
    peer = Peer()
    fatal(peer, raw(DATA, 0, 1, b"x" * 16_385), FRAME_SIZE)


def test_unknown_frame_type_is_ignored() -> None:
    peer = Peer()
    events = peer.feed(raw(0x42, 0xFF, 0, b"whatever") + raw(0x42, 0, 7, b""))
    assert events == [] and not peer.core.closed
    peer.feed(peer.headers(1))
    assert [type(e) for e in peer.events] == [RequestStarted, RequestEnded]


def test_unknown_frame_inside_header_block() -> None:
    peer = Peer()
    fatal(peer, peer.headers(1, flags=0) + raw(0x42, 0, 0, b""), PROTOCOL)


# --------------------------------------------------------------------- SETTINGS


@pytest.mark.parametrize(("frame", "code"), [
    (raw(SETTINGS, 0, 1, b""), PROTOCOL),
    (raw(SETTINGS, 0, 0, b"\x00\x04\x00"), FRAME_SIZE),
    (raw(SETTINGS, ACK, 0, b"\x00\x04\x00\x00\x00\x01"), FRAME_SIZE),
    (settings((0x2, 2)), PROTOCOL),                   # ENABLE_PUSH
    (settings((0x4, 2**31)), FLOW),                   # INITIAL_WINDOW_SIZE
    (settings((0x5, 16_383)), PROTOCOL),              # MAX_FRAME_SIZE
    (settings((0x5, 2**24)), PROTOCOL),
    (settings((0x8, 2)), PROTOCOL),                   # ENABLE_CONNECT_PROTOCOL
])
def test_bad_settings(frame: bytes, code: int) -> None:
    fatal(Peer(), frame, code)


def test_settings_are_acknowledged_and_unknown_ids_ignored() -> None:
    peer = Peer()
    peer.feed(settings((0x99, 7), (0x5, 20_000), (0x1, 0)))
    assert not peer.core.closed
    acks = [f for f in peer.out() if isinstance(f, SettingsFrame)]
    assert len(acks) == 1 and "ACK" in acks[0].flags


def test_server_settings_advertise_limits_push_off_and_connect() -> None:
    peer = Peer(Http2Limits(max_concurrent_streams=9, initial_window_size=1000))
    first = peer.sent[0]
    assert isinstance(first, SettingsFrame)
    assert first.settings[0x2] == 0 and first.settings[0x8] == 1
    assert first.settings[0x3] == 9 and first.settings[0x4] == 1000


# ------------------------------------------------------------------- PING, GOAWAY


def test_ping_is_answered_and_ping_ack_is_not() -> None:
    peer = Peer()
    peer.feed(raw(PING, 0, 0, b"abcdefgh") + raw(PING, ACK, 0, b"12345678"))
    pings = [f for f in peer.out() if isinstance(f, PingFrame)]
    assert len(pings) == 1 and pings[0].opaque_data == b"abcdefgh" and "ACK" in pings[0].flags


@pytest.mark.parametrize(("frame", "code"), [
    (raw(PING, 0, 0, b"short"), FRAME_SIZE),
    (raw(PING, 0, 1, b"12345678"), PROTOCOL),
    (raw(GOAWAY, 0, 1, u32(0) + u32(0)), PROTOCOL),
    (raw(GOAWAY, 0, 0, u32(0)), FRAME_SIZE),
    (raw(PUSH_PROMISE, END_HEADERS, 1, u32(2) + b"\x82"), PROTOCOL),
])
def test_bad_connection_frames(frame: bytes, code: int) -> None:
    fatal(Peer(), frame, code)


def test_peer_goaway_no_error_drains_error_closes() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, end=False))
    events = peer.feed(raw(GOAWAY, 0, 0, u32(0) + u32(NO_ERROR) + b"bye"))
    assert events == [ConnectionEnded(NO_ERROR, "bye", True, 0)]
    assert not peer.core.closed and peer.core.draining
    peer.feed(peer.headers(3))   # opened after the client's GOAWAY: refused
    assert resets(peer.out()) == [(3, REFUSED)]
    events = peer.feed(raw(GOAWAY, 0, 0, u32(0) + u32(PROTOCOL)))
    assert events == [ConnectionEnded(PROTOCOL, "", True, 0)] and peer.core.closed


# --------------------------------------------------------------- HEADERS, ids


@pytest.mark.parametrize("sid", [0, 2])
def test_headers_on_stream_zero_or_even(sid: int) -> None:
    peer = Peer()
    fatal(peer, peer.headers(sid), PROTOCOL)


def test_stream_id_must_grow() -> None:
    peer = Peer()
    peer.feed(peer.headers(5))
    fatal(peer, peer.headers(3), PROTOCOL)


def test_hpack_garbage_is_a_compression_error() -> None:
    peer = Peer()
    fatal(peer, raw(HEADERS, END_HEADERS | END_STREAM, 1, b"\xff\xff\xff\xff\xff"), COMPRESSION)


def test_padded_headers_with_priority() -> None:
    peer = Peer()
    block = peer.block(GET)
    payload = bytes([3]) + u32(0) + b"\x10" + block + b"\0\0\0"
    peer.feed(raw(HEADERS, END_HEADERS | END_STREAM | PADDED | PRIORITY_FLAG, 1, payload))
    assert [type(e) for e in peer.events] == [RequestStarted, RequestEnded]


def test_headers_padding_too_long() -> None:
    peer = Peer()
    block = peer.block(GET)
    payload = bytes([len(block) + 1]) + block
    fatal(peer, raw(HEADERS, END_HEADERS | END_STREAM | PADDED, 1, payload), PROTOCOL)


def test_headers_depending_on_itself_is_a_stream_error() -> None:
    peer = Peer()
    payload = u32(1) + b"\x10" + peer.block(GET)
    peer.feed(raw(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1, payload))
    assert resets(peer.out()) == [(1, PROTOCOL)] and not peer.core.closed
    peer.feed(peer.headers(3))   # the HPACK table is still in step
    assert [type(e) for e in peer.events] == [RequestStarted, RequestEnded]


def test_plain_connect_is_refused() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, [(b":method", b"CONNECT"), (b":authority", b"h:443")], end=False))
    assert resets(peer.out()) == [(1, PROTOCOL)] and not peer.core.closed


# ------------------------------------------------------------------ CONTINUATION


def test_continuation_errors() -> None:
    peer = Peer()
    fatal(peer, raw(CONTINUATION, END_HEADERS, 1, b"\x82"), PROTOCOL)
    peer = Peer()
    fatal(peer, peer.headers(1, flags=0) + raw(CONTINUATION, END_HEADERS, 3, b""), PROTOCOL)
    peer = Peer()
    fatal(peer, peer.headers(1, flags=0) + raw(PING, 0, 0, b"12345678"), PROTOCOL)


# ------------------------------------------------------------------- DATA, states


def test_data_on_stream_zero_and_idle() -> None:
    fatal(Peer(), raw(DATA, 0, 0, b"x"), PROTOCOL)
    fatal(Peer(), raw(DATA, 0, 1, b"x"), PROTOCOL)


def test_data_padding_too_long() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, POST, end=False))
    fatal(peer, raw(DATA, PADDED, 1, bytes([5]) + b"abc"), PROTOCOL)


def test_data_after_end_stream_half_closed_remote() -> None:
    peer = Peer()
    peer.feed(peer.headers(1))
    peer.feed(raw(DATA, 0, 1, b"late"))
    assert StreamCancelled(1, STREAM_CLOSED) in peer.events
    assert resets(peer.out()) == [(1, STREAM_CLOSED)] and not peer.core.closed


def test_headers_after_end_stream_half_closed_remote() -> None:
    peer = Peer()
    peer.feed(peer.headers(1))
    peer.feed(peer.headers(1, [(b"x-trailer", b"1")]))
    assert resets(peer.out()) == [(1, STREAM_CLOSED)]


def test_data_on_stream_closed_by_both_ends_is_a_connection_error() -> None:
    peer = Peer()
    peer.feed(peer.headers(1))
    assert peer.core.send_headers(1, [(b":status", b"204")], end_stream=True)
    peer.core.stream_finished(1)
    peer.out()
    fatal(peer, raw(DATA, 0, 1, b"x"), STREAM_CLOSED)


def test_headers_on_stream_closed_by_both_ends_is_a_connection_error() -> None:
    peer = Peer()
    peer.feed(peer.headers(1))
    peer.core.send_headers(1, [(b":status", b"204")], end_stream=True)
    fatal(peer, peer.headers(1), STREAM_CLOSED)


def test_frames_after_our_reset_are_ignored_but_counted() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, POST, end=False))
    peer.core.reset(1, CANCEL)
    assert resets(peer.out()) == [(1, CANCEL)]
    events = peer.feed(raw(DATA, 0, 1, b"x" * 16_000) * 3 + peer.headers(1, [(b"x-t", b"1")]))
    assert events == [] and not peer.core.closed
    # the connection window is reopened for data the server dropped, too
    assert (0, 48_000) in updates(peer.out())


def test_frames_after_client_reset_are_stream_errors() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, POST, end=False))
    peer.feed(raw(RST_STREAM, 0, 1, u32(CANCEL)))
    assert peer.events == [StreamCancelled(1, CANCEL)]
    peer.feed(raw(DATA, 0, 1, b"x"))
    assert resets(peer.out()) == [(1, STREAM_CLOSED)] and not peer.core.closed


def test_reset_after_end_stream_cancels() -> None:
    peer = Peer()
    peer.feed(peer.headers(1))
    peer.feed(raw(RST_STREAM, 0, 1, u32(CANCEL)))
    assert peer.events == [StreamCancelled(1, CANCEL)]
    assert not peer.core.is_active(1)
    assert peer.core.send_headers(1, [(b":status", b"200")], end_stream=True) is False
    assert peer.core.send_data(1, b"x", True) == -1
    peer.feed(raw(RST_STREAM, 0, 1, u32(CANCEL)))   # a closed stream: ignored
    assert peer.events == [] and not peer.core.closed


@pytest.mark.parametrize(("frame", "code"), [
    (raw(RST_STREAM, 0, 0, u32(0)), PROTOCOL),
    (raw(RST_STREAM, 0, 9, u32(0)), PROTOCOL),       # idle
    (raw(RST_STREAM, 0, 1, b"\0\0\0"), FRAME_SIZE),
    (raw(WINDOW_UPDATE, 0, 9, u32(1)), PROTOCOL),    # idle
    (raw(WINDOW_UPDATE, 0, 0, u32(0)), PROTOCOL),
    (raw(WINDOW_UPDATE, 0, 0, b"\0\0\0\0\0"), FRAME_SIZE),
    (raw(WINDOW_UPDATE, 0, 0, u32(2**31 - 1)), FLOW),
    (raw(PRIORITY, 0, 0, u32(1) + b"\x10"), PROTOCOL),
])
def test_bad_stream_control_frames(frame: bytes, code: int) -> None:
    peer = Peer()
    peer.feed(peer.headers(1, end=False))
    fatal(peer, frame, code)


@pytest.mark.parametrize(("frame", "code"), [
    (raw(WINDOW_UPDATE, 0, 1, u32(0)), PROTOCOL),
    (raw(WINDOW_UPDATE, 0, 1, u32(2**31 - 1)), FLOW),
    (raw(PRIORITY, 0, 1, u32(0) + b"\x10\x00"), FRAME_SIZE),
    (raw(PRIORITY, 0, 1, u32(1) + b"\x10"), PROTOCOL),
    (raw(PRIORITY, 0, 7, u32(7) + b"\x10"), PROTOCOL),   # idle: still a stream error
])
def test_stream_errors(frame: bytes, code: int) -> None:
    peer = Peer()
    peer.feed(peer.headers(1, end=False))
    peer.feed(frame)
    sid = struct.unpack(">L", frame[5:9])[0]
    assert resets(peer.out()) == [(sid, code)] and not peer.core.closed
    assert peer.core.guard.server_resets == 1


def test_priority_is_ignored_and_does_not_open_streams() -> None:
    peer = Peer()
    peer.feed(raw(PRIORITY, 0, 5, u32(3) + b"\x20") + raw(PRIORITY, 0, 1, u32(0) + b"\x00"))
    assert peer.events == [] and peer.out() == []
    peer.feed(peer.headers(1))
    assert [type(e) for e in peer.events] == [RequestStarted, RequestEnded]
    peer.feed(peer.headers(5))
    assert peer.events == [peer.events[0], RequestEnded(5)]
    assert isinstance(peer.events[0], RequestStarted) and peer.events[0].stream_id == 5


def test_window_update_on_closed_stream_is_ignored() -> None:
    peer = Peer()
    peer.feed(peer.headers(1))
    peer.core.send_headers(1, [(b":status", b"204")], end_stream=True)
    peer.out()
    assert peer.feed(raw(WINDOW_UPDATE, 0, 1, u32(100))) == []
    assert peer.out() == [] and not peer.core.closed


def test_trailers_errors() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, POST, end=False))
    peer.feed(peer.headers(1, [(b"x-sum", b"1")], end=False))   # no END_STREAM
    assert resets(peer.out()) == [(1, PROTOCOL)]
    assert StreamCancelled(1, PROTOCOL) in peer.events
    peer.feed(peer.headers(3, POST, end=False))
    peer.feed(peer.headers(3, [(b":path", b"/x")]))               # pseudo-field in trailers
    assert resets(peer.out()) == [(3, PROTOCOL)] and not peer.core.closed


def test_stream_errors_are_charged_to_the_reset_guard() -> None:
    peer = Peer(Http2Limits(rapid_reset_rate=1.0, rapid_reset_burst=3))
    for sid in (1, 3, 5, 7):
        peer.feed(raw(PRIORITY, 0, sid, u32(sid) + b"\x10"))
    ended = peer.ended()
    assert ended is not None and ended.error_code == CALM
    assert goaway_code(peer.out()) == CALM


@pytest.mark.parametrize(("length", "frames"), [
    (b"3", [raw(DATA, END_STREAM, 1, b"four")]),                       # more than promised
    (b"5", [raw(DATA, 0, 1, b"ab"), raw(DATA, END_STREAM, 1, b"cd")]),  # fewer
    (b"2", [raw(DATA, PADDED, 1, bytes([1]) + b"abc" + b"\0")]),        # padding not counted
])
def test_content_length_must_match_the_body(length: bytes, frames: list[bytes]) -> None:
    peer = Peer()
    peer.feed(peer.headers(1, [*POST, (b"content-length", length)], end=False))
    for frame in frames:
        peer.feed(frame)
    assert resets(peer.out()) == [(1, PROTOCOL)] and not peer.core.closed


def test_content_length_matching_body_and_trailers() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, [*POST, (b"content-length", b"4")], end=False))
    peer.feed(raw(DATA, PADDED, 1, bytes([2]) + b"ab" + b"\0\0") + raw(DATA, 0, 1, b"cd"))
    peer.feed(peer.headers(1, [(b"x-t", b"1")]))
    assert peer.events[-1] == RequestEnded(1) and resets(peer.out()) == []
    peer.feed(peer.headers(3, [*POST, (b"content-length", b"4")], end=False))
    peer.feed(raw(DATA, 0, 3, b"ab") + peer.headers(3, [(b"x-t", b"1")]))   # trailers too early
    assert resets(peer.out()) == [(3, PROTOCOL)]


@pytest.mark.parametrize("fields", [
    [(b"content-length", b"1")],                                  # END_STREAM on HEADERS
    [(b"content-length", b"x1")],
    [(b"content-length", b"1"), (b"content-length", b"2")],
])
def test_bad_content_length_is_malformed(fields: list[tuple[bytes, bytes]]) -> None:
    peer = Peer()
    peer.feed(peer.headers(1, [*GET, *fields], end=True))
    assert resets(peer.out()) == [(1, PROTOCOL)]
    assert not any(isinstance(e, RequestStarted) for e in peer.events)


# ------------------------------------------------------------- the edges left


def test_short_invalid_preface() -> None:
    core = H2Core(Http2Limits(), 0.0)
    events = core.receive(b"PRI * HTTP/1.1", 0.0)
    assert isinstance(events[-1], ConnectionEnded) and events[-1].error_code == PROTOCOL


def test_single_headers_frame_over_the_block_cap() -> None:
    peer = Peer(Http2Limits(max_header_block_bytes=100))
    fatal(peer, peer.headers(1, [*GET, (b"x-pad", b"p" * 200)]), CALM)


def test_settings_flood() -> None:
    peer = Peer(Http2Limits(control_frame_rate=1.0, control_frame_burst=3))
    fatal(peer, settings() * 5, CALM)


def test_self_dependent_trailers() -> None:
    peer = Peer()
    peer.feed(peer.headers(1, POST, end=False))
    payload = u32(1) + b"\x10" + peer.block([(b"x-t", b"1")])
    peer.feed(raw(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1, payload))
    assert resets(peer.out()) == [(1, PROTOCOL)]


def test_bigger_windows_open_the_connection_window_too() -> None:
    peer = Peer(Http2Limits(initial_window_size=1_000_000))
    assert updates(peer.sent) == [(0, 1_000_000 - 65_535)]
    peer.feed(peer.headers(1, POST, end=False))
    peer.feed(raw(DATA, 0, 1, b"x" * 16_000) * 10)   # 160,000: past 65,535, within ours
    assert not peer.core.closed and resets(peer.out()) == []


def test_open_streams_window_and_timers_after_close() -> None:
    peer = Peer()
    peer.feed(peer.headers(1) + peer.headers(3, end=False))
    assert peer.core.open_streams == 2 and peer.core.window(1) == 65_535
    peer.core.stream_finished(1)
    assert peer.core.open_streams == 1 and peer.core.window(1) == 0
    peer.core.goaway(NO_ERROR, "bye")
    assert peer.core.next_deadline() is None and peer.core.on_timer(1e9) is None
    peer.core.reset(3)   # closed connection: nothing more is sent
    assert [type(f).__name__ for f in peer.out()] == ["RstStreamFrame", "GoAwayFrame"]


def test_many_distinct_response_heads_and_closed_streams() -> None:
    peer = Peer(Http2Limits(max_concurrent_streams=1000))
    for i in range(600):
        sid = 2 * i + 1
        peer.feed(peer.headers(sid))
        assert peer.core.send_headers(sid, [(b":status", b"200"), (b"x-n", b"%d" % i)], True)
        peer.core.stream_finished(sid)
    peer.out()
    # stream 1 is forgotten (only the last 512 closed streams are kept): a late
    # DATA on it is a stream error; stream 1199 is remembered as ended: fatal
    peer.feed(raw(DATA, 0, 1, b"x"))
    assert resets(peer.out()) == [(1, STREAM_CLOSED)] and not peer.core.closed
    fatal(peer, raw(DATA, 0, 1199, b"x"), STREAM_CLOSED)
