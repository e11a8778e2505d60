"""Response bytes: precomputed blocks, date, framing rules, header checks."""

from __future__ import annotations

import h11
import pytest
from weft.http_types import Response
from weft.protocols.http1 import DateClock, ResponseSerializer, encode_chunk


def ser() -> ResponseSerializer:
    clock = DateClock()
    clock.tick(784111777.0)
    return ResponseSerializer(clock)


def parse(data: bytes, method: bytes = b"GET") -> tuple[h11.Response, bytes]:
    """Read our bytes with h11 as a strict client."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=method, target="/", headers=[("host", "x")]))
    client.send(h11.EndOfMessage())
    client.receive_data(data)
    head = client.next_event()
    assert isinstance(head, h11.Response)
    body = b""
    while True:
        ev = client.next_event()
        if isinstance(ev, h11.Data):
            body += ev.data
        elif isinstance(ev, h11.EndOfMessage):
            return head, body
        else:
            raise AssertionError(ev)


def test_plain_response_is_valid_http() -> None:
    data, keep = ser().encode(Response(200, [("content-type", "text/plain")], b"hi"), False, True, False)
    assert keep
    head, body = parse(data)
    assert head.status_code == 200 and body == b"hi"
    assert (b"date", b"Sun, 06 Nov 1994 08:49:37 GMT") in head.headers
    assert (b"content-length", b"2") in head.headers


def test_head_keeps_length_drops_body_and_204_has_neither() -> None:
    s = ser()
    data, _ = s.encode(Response(200, [], b"hello"), True, True, False)
    head, body = parse(data, b"HEAD")
    assert (b"content-length", b"5") in head.headers and body == b""
    data, _ = s.encode(Response(204, [], b"ignored"), False, True, False)
    assert b"content-length" not in data and data.endswith(b"\r\n\r\n")


def test_handler_framing_headers_are_replaced_and_close_is_honoured() -> None:
    data, keep = ser().encode(Response(200, [("Content-Length", "99"), ("Transfer-Encoding", "gzip"),
                                             ("Connection", "close")], b"abc"), False, True, False)
    assert not keep
    head, body = parse(data)
    assert body == b"abc" and (b"connection", b"close") in head.headers
    assert b"content-length: 99" not in data and b"gzip" not in data


def test_http10_keep_alive_is_explicit() -> None:
    data, keep = ser().encode(Response(200), False, True, True)
    assert keep and b"connection: keep-alive\r\n" in data


@pytest.mark.parametrize("headers", [[("x", "a\r\nInjected: 1")], [("bad name", "v")], [("x", "\x00")]])
def test_response_splitting_is_refused(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):
        ser().encode(Response(200, headers), False, True, False)


def test_stream_heads() -> None:
    s = ser()
    head, keep, length = s.encode_stream_head(Response(200), False, True, False)
    assert b"transfer-encoding: chunked" in head and keep and length is None
    head, keep, length = s.encode_stream_head(Response(200, [("content-length", "5")]), False, True, False)
    assert b"content-length: 5" in head and length == 5
    head, keep, _ = s.encode_stream_head(Response(200), False, True, True)
    assert not keep and b"connection: close" in head
    assert encode_chunk(b"hello") == b"5\r\nhello\r\n"


def test_date_clock_changes_once_a_second() -> None:
    clock = DateClock()
    clock.tick(1000.1)
    first = clock.line
    clock.tick(1000.9)
    assert clock.line is first
    clock.tick(1001.0)
    assert clock.line != first and clock.line.startswith(b"date: ")
