"""The sans-IO request parser: framing, strictness, limits, linear cost."""

from __future__ import annotations

import pytest
from weft.protocols.http1 import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    TRANSITIONS,
    Data,
    Event,
    Http1Limits,
    Http1Parser,
    Input,
    ParseError,
    RequestReceived,
    State,
)


def events(data: bytes, limits: Http1Limits | None = None, split: int | None = None) -> list[Event]:
    p = Http1Parser(limits)
    out: list[Event] = []
    pieces = [data] if split is None else [data[i:i + split] for i in range(0, len(data), split)]
    for piece in pieces:
        p.feed(piece)
        while True:
            ev = p.next_event()
            if ev is NEED_DATA:
                break
            out.append(ev)
            if ev is PAUSED:
                return out
    return out


def first_error(data: bytes, limits: Http1Limits | None = None) -> ParseError | None:
    for ev in events(data, limits):
        if isinstance(ev, ParseError):
            return ev
    return None


def body_of(evs: list[Event]) -> bytes:
    return b"".join(e.data for e in evs if isinstance(e, Data))


def test_simple_get() -> None:
    evs = events(b"GET /a/b?x=1&y HTTP/1.1\r\nHost: example.com\r\nX-Thing:  a  b \r\n\r\n")
    assert len(evs) == 1
    ev = evs[0]
    assert isinstance(ev, RequestReceived) and ev.complete and ev.keep_alive
    r = ev.request
    assert (r.method, r.path, r.raw_query, r.http_version) == ("GET", "/a/b", "x=1&y", "1.1")
    assert list(r.headers) == [("host", "example.com"), ("x-thing", "a  b")]


@pytest.mark.parametrize("split", [None, 1, 2, 3, 7])
def test_bodies_any_split(split: int | None) -> None:
    data = (b"POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
            b"PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6;name=val;q=\"a b\"\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
            b"GET /last HTTP/1.1\r\nHost: h\r\n\r\n")
    evs = events(data, split=split)
    heads = [e for e in evs if isinstance(e, RequestReceived)]
    assert [h.request.path for h in heads] == ["/u", "/c", "/last"]
    assert sum(1 for e in evs if e is END_OF_MESSAGE) == 2
    assert body_of(evs) == b"hello worldhello world"
    assert not any(isinstance(e, ParseError) for e in evs)


