"""The stream state table of `weft.protocols.http2.streams`, pair by pair
and in random sequences: what `H2Core` does for each (state, event) is what
`TRANSITIONS` says, a missing pair is a stream error (received) or a
refusal (sent), and none of it ever ends the connection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from machine_support import (
    DATA,
    END_STREAM,
    POST,
    RST_STREAM,
    WINDOW_UPDATE,
    Peer,
    goaway_code,
    raw,
    resets,
    u32,
)
from weft.protocols.http2.streams import (
    CLOSED,
    EVENTS,
    LOCAL_CLOSED,
    OPEN,
    RECV_DATA,
    RECV_END,
    RECV_HEADERS,
    RECV_RST,
    RECV_WINDOW,
    REMOTE_CLOSED,
    SEND_DATA,
    SEND_END,
    SEND_HEADERS,
    SEND_RST,
    STATE_NAMES,
    TRANSITIONS,
)

STREAM_CLOSED = 0x5
LIVE = (OPEN, REMOTE_CLOSED, LOCAL_CLOSED)


def in_state(state: int) -> Peer:
    peer = Peer()
    peer.feed(peer.headers(1, POST, end=state == REMOTE_CLOSED))
    if state == LOCAL_CLOSED:
        assert peer.core.send_headers(1, [(b":status", b"200")], end_stream=True)
    peer.out()
    assert peer.core.stream_state(1) == state
    return peer


def expected(state: int, event: int) -> int | None:
    """The model: the state after `event`, or None for a violation. A
    received END_STREAM rides on a frame (trailers, or an empty DATA)."""
    if state == CLOSED:
        return None
    if event in (RECV_HEADERS, RECV_END):
        carrier = RECV_HEADERS if event == RECV_HEADERS else RECV_DATA
        mid = TRANSITIONS.get((state, carrier))
        return None if mid is None else TRANSITIONS.get((mid, RECV_END))
    return TRANSITIONS.get((state, event))


def apply(peer: Peer, event: int) -> bool:
    """Do `event` on stream 1; False if the core refused or reset it."""
    core = peer.core
    if event == RECV_HEADERS:
        peer.feed(peer.headers(1, [(b"x-trailer", b"1")], end=True))
    elif event == RECV_DATA:
        peer.feed(raw(DATA, 0, 1, b"x"))
    elif event == RECV_END:
        peer.feed(raw(DATA, END_STREAM, 1, b""))
    elif event == RECV_WINDOW:
        peer.feed(raw(WINDOW_UPDATE, 0, 1, u32(1)))
    elif event == RECV_RST:
        peer.feed(raw(RST_STREAM, 0, 1, u32(0x8)))
    elif event == SEND_HEADERS:
        return core.send_headers(1, [(b":status", b"200")], end_stream=False)
    elif event == SEND_DATA:
        return core.send_data(1, b"x", False) == 1
    elif event == SEND_END:
        return core.send_data(1, b"", True) == 0
    elif event == SEND_RST:
        was = core.stream_state(1)
        core.reset(1, 0x8)
        return was != CLOSED
    return (1, STREAM_CLOSED) not in resets(peer.out())


@pytest.mark.parametrize("event", range(EVENTS))
@pytest.mark.parametrize("state", LIVE)
def test_every_pair(state: int, event: int) -> None:
    peer = in_state(state)
    want = expected(state, event)
    ok = apply(peer, event)
    assert ok == (want is not None), (STATE_NAMES[state], event)
    if want is not None:
        assert peer.core.stream_state(1) == want, (STATE_NAMES[state], event)
    elif event < SEND_HEADERS:
        # a received frame the state forbids: stream error, stream gone
        assert peer.core.stream_state(1) == CLOSED
    else:
        assert peer.core.stream_state(1) == state   # a refused send changes nothing
    assert goaway_code(peer.sent) is None and not peer.core.closed


def _rfc(state: int, event: int) -> int | None:
    """RFC 9113 §5.1 in words, written apart from the table: open takes
    anything; half-closed (remote) receives only WINDOW_UPDATE and
    RST_STREAM (PRIORITY is stateless); half-closed (local) sends only
    RST_STREAM (and WINDOW_UPDATE, which the server's receive side owns);
    END_STREAM closes the side that sent it; RST_STREAM closes both."""
    if event in (RECV_RST, SEND_RST):
        return CLOSED
    received = event < SEND_HEADERS
    if state == REMOTE_CLOSED and received and event != RECV_WINDOW:
        return None
    if state == LOCAL_CLOSED and not received:
        return None
    if event == RECV_END:
        return CLOSED if state == LOCAL_CLOSED else REMOTE_CLOSED
    if event == SEND_END:
        return CLOSED if state == REMOTE_CLOSED else LOCAL_CLOSED
    return state


def test_table_is_rfc_9113_section_5_1() -> None:
    for state in LIVE:
        for event in range(EVENTS):
            assert TRANSITIONS.get((state, event)) == _rfc(state, event), (
                STATE_NAMES[state], event)
    assert {s for s, _ in TRANSITIONS} == set(LIVE)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(LIVE), st.lists(st.integers(0, EVENTS - 1), max_size=8))
def test_random_sequences_follow_the_model(start: int, events: list[int]) -> None:
    peer = in_state(start)
    state = start
    for event in events:
        if state == CLOSED:
            break   # frames on closed streams: see test_h2_machine_errors
        want = expected(state, event)
        ok = apply(peer, event)
        assert ok == (want is not None)
        if want is not None:
            state = want
        elif event < SEND_HEADERS:
            state = CLOSED
        assert peer.core.stream_state(1) == state
        assert not peer.core.closed
