"""`H2Core` flow control both ways, header blocks over CONTINUATION, padding,
trailers and tunnels, driven by h2's client side (which checks everything
the server sends against its own state machine) and by hand-built frames."""

from __future__ import annotations

import h2.config
import h2.connection
import h2.events
import pytest
from h2.settings import SettingCodes
from hyperframe.frame import ContinuationFrame, DataFrame, HeadersFrame
from hypothesis import given, settings
from hypothesis import strategies as st
from machine_support import (
    ACK,
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    HEADERS,
    PADDED,
    POST,
    SETTINGS,
    WINDOW_UPDATE,
    Peer,
    goaway_code,
    raw,
    resets,
    u32,
    updates,
)
from machine_support import settings as settings_frame
from weft.protocols.http2 import (
    PREFACE,
    ConnectionEnded,
    Event,
    H2Core,
    Http2Limits,
    RequestData,
    RequestEnded,
    RequestStarted,
    RequestTrailers,
    StreamCancelled,
    WindowOpened,
)
from weft.protocols.http2.events import TunnelRequested

FLOW, NO_ERROR, CANCEL = 0x3, 0x0, 0x8


def client(settings: dict[SettingCodes, int] | None = None) -> h2.connection.H2Connection:
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                             header_encoding="utf-8"))
    if settings:
        c.local_settings = h2.settings.Settings(client=True, initial_values=settings)
    c.initiate_connection()
    return c


def pair(limits: Http2Limits | None = None, settings: dict[SettingCodes, int] | None = None
         ) -> tuple[H2Core, h2.connection.H2Connection]:
    core = H2Core(limits or Http2Limits(), 0.0)
    c = client(settings)
    c.receive_data(core.data_to_send())
    core.receive(c.data_to_send(), 0.0)
    c.receive_data(core.data_to_send())   # the ACK of the client's SETTINGS
    core.receive(c.data_to_send(), 0.0)   # the client's ACK of ours
    return core, c


def get(c: h2.connection.H2Connection, sid: int, end: bool = True,
        method: str = "GET") -> None:
    c.send_headers(sid, [(":method", method), (":path", "/"), (":scheme", "http"),
                         (":authority", "h")], end_stream=end)


def exchange(core: H2Core, c: h2.connection.H2Connection) -> list[h2.events.Event]:
    """Deliver the server's output to the client (which checks it)."""
    return c.receive_data(core.data_to_send())


def body(evs: list[h2.events.Event], sid: int) -> bytes:
    return b"".join(e.data for e in evs
                    if isinstance(e, h2.events.DataReceived) and e.stream_id == sid)


# ------------------------------------------------------------- receiving


def test_large_upload_keeps_flowing_with_window_updates() -> None:
    core, c = pair()
    get(c, 1, end=False, method="POST")
    core.receive(c.data_to_send(), 0.0)
    payload = bytes(range(256)) * 1200   # 307,200 bytes: beyond every initial window
    sent, got = 0, bytearray()
    ended = False
    for _ in range(200):
        room = min(c.local_flow_control_window(1), len(payload) - sent, 16_384)
        if room:
            last = sent + room == len(payload)
            c.send_data(1, payload[sent:sent + room], end_stream=last)
            sent += room
        for ev in core.receive(c.data_to_send(), 0.0):
            if isinstance(ev, RequestData):
                got += ev.data
            ended = ended or isinstance(ev, RequestEnded)
        exchange(core, c)   # WINDOW_UPDATEs back to the client
        if ended:
            break
    assert ended and bytes(got) == payload and not core.closed


def test_stream_window_overrun_is_a_stream_error() -> None:
    peer = Peer(Http2Limits(initial_window_size=1000))
    peer.feed(peer.headers(1, POST, end=False))
    peer.feed(raw(DATA, 0, 1, b"x" * 1001))
    assert resets(peer.out()) == [(1, FLOW)] and not peer.core.closed


