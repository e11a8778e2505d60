"""`H2Core` with header fields checked by `weft.protocols.http2.fields`:
a malformed request is a stream error (RST_STREAM(PROTOCOL_ERROR), RFC 9113
§8.1.1) and the connection goes on, bad response heads are a `ValueError`,
and repeated heads give equal, separate events."""

from __future__ import annotations

import h2.config
import h2.connection
import h2.events
import pytest
from h2.errors import ErrorCodes
from hpack import Encoder
from hyperframe.frame import GoAwayFrame, HeadersFrame, RstStreamFrame
from machine_support import parse
from weft.protocols.http2 import ConnectionEnded, H2Core, Http2Limits, RequestStarted


def pair() -> tuple[H2Core, h2.connection.H2Connection]:
    core = H2Core(Http2Limits(), 0.0)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                             header_encoding="utf-8"))
    c.initiate_connection()
    c.receive_data(core.data_to_send())
    return core, c


def raw_headers(c: h2.connection.H2Connection, sid: int, fields: list[tuple[bytes, bytes]]
                ) -> bytes:
    """A HEADERS frame h2's client would refuse to build (its own checks)."""
    frame = HeadersFrame(sid, flags=["END_HEADERS", "END_STREAM"])
    frame.data = Encoder().encode(fields)
    return c.data_to_send() + frame.serialize()


GOOD = [(b":method", b"GET"), (b":path", b"/"), (b":scheme", b"http"), (b":authority", b"h")]


@pytest.mark.parametrize("bad", [
    [*GOOD, (b"X-Upper", b"1")],
    [*GOOD, (b"connection", b"close")],
    [*GOOD, (b"te", b"gzip")],
    [*GOOD, (b"x", b"a\r\nb")],
    [(b":path", b"/"), *GOOD[:1], (b"accept", b"*/*"), (b":scheme", b"http")],
    [(b":method", b"GET"), (b":scheme", b"http"), (b":authority", b"h")],  # no :path
    [*GOOD, (b"host", b"other")],
])
def test_malformed_request_head_is_a_stream_error(bad: list[tuple[bytes, bytes]]) -> None:
    core, c = pair()
    events = core.receive(raw_headers(c, 1, bad), 0.1)
    assert not any(isinstance(e, (RequestStarted, ConnectionEnded)) for e in events)
    assert not core.closed and core.guard.server_resets == 1
    out = parse(core.data_to_send())
    assert [(f.stream_id, f.error_code) for f in out if isinstance(f, RstStreamFrame)] \
        == [(1, ErrorCodes.PROTOCOL_ERROR)]
    assert not any(isinstance(f, GoAwayFrame) for f in out)
    # The HPACK table stayed in step: the next request on the connection is served
    # (h2's client never saw stream 1, so it opens stream 3 next to it).
    c.send_headers(3, [(":method", "GET"), (":path", "/"), (":scheme", "http"),
                       (":authority", "h")], end_stream=True)
    assert [e.stream_id for e in core.receive(c.data_to_send(), 0.2)
            if isinstance(e, RequestStarted)] == [3]


def test_repeated_heads_give_equal_separate_events() -> None:
    core, c = pair()
    for sid in (1, 3):
        c.send_headers(sid, [(":method", "GET"), (":path", "/a?b"), (":scheme", "http"),
                             (":authority", "h"), ("cookie", "a=1"), ("cookie", "b=2")],
                       end_stream=True)
    first, second = [e for e in core.receive(c.data_to_send(), 0.1)
                     if isinstance(e, RequestStarted)]
    assert first.headers == second.headers == [("cookie", "a=1; b=2"), ("host", "h")]
    assert first.headers is not second.headers
    first.headers.append(("x", "y"))
    assert second.headers == [("cookie", "a=1; b=2"), ("host", "h")]
    assert (second.method, second.path, second.raw_query) == ("GET", "/a", "b")


def test_response_heads_are_checked_and_normalised() -> None:
    core, c = pair()
    for sid in (1, 3, 5):
        c.send_headers(sid, [(":method", "GET"), (":path", "/"), (":scheme", "http"),
                             (":authority", "h")], end_stream=True)
    core.receive(c.data_to_send(), 0.1)
    with pytest.raises(ValueError, match="TE"):
        core.send_headers(1, [(b":status", b"200"), (b"te", b"gzip")], end_stream=True)
    with pytest.raises(ValueError, match=":status"):
        core.send_headers(1, [(b"x", b"1")], end_stream=True)
    for sid in (1, 3):  # the second one comes from the memo
        assert core.send_headers(sid, [(b":status", b"200"), (b"X-A", b" v "),
                                       (b"keep-alive", b"5")], end_stream=True)
    got = c.receive_data(core.data_to_send())
    heads = [[(str(k), str(v)) for k, v in e.headers or ()] for e in got
             if isinstance(e, h2.events.ResponseReceived)]
    assert heads == [[(":status", "200"), ("x-a", "v")]] * 2
    assert core.send_headers(5, [(b":status", b"200")], end_stream=False)
    assert core.send_headers(5, [(b"x-trailer", b"1")], end_stream=True, trailers=True)
    got = c.receive_data(core.data_to_send())
    assert any(isinstance(e, h2.events.TrailersReceived) for e in got)
