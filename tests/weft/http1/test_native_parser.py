"""The C `next_request` (`_native.c`) against its specification, `py_next_request`.

For every input and every way of cutting it into reads, both must return
the same thing (None, NEED_DATA, or an equal Request) and leave the parser in
the same state. Inputs are hand-picked edge cases plus hypothesis-mutated
heads: each byte class the C tables distinguish, every refused field name in
odd cases, and lengths around the `_fast_max` bound.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from weft.http_types import Request
from weft.protocols.http1 import NEED_DATA, Http1Limits, Http1Parser
from weft.protocols.http1 import parser as parser_mod

native = parser_mod.NATIVE
# Not skipped when the module is missing: `make test` builds it, so a missing
# one is a failure here; only an explicit WEFT_NATIVE=off skips.
pytestmark = pytest.mark.skipif(os.environ.get("WEFT_NATIVE") == "off",
                                reason="WEFT_NATIVE=off: the pure-Python parser serves")

Step = Callable[[Http1Parser], Any]


def _request_view(r: Request) -> tuple[Any, ...]:
    return (r.method, r.path, r.raw_query, r.http_version, r.scheme, r.peer, r.body,
            r.path_params, r.extensions, list(r.headers))


def _state(p: Http1Parser) -> tuple[Any, ...]:
    return (p.state, p.buffered, p.drained, p.mid_message, p._pos, p._scan, p._line_seen,
            p._blank, p._keep_alive)


def _run(step: Step, data: bytes, cuts: Sequence[int], limits: Http1Limits | None) -> list[Any]:
    """Feed `data` in pieces; after each, call `step` until it stops giving requests."""
    p = Http1Parser(limits)
    trace: list[Any] = []
    bounds = [*sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    start = 0
    for end in bounds:
        p.feed(data[start:end])
        start = end
        for _ in range(64):
            got = step(p)
            trace.append(_request_view(got) if type(got) is Request else got)
            trace.append(_state(p))
            if type(got) is not Request:
                break
    # What follows the fast path must be unaffected: the detailed parser's verdict.
    trace.append(repr(p.next_event()))
    return trace


def _same(data: bytes, cuts: Sequence[int] = (), limits: Http1Limits | None = None) -> None:
    assert native is not None
    spec = _run(parser_mod.py_next_request, data, cuts, limits)
    ours = _run(native.next_request, data, cuts, limits)
    assert ours == spec


HEAD = b"GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"


@pytest.mark.parametrize("raw", [
    HEAD,
    HEAD * 3,
    HEAD + b"GET / HTTP/1.1\r\n",                        # a partial second head
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /? HTTP/1.1\r\nHOST:\r\n\r\n",                  # empty query, empty Host
    b"PURGE /x HTTP/1.1\r\nhost: a\r\nx-\xff: \x80\xfe\t\r\n\r\n",  # obs-text value, odd name
    b"OPTIONS /a%20b HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /a?b?c HTTP/1.1\r\nHost: a\r\n\r\n",           # "?" inside the query
    b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nX: 1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\ncOnNeCtIoN: close\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nTRANSFER-ENCODING: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nexpect: 100-continue\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHostx: b\r\nExpected: c\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r",                   # CR without LF at the end
    b"GET / HTTP/1.1\r\nHost: a\r\n\rX",
    b"GET / HTTP/1.1\r\nHost: a\n\r\n",                   # bare LF
    b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
    b"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
    b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
    b"GET / http/1.1\r\nHost: a\r\n\r\n",
    b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
    b"GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
    b"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",
    b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"",
])
@pytest.mark.parametrize("cut", [None, 1, 5, 17, 30])
def test_edge_cases_agree(raw: bytes, cut: int | None) -> None:
    cuts = [] if cut is None else list(range(cut, len(raw), cut))
    _same(raw, cuts)


@pytest.mark.parametrize("extra", range(-3, 4))
def test_heads_around_the_fast_length_bound(extra: int) -> None:
    limits = Http1Limits(max_request_line=64, max_header_bytes=200, max_header_count=50)
    fast_max = Http1Parser(limits)._fast_max
    base = b"GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n"
    pad = fast_max + 2 - len(base) + extra
    raw = base.replace(b"X: ", b"X: " + b"v" * pad)
    _same(raw, [], limits)
    _same(raw, [len(raw) // 2], limits)


_BYTES = st.sampled_from([b" ", b"\t", b"\r", b"\n", b"\r\n", b":", b"?", b"/", b"\x00",
                          b"\x7f", b"\x80", b"\xff", b"a", b"Z", b"-", b"host", b"HOST",
                          b"connection", b"Content-Length", b"expect", b"transfer-encoding",
                          b"HTTP/1.1", b"\r\n\r\n", b"CONNECT"])


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    data = bytearray(draw(st.sampled_from([HEAD, HEAD * 2, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"])))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 2))
        piece = draw(_BYTES)
        if kind == 0:
            data[at:at] = piece
        elif kind == 1:
            data[at:at + len(piece)] = piece
        else:
            del data[at:at + draw(st.integers(1, 4))]
    cuts = draw(st.lists(st.integers(1, max(1, len(data) - 1)), max_size=4))
    return bytes(data), cuts


@settings(max_examples=600, deadline=None)
@given(_mutated())
def test_mutated_heads_agree(case: tuple[bytes, list[int]]) -> None:
    data, cuts = case
    _same(data, cuts)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.lists(st.integers(1, 199), max_size=3))
def test_arbitrary_bytes_agree(data: bytes, cuts: list[int]) -> None:
    _same(data, cuts)


def test_the_class_uses_the_accelerator() -> None:
    assert native is not None
    assert Http1Parser.__dict__["next_request"] is native.next_request_method
    p = Http1Parser()
    p.feed(HEAD)
    assert type(p.next_request()) is Request
    assert p.next_request() is NEED_DATA


def test_wrong_receiver_is_a_type_error() -> None:
    assert native is not None
    with pytest.raises(TypeError):
        native.next_request(object())


def test_head_length_frames_exactly_one_head() -> None:
    assert native is not None
    assert native.head_length(HEAD * 2) == len(HEAD)
    assert native.head_length(HEAD[:-1]) == -1