def test_connection_window_overrun_is_a_connection_error() -> None:
    peer = Peer(Http2Limits(max_frame_size=100_000))
    peer.feed(peer.headers(1, POST, end=False))
    peer.feed(raw(DATA, 0, 1, b"x" * 65_536))
    ended = peer.ended()
    assert ended is not None and ended.error_code == FLOW
    assert goaway_code(peer.out()) == FLOW


def test_stream_window_is_the_default_until_our_settings_are_acknowledged() -> None:
    peer = Peer(Http2Limits(initial_window_size=1000), ack=False)
    peer.feed(peer.headers(1, POST, end=False))
    peer.feed(raw(DATA, 0, 1, b"x" * 16_000) * 2)   # fine under the default 65,535
    assert [len(e.data) for e in peer.events if isinstance(e, RequestData)] == [16_000] * 2
    peer.feed(raw(SETTINGS, ACK, 0))                  # now 1000 - 32,000 + what was granted
    peer.feed(raw(DATA, 0, 1, b"x" * 16_000))
    assert resets(peer.out()) == [(1, FLOW)]


def test_padding_is_stripped_and_counted_in_flow_control() -> None:
    peer = Peer(Http2Limits(initial_window_size=100))
    peer.feed(peer.headers(1, POST, end=False))
    peer.feed(raw(DATA, PADDED, 1, bytes([40]) + b"abc" + b"\0" * 40))   # 44 bytes
    assert peer.events == [RequestData(1, b"abc")]
    peer.feed(raw(DATA, PADDED, 1, bytes([10]) + b"d" + b"\0" * 10))      # 12 more: 56 >= 50
    assert (1, 56) in updates(peer.out())
    peer.feed(raw(DATA, PADDED | END_STREAM, 1, b"\0"))                 # only a pad length
    assert peer.events == [RequestEnded(1)]


def test_header_block_over_continuation_in_any_chunking() -> None:
    peer = Peer()
    fields = [*POST, (b"x-long", b"v" * 3000)]
    block = peer.block(fields)
    wire = (raw(HEADERS, END_STREAM, 1, block[:10]) + raw(CONTINUATION, 0, 1, block[10:1000])
            + raw(CONTINUATION, 0, 1, block[1000:1001])
            + raw(CONTINUATION, END_HEADERS, 1, block[1001:]))
    events: list[Event] = []
    for at in range(0, len(wire), 7):
        events += peer.core.receive(wire[at:at + 7], 0.0)
    assert [type(e) for e in events] == [RequestStarted, RequestEnded]
    started = events[0]
    assert isinstance(started, RequestStarted) and ("x-long", "v" * 3000) in started.headers


def test_trailers_end_the_request() -> None:
    core, c = pair()
    get(c, 1, end=False, method="POST")
    c.send_data(1, b"abc")
    c.send_headers(1, [("x-sum", "7")], end_stream=True)
    events = core.receive(c.data_to_send(), 0.0)
    assert events[-2:] == [RequestTrailers(1, [("x-sum", "7")]), RequestEnded(1)]


# --------------------------------------------------------------- sending


def test_send_window_honours_peer_initial_window_and_negative_windows() -> None:
    core, c = pair(settings={SettingCodes.INITIAL_WINDOW_SIZE: 1000})
    get(c, 1)
    core.receive(c.data_to_send(), 0.0)
    assert core.send_headers(1, [(b":status", b"200")], end_stream=False)
    assert core.window(1) == 1000
    assert core.send_data(1, b"a" * 5000, True) == 1000
    exchange(core, c)
    c.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 100})   # window now 100 - 1000
    events = core.receive(c.data_to_send(), 0.0)
    assert WindowOpened(0) in events
    exchange(core, c)
    assert core.window(1) == 0 and core.send_data(1, b"a" * 4000, True) == 0
    c.increment_flow_control_window(950, stream_id=1)            # -900 + 950
    events = core.receive(c.data_to_send(), 0.0)
    assert WindowOpened(1) in events and core.window(1) == 50
    assert core.send_data(1, b"a" * 4000, True) == 50
    got = exchange(core, c)   # h2's client raises if a window was overrun
    assert len(body(got, 1)) == 50


