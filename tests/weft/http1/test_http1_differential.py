"""Differential and property tests: our parser against h11 as the strict
reference. Whatever h11 (as a server) refuses, we refuse too; whatever both
accept, both read the same way. One documented difference is excluded:
RFC 9112 2.2 says a server SHOULD ignore empty lines before a request line,
which we do (a few) and h11 does not."""

from __future__ import annotations

import h11
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from weft.protocols.http1 import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    Http1Parser,
    ParseError,
    RequestReceived,
)

Verdict = tuple[str, bytes, bytes, bytes]


def h11_first_request(data: bytes) -> Verdict:
    conn = h11.Connection(h11.SERVER)
    try:
        conn.receive_data(data)
        method = target = b""
        body = []
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA or ev is h11.PAUSED:
                return ("incomplete", b"", b"", b"")
            if isinstance(ev, h11.Request):
                method, target = ev.method, ev.target
            elif isinstance(ev, h11.Data):
                body.append(bytes(ev.data))
            elif isinstance(ev, h11.EndOfMessage):
                return ("ok", method, target, b"".join(body))
    except h11.RemoteProtocolError:
        return ("error", b"", b"", b"")


def weft_first_request(data: bytes, split: int | None = None) -> Verdict:
    p = Http1Parser()
    method = target = b""
    body = []
    pieces = [data] if not split else [data[i:i + split] for i in range(0, len(data), split)]
    for piece in pieces:
        p.feed(piece)
        while True:
            ev = p.next_event()
            if ev is NEED_DATA:
                break
            if ev is PAUSED:
                return ("incomplete", b"", b"", b"")
            if isinstance(ev, ParseError):
                return ("error", b"", b"", b"")
            if isinstance(ev, RequestReceived):
                r = ev.request
                method = r.method.encode("latin-1")
                target = (r.path + ("?" + r.raw_query if r.raw_query is not None else "")).encode()
                if ev.complete:
                    return ("ok", method, target, b"")
            elif isinstance(ev, Data):
                body.append(ev.data)
            elif ev is END_OF_MESSAGE:
                return ("ok", method, target, b"".join(body))
    return ("incomplete", b"", b"", b"")


METHODS = st.sampled_from([b"GET", b"POST", b"PUT", b"HEAD", b"OPTIONS", b"CONNECT", b"get", b"G T"])
TARGETS = st.sampled_from([b"/", b"/a/b?c=d", b"*", b"http://x.org/p", b"x.org:443", b"/\x7f", b"/#f"])
VERSIONS = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2", b"HTTP/2.0", b"HTTP/1.1 "])
FIELDS = st.sampled_from([
    b"Host: h", b"Host: h", b"Host: h", b"Host:", b"Host : h", b" Host: h", b"Host: h\tx",
    b"Content-Length: 3", b"Content-Length: 0", b"Content-Length: 03", b"Content-Length: +3",
    b"Content-Length: 3, 3", b"Content-Length:3 ", b"Content-Length: 3\x00",
    b"Transfer-Encoding: chunked", b"Transfer-Encoding: Chunked", b"Transfer-Encoding: gzip, chunked",
    b"Transfer-Encoding: chunked, gzip", b"Transfer-Encoding: identity", b"Transfer-Encoding:  chunked ",
    b"Transfer-Encoding: chunked\r\n x", b"Connection: close", b"Connection: keep-alive",
    b"Expect: 100-continue", b"X-A: b", b"X-A:b c", b"X\x01: y", b"X-A: \x80\xff",
])
BODIES = st.sampled_from([
    b"", b"abc", b"3\r\nabc\r\n0\r\n\r\n", b"3;x=y\r\nabc\r\n0\r\n\r\n", b"3 \r\nabc\r\n0\r\n\r\n",
    b"3\r\nabc\r\n0\r\nT: v\r\n\r\n", b"3\nabc\n0\n\n", b"0\r\n\r\n", b"x\r\n", b"3\r\nabcd\r\n0\r\n\r\n",
])
EOLS = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r"])


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    eol = draw(EOLS)
    head = draw(METHODS) + b" " + draw(TARGETS) + b" " + draw(VERSIONS) + b"\r\n"
    for field in draw(st.lists(FIELDS, max_size=5)):
        head += field + draw(EOLS if draw(st.booleans()) else st.just(b"\r\n"))
    data = head + eol + draw(BODIES)
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "replace", "delete"]))
        byte = draw(st.sampled_from([b"\r", b"\n", b" ", b"\t", b"\x00", b":", b";", b"0", b"a", b","]))
        if op == "insert":
            data = data[:i] + byte + data[i:]
        elif op == "replace":
            data = data[:i] + byte + data[i + 1:]
        else:
            data = data[:i] + data[i + 1:]
    return data


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_we_refuse_whatever_h11_refuses(data: bytes) -> None:
    if data.startswith((b"\r", b"\n")):
        return  # the documented RFC 9112 2.2 difference
    ref = h11_first_request(data)
    ours = weft_first_request(data)
    if ref[0] == "error":
        assert ours[0] != "ok", (data, ref, ours)
    if ref[0] == "ok" and ours[0] == "ok" and ref[2].startswith(b"/"):
        assert ours[1:] == ref[1:], (data, ref, ours)


@settings(max_examples=400, deadline=None)
@given(requests(), st.integers(1, 9))
def test_any_split_gives_the_same_verdict(data: bytes, split: int) -> None:
    assert weft_first_request(data, split) == weft_first_request(data)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 8))
def test_never_raises_on_arbitrary_bytes(data: bytes, split: int) -> None:
    weft_first_request(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + data, split)
    weft_first_request(data, split)
