"""The HTTP/1.1 fast paths agree with the detailed ones.

`Http1Parser.next_request` must either produce exactly the request
`next_event` would, or step aside (None) without consuming anything;
`Router.eager` must answer what `await router(req)` answers; a lazily split
`Headers` must behave like an eagerly built one.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from weft.errors import BadRequest
from weft.http_types import Headers, Request, Response
from weft.protocols.http1 import NEED_DATA, Http1Parser, RequestReceived
from weft.router import Router


def _detailed(raw: bytes) -> object:
    """What `next_event` makes of `raw` with the fast path out of the way."""
    parser = Http1Parser()
    parser.feed(raw)
    return parser.next_event()


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /p/q?x=1&y HTTP/1.1\r\nhost:a\r\nX-A:  v  v \t\r\nx-b:\r\n\r\n",
    b"DELETE /? HTTP/1.1\r\nHOST: a\r\nAccept: */*\r\n\r\n",
    b"GET / HTTP/1.1\r\nHostname: x\r\nhOsT: a\r\nContent-Lengthy: 1\r\nExpects: z\r\n\r\n",
])
def test_fast_request_matches_the_detailed_parse(raw: bytes) -> None:
    parser = Http1Parser()
    parser.feed(raw)
    fast = parser.next_request()
    assert type(fast) is Request
    assert parser.next_request() is NEED_DATA
    event = _detailed(raw)
    assert type(event) is RequestReceived
    slow = event.request
    assert (fast.method, fast.path, fast.raw_query, fast.http_version) == (
        slow.method, slow.path, slow.raw_query, slow.http_version)
    assert list(fast.headers) == list(slow.headers)


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.0\r\n\r\n",                                    # HTTP/1.0
    b"GET / HTTP/1.1\r\n\r\n",                                    # no Host
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",              # two Hosts
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",  # framing
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
    b"GET / HTTP/1.1\r\nhost: a\r\nCONTENT-LENGTH: 0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n",                # space before colon
    b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",             # obs-fold
    b"GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n",                     # NUL in a value
    b"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",                # absolute-form
    b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n",
    b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",                    # leading blank line
    b"GET / HTTP/1.1\r\nHost: a\r\n",                             # incomplete
    b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n",                    # byte outside the target
])
def test_fast_path_steps_aside_without_consuming(raw: bytes) -> None:
    parser = Http1Parser()
    parser.feed(raw)
    assert parser.next_request() is None
    assert parser.buffered == len(raw)
    assert repr(parser.next_event()) == repr(_detailed(raw))


def test_fast_path_defers_heads_near_the_limits() -> None:
    from weft.protocols.http1 import Http1Limits
    parser = Http1Parser(Http1Limits(max_header_count=2))
    raw = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n"
    parser.feed(raw)
    assert parser.next_request() is None
    event = parser.next_event()
    assert getattr(event, "status", None) == 431


_TOKEN = st.text("!#$%&'*+-.^_`|~09AZaz", min_size=1, max_size=6)
_VALUE = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=8)


@given(st.lists(st.tuples(_TOKEN, _VALUE), max_size=5), st.sampled_from(["/", "/a?b", "/%41"]))
def test_fast_and_detailed_agree_on_generated_heads(fields: list[tuple[str, str]],
                                                     target: str) -> None:
    lines = "".join(f"{k}:{v}\r\n" for k, v in [("host", "h"), *fields])
    raw = f"GET {target} HTTP/1.1\r\n{lines}\r\n".encode("latin-1")
    parser = Http1Parser()
    parser.feed(raw)
    fast = parser.next_request()
    slow = _detailed(raw)
    if fast is None:
        return  # the detailed path decides alone; the differential tests cover it
    assert type(fast) is Request and type(slow) is RequestReceived
    assert list(fast.headers) == list(slow.request.headers)
    assert (fast.path, fast.raw_query) == (slow.request.path, slow.request.raw_query)


def test_lazy_headers_behave_like_a_list() -> None:
    calls: list[str] = []

    def split(block: str) -> list[tuple[str, str]]:
        calls.append(block)
        return [("a", "1"), ("b", "2"), ("a", "3")]

    h = Headers.from_block("raw", split)
    assert calls == []
    assert h.get("A") == "1, 3" and h.get_all("a") == ["1", "3"] and len(h) == 3
    h.set("b", "x")
    assert list(h) == [("a", "1"), ("a", "3"), ("b", "x")]
    assert calls == ["raw"]


async def _sync_text(req: Request) -> str:
    return "hi"


def _plain(req: Request) -> Response:
    return Response(201, [("x", "y")], b"plain")


async def _suspends(req: Request) -> str:
    await asyncio.sleep(0)
    return "later"


async def _raises(req: Request) -> str:
    raise BadRequest("nope")


async def _crashes(req: Request) -> str:
    raise RuntimeError("boom")


@pytest.mark.parametrize("path", ["/text", "/plain", "/later", "/bad", "/crash", "/missing"])
def test_router_eager_answers_what_call_answers(path: str) -> None:
    router = (Router().get("/text", _sync_text).get("/plain", _plain)
              .get("/later", _suspends).get("/bad", _raises).get("/crash", _crashes))

    async def both() -> tuple[Response, Response]:
        via_call = await router(Request("GET", path))
        eager = router.eager(Request("GET", path))
        via_eager = eager if isinstance(eager, Response) else await eager
        return via_call, via_eager

    a, b = asyncio.run(both())
    assert (a.status, a.headers, a.body) == (b.status, b.headers, b.body)