def test_http10_defaults_to_close_and_keep_alive_opt_in() -> None:
    ev = events(b"GET / HTTP/1.0\r\n\r\n")
    assert isinstance(ev[0], RequestReceived) and not ev[0].keep_alive
    assert ev[-1] is PAUSED
    ev = events(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n")
    heads = [e for e in ev if isinstance(e, RequestReceived)]
    assert heads[0].keep_alive and not heads[1].keep_alive


def test_connection_close_stops_parsing() -> None:
    ev = events(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n")
    assert isinstance(ev[0], RequestReceived) and not ev[0].keep_alive
    assert ev[1:] == [PAUSED]


def test_expect_continue_flag_and_417() -> None:
    ev = events(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n")
    assert isinstance(ev[0], RequestReceived) and ev[0].expect_continue
    err = first_error(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: nothing\r\nContent-Length: 2\r\n\r\nab")
    assert err is not None and err.status == 417
    ev = events(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab")
    assert isinstance(ev[0], RequestReceived) and not ev[0].expect_continue


def test_target_forms() -> None:
    ev = events(b"GET http://Example.com:80/p/q?z=1 HTTP/1.1\r\nHost: other\r\n\r\n")[0]
    assert isinstance(ev, RequestReceived)
    assert (ev.request.path, ev.request.raw_query) == ("/p/q", "z=1")
    assert ev.request.headers.get("host") == "Example.com:80"
    ev = events(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")[0]
    assert isinstance(ev, RequestReceived) and ev.request.path == "*"
    ev = events(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")[0]
    assert isinstance(ev, RequestReceived) and ev.request.path == "example.com:443"


def test_leading_empty_lines_are_ignored_but_bounded() -> None:
    ev = events(b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert isinstance(ev[0], RequestReceived)
    assert first_error(b"\r\n" * 10 + b"GET / HTTP/1.1\r\nHost: h\r\n\r\n") is not None


# Every shape below must be refused with the given status (RFC 9112 and the
# request-smuggling literature). The parser stops after the error.
H = b"Host: h\r\n"
REJECTED: list[tuple[str, bytes, int]] = [
    ("cl+te", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("te+cl", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
    ("cl twice same", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
    ("cl conflicting", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ("cl list", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3, 3\r\n\r\nabc", 400),
    ("cl plus", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: +3\r\n\r\nabc", 400),
    ("cl minus", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -3\r\n\r\n", 400),
    ("cl inner space", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 1 2\r\n\r\n", 400),
    ("cl hex", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 0x3\r\n\r\nabc", 400),
    ("cl empty", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: \r\n\r\n", 400),
    ("cl unicode digit", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: \xb2\r\n\r\n", 400),
    ("te gzip only", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n", 400),
    ("te chunked not last", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("te chunked twice", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, chunked\r\n\r\n", 400),
    ("te two fields", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("te gzip then chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ("te identity", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: identity\r\n\r\n", 400),
    ("te chunked-ish", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: xchunked\r\n\r\n", 400),
    ("te empty element", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: , chunked\r\n\r\n", 400),
    ("te on http/1.0", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te vertical tab", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: \x0bchunked\r\n\r\n", 400),
    ("te space before colon", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding : chunked\r\n\r\n", 400),
    ("tab before colon", b"GET / HTTP/1.1\r\n" + H + b"X-A\t: 1\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\n" + H + b"X-A: 1\r\n  continued\r\n\r\n", 400),
    ("obs-fold tab", b"GET / HTTP/1.1\r\n" + H + b"X-A: 1\r\n\tcontinued\r\n\r\n", 400),
    ("first field folded", b"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400),
    ("bare lf in head", b"GET / HTTP/1.1\nHost: h\n\n", 400),
    ("bare lf after field", b"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400),
    ("bare cr in value", b"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400),
    ("nul in value", b"GET / HTTP/1.1\r\nHost: h\x00\r\n\r\n", 400),
    ("del in value", b"GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n", 400),
    ("ctl in name", b"GET / HTTP/1.1\r\nHo\x01st: h\r\n\r\n", 400),
    ("non-token name", b"GET / HTTP/1.1\r\n" + H + b"X(y): 1\r\n\r\n", 400),
    ("empty name", b"GET / HTTP/1.1\r\n" + H + b": 1\r\n\r\n", 400),
    ("no colon", b"GET / HTTP/1.1\r\n" + H + b"garbage\r\n\r\n", 400),
    ("missing host", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("missing host with cl", b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400),
    ("two hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("lowercase version", b"GET / http/1.1\r\n" + H + b"\r\n", 400),
    ("bad version", b"GET / HTTP/1.1.1\r\n" + H + b"\r\n", 400),
    ("two spaces", b"GET  / HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("tab separator", b"GET\t/ HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("no version", b"GET /\r\n" + H + b"\r\n", 400),
    ("space in target", b"GET /a b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("non-ascii target", b"GET /\xc3\xa9 HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("http/2.0", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505),
    ("http/0.9", b"GET / HTTP/0.9\r\n" + H + b"\r\n", 505),
    ("asterisk with get", b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("authority without connect", b"GET example.com:80 HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("connect with origin form", b"CONNECT / HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("absolute ftp", b"GET ftp://x/ HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("absolute userinfo", b"GET http://u@x/ HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("absolute empty authority", b"GET http:///x HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("method not a token", b"G(T / HTTP/1.1\r\n" + H + b"\r\n", 400),
]

CHUNKED = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
REJECTED += [
    ("chunk size not hex", CHUNKED + b"g\r\nx\r\n0\r\n\r\n", 400),
    ("chunk size empty", CHUNKED + b"\r\nx\r\n0\r\n\r\n", 400),
    ("chunk size negative", CHUNKED + b"-1\r\nx\r\n0\r\n\r\n", 400),
    ("chunk size 0x prefix", CHUNKED + b"0x1\r\nx\r\n0\r\n\r\n", 400),
    ("chunk size space", CHUNKED + b"1 \r\nx\r\n0\r\n\r\n", 400),
    ("chunk size leading space", CHUNKED + b" 1\r\nx\r\n0\r\n\r\n", 400),
    ("chunk size too many digits", CHUNKED + b"00000000000000001\r\nx\r\n0\r\n\r\n", 400),
    ("chunk size bare lf", CHUNKED + b"1\nx\r\n0\r\n\r\n", 400),
    ("chunk ext no name", CHUNKED + b"1;\r\nx\r\n0\r\n\r\n", 400),
    ("chunk ext bad value", CHUNKED + b"1;a=b c\r\nx\r\n0\r\n\r\n", 400),
    ("chunk ext unterminated quote", CHUNKED + b"1;a=\"b\r\nx\r\n0\r\n\r\n", 400),
    ("chunk ext ctl", CHUNKED + b"1;a\x00\r\nx\r\n0\r\n\r\n", 400),
    ("chunk data too long", CHUNKED + b"1\r\nxy\r\n0\r\n\r\n", 400),
    ("chunk data bare lf", CHUNKED + b"1\r\nx\n0\r\n\r\n", 400),
    ("trailer obs-fold", CHUNKED + b"0\r\nX: 1\r\n folded\r\n\r\n", 400),
    ("trailer bad name", CHUNKED + b"0\r\nX y: 1\r\n\r\n", 400),
    ("trailer bare lf", CHUNKED + b"0\r\nX: 1\n\r\n", 400),
]


@pytest.mark.parametrize(("name", "data", "status"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_shapes(name: str, data: bytes, status: int) -> None:
    evs = events(data)
    errors = [e for e in evs if isinstance(e, ParseError)]
    assert len(errors) == 1, (name, evs)
    assert errors[0].status == status, (name, errors[0])
    assert evs[-1] is errors[0] or evs[-1] is PAUSED
    # No body byte ever reaches the application from a rejected request.
    assert body_of(evs) == b"" or name.startswith(("chunk data", "trailer"))


@pytest.mark.parametrize(("name", "data", "status"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_shapes_when_trickled(name: str, data: bytes, status: int) -> None:
    errors = [e for e in events(data, split=1) if isinstance(e, ParseError)]
    assert [e.status for e in errors] == [status], name


def test_after_error_everything_is_ignored() -> None:
    p = Http1Parser()
    p.feed(b"GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n")
    assert isinstance(p.next_event(), ParseError)
    p.feed(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert p.next_event() is PAUSED
    assert p.state is State.ERROR


# ------------------------------------------------------------------ limits

def test_request_line_limit_414() -> None:
    limits = Http1Limits(max_request_line=100)
    ok = b"GET /" + b"a" * 80 + b" HTTP/1.1\r\nHost: h\r\n\r\n"
    assert isinstance(events(ok, limits)[0], RequestReceived)
    long = b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: h\r\n\r\n"
    assert [e.status for e in events(long, limits) if isinstance(e, ParseError)] == [414]
    # Detected before the line ends, while it trickles in.
    p = Http1Parser(limits)
    p.feed(b"GET /" + b"a" * 150)
    ev = p.next_event()
    assert isinstance(ev, ParseError) and ev.status == 414


def test_header_bytes_limit_431() -> None:
    limits = Http1Limits(max_header_bytes=1024)
    data = b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + b"v" * 2000 + b"\r\n\r\n"
    assert [e.status for e in events(data, limits) if isinstance(e, ParseError)] == [431]
    p = Http1Parser(limits)
    p.feed(data[:1500])  # incomplete head already over the limit
    ev = p.next_event()
    assert isinstance(ev, ParseError) and ev.status == 431


def test_header_count_limit_431() -> None:
    limits = Http1Limits(max_header_count=10)
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(9))
    assert isinstance(events(b"GET / HTTP/1.1\r\nHost: h\r\n" + fields + b"\r\n", limits)[0],
                      RequestReceived)
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(10))
    evs = events(b"GET / HTTP/1.1\r\nHost: h\r\n" + fields + b"\r\n", limits)
    assert isinstance(evs[0], ParseError) and evs[0].status == 431


def test_body_limit_413_declared_and_chunked() -> None:
    limits = Http1Limits(max_body_bytes=10)
    evs = events(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits)
    assert isinstance(evs[0], ParseError) and evs[0].status == 413
    evs = events(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", limits)
    assert isinstance(evs[0], ParseError) and evs[0].status == 413
    evs = events(CHUNKED + b"5\r\n12345\r\n6\r\n", limits)
    assert [e.status for e in evs if isinstance(e, ParseError)] == [413]
    assert body_of(evs) == b"12345"
    ok = events(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits)
    assert body_of(ok) == b"0123456789"


def test_chunk_line_and_trailer_limits() -> None:
    limits = Http1Limits(max_chunk_line=64, max_trailer_bytes=64)
    evs = events(CHUNKED + b"1;" + b"a" * 100 + b"\r\nx\r\n0\r\n\r\n", limits)
    assert [e.status for e in evs if isinstance(e, ParseError)] == [400]
    p = Http1Parser(limits)
    p.feed(CHUNKED + b"1;" + b"a" * 100)  # no CRLF yet, already too long
    assert isinstance(p.next_event(), RequestReceived)
    assert isinstance(p.next_event(), ParseError)
    evs = events(CHUNKED + b"0\r\nX-T: " + b"t" * 100 + b"\r\n\r\n", limits)
    assert [e.status for e in evs if isinstance(e, ParseError)] == [431]


# ----------------------------------------------------- linear-time parsing

@pytest.mark.parametrize("size", [64 * 1024, 1024 * 1024])
def test_trickled_huge_header_costs_linear_work(size: int) -> None:
    """A 1 MiB header value fed one byte per `feed` is scanned and copied
    O(size) in total (counted, not timed)."""
    limits = Http1Limits(max_header_bytes=size + 1024)
    data = b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + b"v" * size + b"\r\n\r\n"
    p = Http1Parser(limits)
    for i in range(len(data)):
        p.feed(data[i:i + 1])
        ev = p.next_event()
        if ev is not NEED_DATA:
            break
    assert isinstance(ev, RequestReceived)
    assert len(ev.request.headers.get("x-big") or "") == size
    assert p.work <= 8 * len(data), (p.work, len(data))


def test_trickled_chunked_body_costs_linear_work() -> None:
    chunks = b"".join(b"1;e=v\r\nx\r\n" for _ in range(20000)) + b"0\r\n\r\n"
    data = CHUNKED + chunks
    p = Http1Parser(Http1Limits(max_body_bytes=1 << 20))
    got = 0
    for i in range(len(data)):
        p.feed(data[i:i + 1])
        while (ev := p.next_event()) is not NEED_DATA:
            if isinstance(ev, Data):
                got += len(ev.data)
            assert not isinstance(ev, ParseError)
    assert got == 20000
    assert p.work <= 8 * len(data)


# ------------------------------------------------------ the state table

def test_state_table_is_closed_and_terminal_states_are_final() -> None:
    for (state, _inp), nxt in TRANSITIONS.items():
        assert isinstance(nxt, State)
        assert state not in (State.CLOSED, State.ERROR)
    reachable = {State.HEAD}
    frontier = [State.HEAD]
    while frontier:
        s = frontier.pop()
        for (src, _), dst in TRANSITIONS.items():
            if src is s and dst not in reachable:
                reachable.add(dst)
                frontier.append(dst)
    assert reachable == set(State)
    assert {inp for (_, inp) in TRANSITIONS} == set(Input)


def allowed(src: State, dst: State) -> bool:
    """One `next_event` call may take several table steps (a chunk header,
    then its data); the observed change must be a path in the table."""
    seen = {src}
    frontier = [src]
    while frontier:
        s = frontier.pop()
        for (a, _), b in TRANSITIONS.items():
            if a is s and b not in seen:
                seen.add(b)
                frontier.append(b)
    return dst in seen


@pytest.mark.parametrize("split", [1, 3, None])
def test_observed_transitions_are_in_the_table(split: int | None) -> None:
    data = (b"POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
            + CHUNKED + b"2\r\nab\r\n0\r\nT: 1\r\n\r\n"
            + b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    p = Http1Parser()
    pieces = [data] if split is None else [data[i:i + split] for i in range(0, len(data), split)]
    for piece in pieces:
        p.feed(piece)
        while True:
            before = p.state
            ev = p.next_event()
            assert allowed(before, p.state), (before, p.state)
            if ev is NEED_DATA or ev is PAUSED:
                break
    assert p.state is State.CLOSED
