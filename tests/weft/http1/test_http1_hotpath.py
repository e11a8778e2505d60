"""The hot path's shortcuts build exactly what the ordinary ones build.

`parsed_request` and `body_response` skip `type.__call__`; `first_step` runs a
coroutine to its first suspension without StopIteration (in C when built); the parser frames pipelined heads from one
decoded window. Each must be indistinguishable from the plain way.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from weft.connection import eager
from weft.connection.eager import Resumed
from weft.http_types import Headers, Request, Response, body_response, parsed_request
from weft.protocols.http1 import NEED_DATA, Http1Limits, Http1Parser, RequestReceived


def _split(block: str) -> list[tuple[str, str]]:
    return [("host", "a")]


def test_parsed_request_sets_every_slot_like_init() -> None:
    fast = parsed_request("GET", "/p", "q=1", "host: a\r\n", _split)
    slow = Request("GET", "/p", "q=1", Headers([("host", "a")]))
    for name in Request.__slots__:
        assert getattr(fast, name) == getattr(slow, name) or name == "headers", name
    assert list(fast.headers) == list(slow.headers)
    assert fast.path_params is not slow.path_params
    assert fast.extensions == {} and fast.path_params == {}


def test_body_response_sets_every_slot_like_init() -> None:
    fast = body_response(201, [("x", "y")], b"b")
    slow = Response(201, [("x", "y")], b"b")
    for name in Response.__slots__:
        assert getattr(fast, name) == getattr(slow, name), name


async def _returns(value: object) -> object:
    return value


async def _raises() -> None:
    raise KeyError("k")


# Both twins: the C `first_step` when built, and its specification.
_STEPS = [eager.py_first_step] + ([eager.first_step] if eager.first_step is not eager.py_first_step
                                  else [])


@pytest.fixture(params=_STEPS, ids=lambda f: "python" if f is eager.py_first_step else "native")
def step(request: pytest.FixtureRequest) -> Any:
    return request.param


def test_native_first_step_is_built_unless_switched_off() -> None:
    if os.environ.get("WEFT_NATIVE") == "off":
        pytest.skip("WEFT_NATIVE=off")
    assert eager.first_step is not eager.py_first_step


def test_first_step_returns_values(step: Any) -> None:
    for value in ("a", None, 3, eager.Suspended):
        assert step(_returns(value)) is value


def test_first_step_propagates_exceptions(step: Any) -> None:
    with pytest.raises(KeyError):
        step(_raises())
    assert step(iter(())) is None          # a plain iterator, already exhausted
    assert type(step(iter([7]))) is eager.Suspended
    with pytest.raises((AttributeError, TypeError)):
        step(object())


def test_first_step_on_a_plain_awaitable_iterator(step: Any) -> None:
    fut: asyncio.Future[str] = asyncio.new_event_loop().create_future()
    got = step(fut.__await__())
    assert type(got) is eager.Suspended and got.value is fut


def test_suspended_coroutine_finishes_in_a_task(step: Any) -> None:
    async def waits(fut: asyncio.Future[str]) -> str:
        return await fut

    async def main() -> str:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        coro = waits(fut)
        got = step(coro)
        assert type(got) is eager.Suspended and got.value is fut
        task = asyncio.ensure_future(Resumed(coro, got.value))
        fut.set_result("later")
        return await task

    assert asyncio.run(main()) == "later"


def test_suspended_coroutine_passes_cancellation_on(step: Any) -> None:
    cancelled: list[bool] = []

    async def waits(fut: asyncio.Future[str]) -> str:
        try:
            return await fut
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main() -> None:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        coro = waits(fut)
        got = step(coro)
        assert type(got) is eager.Suspended
        task = asyncio.ensure_future(Resumed(coro, got.value))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cancelled == [True]


def test_pipelined_heads_in_one_read_are_all_fast() -> None:
    one = b"GET /a?x HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n"
    parser = Http1Parser()
    parser.feed(one * 20)
    for _ in range(20):
        req = parser.next_request()
        assert type(req) is Request
        assert (req.path, req.raw_query, list(req.headers)) == (
            "/a", "x", [("host", "h"), ("accept", "*/*")])
    assert parser.drained
    assert parser.next_request() is NEED_DATA


def test_a_head_split_across_reads_takes_the_fast_path_once_complete() -> None:
    raw = b"GET / HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n"
    parser = Http1Parser()
    parser.feed(raw[:20])
    assert parser.next_request() is None
    assert parser.next_event() is NEED_DATA
    parser.feed(raw[20:])
    req = parser.next_request()
    assert type(req) is Request and list(req.headers) == [("host", "h"), ("x", "1")]


def test_fast_path_respects_the_length_bound_exactly() -> None:
    limits = Http1Limits(max_header_count=10)  # fast heads: at most 40 bytes
    head = b"GET / HTTP/1.1\r\nHost: h\r\n"
    pad = b"X: " + b"v" * (40 - len(head) - 5) + b"\r\n"
    assert len(head + pad) == 40
    for extra, fast in ((b"", True), (b"v", False)):
        raw = head + pad[:-2] + extra + b"\r\n\r\n"
        parser = Http1Parser(limits)
        parser.feed(raw)
        got = parser.next_request()
        assert (type(got) is Request) is fast
        if not fast:
            assert type(parser.next_event()) is RequestReceived


def test_a_slow_head_between_fast_ones_keeps_the_window_in_step() -> None:
    fast = b"GET /f HTTP/1.1\r\nHost: h\r\n\r\n"
    slow = b"POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
    parser = Http1Parser()
    parser.feed(fast + slow + fast)
    first = parser.next_request()
    assert type(first) is Request and first.path == "/f"
    assert parser.next_request() is None
    event = parser.next_event()
    assert type(event) is RequestReceived and event.request.path == "/s"
    parser.next_event()  # the body
    parser.next_event()  # its end
    last = parser.next_request()
    assert type(last) is Request and last.path == "/f"


def test_router_steps_handlers_from_two_threads() -> None:
    """A Router shared by two threads' loops, one handler running while the
    other thread asks: every request is still answered."""
    import threading

    from weft.router import Router

    gate = threading.Event()
    started = threading.Event()

    async def slow(req: Request) -> str:
        started.set()
        gate.wait(5)  # still running while the other thread asks
        return "slow"

    async def quick(req: Request) -> str:
        return "quick"

    router = Router().get("/slow", slow).get("/quick", quick)
    answers: list[object] = []

    def serve_slow() -> None:
        answers.append(router.eager(Request("GET", "/slow")))

    thread = threading.Thread(target=serve_slow)
    thread.start()
    started.wait(5)
    quick_answer = router.eager(Request("GET", "/quick"))
    gate.set()
    thread.join(10)
    assert type(quick_answer) is Response and quick_answer.body == b"quick"
    assert len(answers) == 1
    slow_answer = answers[0]
    assert type(slow_answer) is Response and slow_answer.body == b"slow"
