"""Hostile input never breaks `H2Core`: any sequence of frames (random
types, flags, stream ids and payloads, HPACK blocks valid or not) gives
events or a GOAWAY, never an exception, and everything the server sends
is well-formed HTTP/2 that hyperframe parses."""

from __future__ import annotations

from hyperframe.frame import GoAwayFrame, RstStreamFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from machine_support import GET, Peer, parse, raw
from weft.protocols.http2 import ConnectionEnded, Http2Limits, RequestStarted

_frame = st.tuples(
    st.integers(0, 11),                                   # type (10, 11: unknown)
    st.integers(0, 255),                                  # flags
    st.sampled_from([0, 1, 2, 3, 5, 7, 2**31 - 1]),       # stream id
    st.one_of(st.binary(max_size=24), st.sampled_from([b"\x82\x86\x84\x41\x01h",
                                                       b"\0\0\0\0", b"\0\0\0\x01\x10"])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_frame, max_size=12), st.integers(1, 64))
def test_random_frames_never_raise(frames: list[tuple[int, int, int, bytes]], cut: int) -> None:
    peer = Peer(Http2Limits(rapid_reset_burst=5, control_frame_burst=5))
    wire = peer.headers(1, GET, end=False) + b"".join(raw(*f) for f in frames)
    events = []
    for at in range(0, len(wire), cut):
        events += peer.core.receive(wire[at:at + cut], 0.0)
    out = parse(peer.core.data_to_send())   # raises if a frame is malformed
    ended = [e for e in events if isinstance(e, ConnectionEnded) and not e.by_peer]
    goaways = [f for f in out if isinstance(f, GoAwayFrame)]
    assert len(goaways) == len(ended) <= 1
    if goaways:
        assert out[-1] is goaways[0]   # nothing after our GOAWAY
        assert peer.core.closed
    assert all(f.stream_id for f in out if isinstance(f, RstStreamFrame))
    assert [e.stream_id for e in events if isinstance(e, RequestStarted)][:1] == [1]