def test_settings_raising_a_window_past_the_maximum() -> None:
    peer = Peer()
    peer.feed(peer.headers(1))
    peer.feed(raw(WINDOW_UPDATE, 0, 1, u32(2**31 - 1 - 65_535)))
    assert not peer.core.closed
    peer.feed(settings_frame((0x4, 65_536)))
    ended = peer.ended()
    assert ended is not None and ended.error_code == FLOW


def test_frames_follow_peer_max_frame_size_and_long_heads_use_continuation() -> None:
    core, c = pair(settings={SettingCodes.MAX_FRAME_SIZE: 20_000,
                             SettingCodes.INITIAL_WINDOW_SIZE: 2**20})
    c.increment_flow_control_window(2**20)
    c.max_inbound_frame_size = 20_000   # h2 applies its own setting only once changed
    get(c, 1)
    core.receive(c.data_to_send(), 0.0)
    head = [(b":status", b"200"), (b"x-big", b"q" * 30_000)]
    assert core.send_headers(1, head, end_stream=False)
    assert core.send_data(1, b"z" * 50_000, True) == 50_000
    out = core.data_to_send()
    frames = []
    pos = 0
    while pos < len(out):
        n = int.from_bytes(out[pos:pos + 3], "big")
        frames.append((out[pos + 3], n))
        pos += 9 + n
    assert [t for t, _ in frames if t == DATA] == [DATA] * 3
    assert max(n for _, n in frames) <= 20_000
    assert CONTINUATION in [t for t, _ in frames]
    got = c.receive_data(out)
    heads = [e for e in got if isinstance(e, h2.events.ResponseReceived)]
    assert ("x-big", "q" * 30_000) in [(str(k), str(v)) for k, v in heads[0].headers or ()]
    assert body(got, 1) == b"z" * 50_000


def test_peer_header_table_size_zero() -> None:
    core, c = pair(settings={SettingCodes.HEADER_TABLE_SIZE: 0})
    for sid in (1, 3):
        get(c, sid)
        core.receive(c.data_to_send(), 0.0)
        assert core.send_headers(sid, [(b":status", b"200"), (b"x-a", b"b")], end_stream=True)
        got = exchange(core, c)   # h2's decoder fails if the table were used
        assert any(isinstance(e, h2.events.ResponseReceived) for e in got)


def test_trailers_must_end_the_stream() -> None:
    core, c = pair()
    get(c, 1)
    core.receive(c.data_to_send(), 0.0)
    core.send_headers(1, [(b":status", b"200")], end_stream=False)
    with pytest.raises(ValueError, match="trailers"):
        core.send_headers(1, [(b"x-t", b"1")], end_stream=False, trailers=True)


@pytest.mark.parametrize(("complete", "code"), [(True, NO_ERROR), (False, CANCEL)])
def test_finished_while_client_still_sends(complete: bool, code: int) -> None:
    peer = Peer()
    peer.feed(peer.headers(1, POST, end=False))
    assert peer.core.send_headers(1, [(b":status", b"413")], end_stream=complete)
    peer.core.stream_finished(1)
    assert resets(peer.out()) == [(1, code)]
    assert peer.feed(raw(DATA, END_STREAM, 1, b"rest")) == []   # in flight: ignored


