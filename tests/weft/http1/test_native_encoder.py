"""The C `encode` (`_native.c`) against its specification, `py_encode`.

Two serializers share one clock; every response is encoded by the Python
method on one and the C function on the other, and the bytes, the
keep-alive verdict and any exception must be the same, through cache
misses, hits, date changes and the Python fallbacks (odd body types).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from weft.http_types import Response
from weft.protocols.http1 import serializer as ser_mod
from weft.protocols.http1.serializer import DateClock, ResponseSerializer

native = ser_mod.NATIVE
pytestmark = pytest.mark.skipif(os.environ.get("WEFT_NATIVE") == "off",
                                reason="WEFT_NATIVE=off: the pure-Python encoder serves")


def _outcome(fn: Any, s: ResponseSerializer, r: Response, flags: tuple[bool, bool, bool]) -> Any:
    try:
        return fn(s, r, *flags)
    except Exception as exc:
        return type(exc).__name__


class _Pair:
    def __init__(self) -> None:
        self.clock = DateClock()
        self.clock.tick(1_700_000_000)
        self.spec = ResponseSerializer(self.clock)
        self.ours = ResponseSerializer(self.clock)

    def check(self, make: Any, flags: tuple[bool, bool, bool]) -> None:
        assert native is not None
        # fresh responses: the encoders must not depend on sharing them
        want = _outcome(ser_mod.py_encode, self.spec, make(), flags)
        got = _outcome(native.encode, self.ours, make(), flags)
        assert got == want


FLAGS = [(h, k, t) for h in (False, True) for k in (False, True) for t in (False, True)]
CASES: list[tuple[int, list[tuple[str, str]], Any]] = [
    (200, [("content-type", "text/plain")], b"Hello, World!"),
    (200, [], b""),
    (201, [("x-a", "1"), ("X-B", " spaced ")], b"x" * 5000),
    (204, [("x-a", "1")], b""),
    (304, [], b"ignored"),
    (101, [("upgrade", "websocket")], b""),
    (200, [("Connection", "close")], b"bye"),
    (200, [("connection", "keep-alive, Close")], b"bye"),
    (200, [("content-length", "99"), ("transfer-encoding", "chunked")], b"ours wins"),
    (200, [("date", "Tue, 01 Jan 2030 00:00:00 GMT")], b"own date"),
    (599, [], b"unknown status"),
    (200, [("bad name", "v")], b""),
    (200, [("x", "a\r\nb")], b""),
    (200, [("x", "caf\u00e9")], b""),
    (200, [("x", "\u2603")], b""),
    (1000, [], b""),
    (99, [], b""),
    (200, [("content-length", "x")], b""),
    (200, [], bytearray(b"bytearray body")),
    (200, [], memoryview(b"view body")),
    (200, [("x", ["unhashable"])], b""),
]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
@pytest.mark.parametrize("flags", FLAGS)
def test_cases_agree(case: tuple[int, list[tuple[str, str]], Any],
                     flags: tuple[bool, bool, bool]) -> None:
    status, headers, body = case
    pair = _Pair()
    make = lambda: Response(status, list(headers), body)  # noqa: E731
    pair.check(make, flags)      # cache miss
    pair.check(make, flags)      # cache hit
    pair.clock.tick(1_700_000_001)
    pair.check(make, flags)      # date changed since the block was cached


def test_a_non_response_falls_back_to_python() -> None:
    assert native is not None
    s = ResponseSerializer(DateClock())
    with pytest.raises(AttributeError):
        native.encode(s, object(), False, True, False)


_HEADERS = st.lists(st.tuples(st.sampled_from(["x-a", "Content-Type", "connection", "date",
                                               "content-length", "a b", "x"]),
                              st.sampled_from(["1", "close", " v ", "a\rb", "\x7f", "10", ""])),
                    max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([200, 204, 304, 404, 100, 999]), _HEADERS,
                          st.binary(max_size=40), st.sampled_from(FLAGS),
                          st.booleans()), min_size=1, max_size=12))
def test_sequences_agree(steps: list[tuple[int, list[tuple[str, str]], bytes,
                                          tuple[bool, bool, bool], bool]]) -> None:
    pair = _Pair()
    now = 1_700_000_000
    for status, headers, body, flags, tick in steps:
        if tick:
            now += 1
            pair.clock.tick(now)
        pair.check(lambda: Response(status, list(headers), body), flags)  # noqa: B023


def test_the_class_uses_the_accelerator() -> None:
    assert native is not None
    assert ResponseSerializer.__dict__["encode"] is native.encode_method
