"""`weft.protocols.http2.fields` and `hpack_cache` against the h2/hpack code
they stand in for: same verdicts, same fields, same bytes, same tables."""

from __future__ import annotations

from typing import Any

import pytest
from h2.exceptions import ProtocolError
from h2.utilities import (
    HeaderValidationFlags,
    normalize_inbound_headers,
    normalize_outbound_headers,
    validate_headers,
    validate_outbound_headers,
)
from hpack import Decoder, Encoder, NeverIndexedHeaderTuple
from hypothesis import given, settings
from hypothesis import strategies as st
from weft.protocols.http2.fields import FieldError, request_fields, response_fields
from weft.protocols.http2.hpack_cache import MemoDecoder, MemoEncoder

Header = tuple[bytes, bytes]

_NAMES = [b":method", b":path", b":scheme", b":authority", b":status", b":protocol", b":x",
          b"::", b"host", b"cookie", b"te", b"connection", b"upgrade", b"accept",
          b"Accept", b"x:y", b"", b"a b", b"\xff", b"authorization", b"content-length"]
_VALUES = [b"GET", b"CONNECT", b"/", b"", b"http", b"h", b"h2", b"trailers", b"TRAILERS",
           b"gzip", b" x", b"x ", b"a\r\nb", b"\x00", b"websocket", b"200",
           b"c=1", b"a-long-cookie-value-over-20"]

field = st.tuples(st.sampled_from(_NAMES), st.sampled_from(_VALUES))
request_like = st.lists(field, max_size=8).map(
    lambda extra: [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"),
                   (b":authority", b"h"), *extra])
blocks = st.one_of(st.lists(field, max_size=10), request_like)


def _flags(trailer: bool, response: bool) -> HeaderValidationFlags:
    return HeaderValidationFlags(is_client=not response, is_trailer=trailer,
                                 is_response_header=response and not trailer,
                                 is_push_promise=False)


def _h2_inbound(headers: list[Header], trailer: bool) -> list[Header] | None:
    flags = _flags(trailer, response=False)
    try:
        return list(validate_headers(normalize_inbound_headers(headers, flags), flags))
    except ProtocolError:
        return None


def _h2_outbound(headers: list[Header], trailer: bool) -> list[Header] | None:
    flags = _flags(trailer, response=True)
    try:
        return list(validate_outbound_headers(normalize_outbound_headers(headers, flags),
                                              flags))
    except (ProtocolError, IndexError):  # h2 indexes name[0]: an empty name -> IndexError
        return None


def _kinds(headers: list[Header]) -> list[tuple[bytes, bytes, bool]]:
    return [(n, v, isinstance(h, NeverIndexedHeaderTuple)) for h in headers
            for n, v in (h,)]


@settings(max_examples=500, deadline=None)
@given(blocks, st.booleans())
def test_request_fields_match_h2(headers: list[Header], trailer: bool) -> None:
    expected = _h2_inbound(headers, trailer)
    try:
        got = request_fields(headers, trailer)
    except FieldError:
        assert expected is None, expected
        return
    assert expected is not None, got
    assert _kinds(got) == _kinds(expected)


@settings(max_examples=500, deadline=None)
@given(st.lists(field, max_size=8).map(lambda extra: [(b":status", b"200"), *extra])
       | st.lists(field, max_size=8), st.booleans())
def test_response_fields_match_h2(headers: list[Header], trailer: bool) -> None:
    expected = _h2_outbound(headers, trailer)
    try:
        got = response_fields(headers, trailer)
    except FieldError:
        # An empty name is refused here; h2 crashes on it (IndexError).
        assert expected is None, expected
        return
    assert expected is not None, got
    assert _kinds(got) == _kinds(expected)


def test_known_verdicts() -> None:
    ok = [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"), (b"host", b"h"),
          (b"cookie", b"a=1"), (b"cookie", b"b=2")]
    assert request_fields(ok)[-1] == (b"cookie", b"a=1; b=2")
    for bad in ([(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/")],  # no host
                [*ok, (b"Accept", b"x")], [*ok, (b"x", b"a\nb")], [*ok, (b":path", b"/")],
                [*ok, (b"te", b"gzip")], [*ok, (b"connection", b"close")]):
        with pytest.raises(FieldError):
            request_fields(bad)
    with pytest.raises(FieldError, match="pseudo-header in trailer"):
        request_fields([(b":path", b"/")], trailers=True)
    assert response_fields([(b":status", b"200"), (b"Connection", b"x"), (b"X-A", b" v ")]) \
        == [(b":status", b"200"), (b"x-a", b"v")]
    with pytest.raises(FieldError, match=":status"):
        response_fields([(b"x", b"y")])
    with pytest.raises(FieldError):
        response_fields([(b"", b"y")], trailers=True)


# ---------------------------------------------------------------- HPACK memo

_HEADER_LISTS = [
    [(b":status", b"200"), (b"content-type", b"text/plain"), (b"content-length", b"13")],
    [(b":status", b"404"), (b"content-length", b"0")],
    [(b":status", b"200"), (b"date", b"Thu, 26 Nov 2026 23:00:00 GMT")],
    [(b":status", b"200"), (b"x-big", b"v" * 3000)],
    [(b":status", b"200"), (b"authorization", b"secret")],  # NeverIndexedHeaderTuple
    [(b":status", b"200"), (b"authorization", b"secret")],  # 3-tuple, sensitive
    [(b":status", b"200"), (b"authorization", b"secret")],  # plain: may be indexed
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(range(len(_HEADER_LISTS))),
                          st.sampled_from([0, 64, 100, 4096]).map(lambda s: -1 - s)),
                max_size=40))
def test_memo_codecs_match_hpack(steps: list[int]) -> None:
    """Same bytes out of the encoders, same fields out of the decoders and the
    same tables throughout, with table-size changes in between."""
    plain, memo = Encoder(), MemoEncoder()
    dec, memo_dec = Decoder(), MemoDecoder()
    for step in steps:
        if step < 0:
            size = -1 - step
            if size != plain.header_table_size:  # hpack drops a pending update on a no-op
                plain.header_table_size = memo.header_table_size = size
            continue
        headers: list[Any] = list(_HEADER_LISTS[step])
        if step == 4:
            headers[1] = NeverIndexedHeaderTuple(*headers[1])
        elif step == 5:
            headers[1] = (*headers[1], True)
        block = plain.encode(headers)
        assert memo.encode(list(headers)) == block
        assert list(memo.header_table.dynamic_entries) == list(plain.header_table.dynamic_entries)
        assert memo_dec.decode(block, raw=True) == dec.decode(block, raw=True)
        assert list(memo_dec.header_table.dynamic_entries) == \
            list(dec.header_table.dynamic_entries)
