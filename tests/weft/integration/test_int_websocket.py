"""WebSocket on the shared port: the `websockets` library over ws:// and
wss://, routes with captures, a handshake behind a suspending auth guard,
and frames that arrive in the same read as the handshake."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest
import websockets
from int_support import App
from tls_support import Pki
from websockets.exceptions import InvalidStatus
from weft.router import RouteConflict, Router
from weft.transport import TlsConfig
from ws_support import HANDSHAKE, frame

from tests.weft.helpers import RunningServer

T = TypeVar("T")
Serve = Callable[..., tuple[RunningServer, App]]


def run(coro: Coroutine[Any, Any, T], limit: float = 20.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, limit)
    return asyncio.run(bounded())


async def echo_round(url: str, **kw: Any) -> list[object]:
    async with websockets.connect(url, **kw) as ws:
        await ws.send("hi")
        text = await ws.recv()
        await ws.send(b"\x00\xffbytes")
        data = await ws.recv()
        await ws.send("x" * 100_000)  # compressed by permessage-deflate
        big = await ws.recv()
        return [text, data, len(big)]


def test_echo_over_ws(serve_app: Serve) -> None:
    running, _ = serve_app()
    got = run(echo_round(f"ws://127.0.0.1:{running.port}/ws/echo"))
    assert got == ["hi", b"\x00\xffbytes", 100_000]
    assert running.wait_for(lambda: running.server.connections == 0)
    assert running.stats.connections_open == 0


def test_echo_over_wss(serve_app: Serve, pki: Pki) -> None:
    running, _ = serve_app(tls=TlsConfig(str(pki.server_cert), str(pki.server_key)))
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    got = run(echo_round(f"wss://127.0.0.1:{running.port}/ws/echo", ssl=ctx))
    assert got == ["hi", b"\x00\xffbytes", 100_000]


def test_route_captures_reach_the_session(serve_app: Serve) -> None:
    running, _ = serve_app()

    async def talk() -> tuple[object, object]:
        async with websockets.connect(f"ws://127.0.0.1:{running.port}/ws/rooms/blue") as ws:
            greeting = await ws.recv()
            await ws.send("ping")
            return greeting, await ws.recv()

    assert run(talk()) == ("room blue", "ping")


def test_plain_requests_to_a_ws_route_get_426(serve_app: Serve) -> None:
    running, _ = serve_app()
    with httpx.Client(timeout=5) as client:
        r = client.get(f"http://127.0.0.1:{running.port}/ws/echo")
        assert r.status_code == 426
        assert r.headers["upgrade"] == "websocket"
        assert client.get(f"http://127.0.0.1:{running.port}/").text == "hello"  # still HTTP/1.1
    with httpx.Client(http1=False, http2=True, timeout=5) as client:
        r = client.get(f"http://127.0.0.1:{running.port}/ws/echo")
        assert r.http_version == "HTTP/2" and r.status_code == 426


def test_handshake_behind_a_suspending_guard(serve_app: Serve) -> None:
    running, _ = serve_app()
    url = f"ws://127.0.0.1:{running.port}/private/ws"

    async def refused() -> int:
        with pytest.raises(InvalidStatus) as info:
            async with websockets.connect(url):
                pass
        return info.value.response.status_code

    assert run(refused()) == 401
    got = run(echo_round(url, additional_headers={"authorization": "Bearer ok"}))
    assert got == ["hi", b"\x00\xffbytes", 100_000]


@pytest.mark.parametrize("path", [b"/ws/echo", b"/private/ws"])
def test_frames_in_the_same_read_as_the_handshake(serve_app: Serve, path: bytes) -> None:
    """Bytes after the head belong to the WebSocket, whether the handshake
    is answered inline or after the guard suspended."""
    running, _ = serve_app()
    head = HANDSHAKE % path
    if path.startswith(b"/private"):
        head = head.replace(b"\r\n\r\n", b"\r\nauthorization: Bearer ok\r\n\r\n")

    async def talk() -> tuple[bytes, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(head + frame(0x1, b"early") + frame(0x1, b"bird"))
        status = await reader.readuntil(b"\r\n\r\n")
        frames = await reader.readexactly(2 + 5 + 2 + 4)
        writer.close()
        return status, frames

    status, frames = run(talk())
    assert status.startswith(b"HTTP/1.1 101"), status
    assert frames == b"\x81\x05early\x81\x04bird"


def test_pipelined_requests_are_answered_before_the_101(serve_app: Serve) -> None:
    running, _ = serve_app()

    async def talk() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n" + HANDSHAKE % b"/ws/echo"
                     + frame(0x1, b"after"))
        data = b""
        while b"after" not in data:
            chunk = await reader.read(65536)
            if not chunk:
                break
            data += chunk
        writer.close()
        return data

    data = run(talk())
    assert isinstance(data, bytes)
    first, _, rest = data.partition(b"hello")
    assert first.startswith(b"HTTP/1.1 200")
    assert rest.startswith(b"HTTP/1.1 101") and rest.endswith(b"\x81\x05after")


def test_router_ws_is_a_get_route() -> None:
    async def handler(session: object) -> None:
        return None

    router = Router().ws("/ws/a", handler).ws("/ws/rooms/:id", handler)
    assert [r.path for r in router.ws_routes()] == ["/ws/a", "/ws/rooms/:id"]
    assert ("GET", "/ws/rooms/:id") in router.routes()
    with pytest.raises(RouteConflict):
        router.get("/ws/a", lambda: "plain")