def test_extended_connect_tunnel() -> None:
    core, c = pair()
    assert c.remote_settings[SettingCodes.ENABLE_CONNECT_PROTOCOL] == 1
    c.send_headers(1, [(":method", "CONNECT"), (":protocol", "websocket"), (":path", "/ws"),
                       (":scheme", "http"), (":authority", "h")], end_stream=False)
    events = core.receive(c.data_to_send(), 0.0)
    assert events == [TunnelRequested(1, "websocket", "/ws", None, "http", "h",
                                      [("host", "h")])]
    assert core.send_headers(1, [(b":status", b"200")], end_stream=False)
    assert core.send_data(1, b"frame", False) == 5
    got = exchange(core, c)
    assert body(got, 1) == b"frame"
    c.send_data(1, b"back", end_stream=True)
    assert core.receive(c.data_to_send(), 0.0) == [RequestData(1, b"back"), RequestEnded(1)]


# ------------------------------------------------------- chunking property


def _conversation() -> bytes:
    c = client()
    c.local_settings.acknowledge()
    wire = c.data_to_send() + raw(SETTINGS, ACK, 0)
    get(c, 1)
    get(c, 3, end=False, method="POST")
    c.send_data(3, b"p" * 16_000, pad_length=17)
    c.send_data(3, b"q" * 9_000, pad_length=3)
    c.send_headers(3, [("x-sum", "1")], end_stream=True)
    c.send_headers(5, [(":method", "GET"), (":path", "/long"), (":scheme", "http"),
                       (":authority", "h"), ("x-v", "y" * 20_000)], end_stream=True)
    c.ping(b"12345678")
    c.reset_stream(1)
    return wire + c.data_to_send()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9000), max_size=10))
def test_events_do_not_depend_on_chunking(cuts: list[int]) -> None:
    wire = _conversation()
    whole = H2Core(Http2Limits(max_header_list_size=10**6), 0.0)
    expected = whole.receive(wire, 0.0)
    pieces = H2Core(Http2Limits(max_header_list_size=10**6), 0.0)
    got: list[Event] = []
    at = 0
    for cut in cuts:
        got += pieces.receive(wire[at:at + cut], 0.0)
        at += cut
    got += pieces.receive(wire[at:], 0.0)
    assert got == expected
    assert not any(isinstance(e, ConnectionEnded) for e in got)
    assert [type(e) for e in got if not isinstance(e, (RequestData, WindowOpened))] == [
        RequestStarted, RequestEnded, RequestStarted, RequestTrailers, RequestEnded,
        RequestStarted, RequestEnded, StreamCancelled]
    assert whole.data_to_send() == pieces.data_to_send()


def test_hyperframe_agrees_with_hand_built_frames() -> None:
    """The test helpers' frames are what hyperframe builds (helper sanity)."""
    assert raw(DATA, END_STREAM, 3, b"x") == DataFrame(3, data=b"x", flags=["END_STREAM"]
                                                       ).serialize()
    assert raw(HEADERS, END_HEADERS, 1, b"\x82") == HeadersFrame(
        1, data=b"\x82", flags=["END_HEADERS"]).serialize()
    assert raw(CONTINUATION, 0, 1, b"") == ContinuationFrame(1).serialize()
    assert PREFACE.startswith(b"PRI")


def test_repeated_block_after_a_table_change_is_decoded_again() -> None:
    """The same block bytes mean other fields once the client's table has
    changed: the head memo must not answer for them (`heads.HeadMemo`)."""
    peer = Peer()
    # :method GET, :path /, :scheme http (static), :authority h (literal, not indexed)
    base = b"\x82\x84\x86\x01\x01h"
    add_a = base + b"\x40\x03x-a\x011"   # literal with indexing: x-a: 1 becomes index 62
    add_b = base + b"\x40\x03x-b\x012"   # then x-b: 2 is 62 and x-a: 1 is 63
    again = base + b"\xbe"                # index 62
    seen = []
    for sid, block in ((1, add_a), (3, again), (5, again), (7, add_b), (9, again)):
        peer.feed(raw(HEADERS, END_HEADERS | END_STREAM, sid, block))
        started = [e for e in peer.events if isinstance(e, RequestStarted)]
        seen.append([h for h in started[0].headers if h[0].startswith("x-")])
    assert seen == [[("x-a", "1")]] * 3 + [[("x-b", "2")]] * 2
