"""WebSocket sessions on loopback: the `websockets` library as an
independent client, and hand-built frames for every violation."""

from __future__ import annotations

import asyncio
import struct

import websockets
from weft.connection.websocket import Broadcast, WsRoutes, WsSession
from weft.protocols.websocket import WsConfig
from ws_support import RawWs, frame, serve_ws

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def run(coro: object, limit: float = 30.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro, limit)  # type: ignore[arg-type]
    asyncio.run(bounded())


async def echo(session: WsSession) -> None:
    async for message in session:
        if isinstance(message, str):
            await session.send_text(message)
        else:
            await session.send_bytes(message)


def routes(config: WsConfig | None = None) -> WsRoutes:
    return WsRoutes().add("/echo", echo, config)


def close_code(payload: bytes) -> int:
    return int(struct.unpack("!H", payload[:2])[0])


def test_websockets_client_echo_with_deflate() -> None:
    async def main() -> None:
        async with serve_ws(routes()) as port:
            async with websockets.connect(f"ws://127.0.0.1:{port}/echo",
                                          compression="deflate") as ws:
                assert ws.response is not None
                assert "permessage-deflate" in (
                    ws.response.headers.get("sec-websocket-extensions") or "")
                await ws.send("héllo")
                assert await ws.recv() == "héllo"
                await ws.send(b"\x00" * 200_000)
                assert await ws.recv() == b"\x00" * 200_000
                await ws.close(4000, "bye")
            assert ws.close_code == 4000 and ws.close_reason == "bye"
    run(main())


def test_handler_return_closes_normally() -> None:
    async def once(session: WsSession) -> None:
        await session.send_text(f"hi {session.request.raw_query}")

    async def main() -> None:
        async with serve_ws(WsRoutes().add("/once", once)) as port:
            async with websockets.connect(f"ws://127.0.0.1:{port}/once?x=1") as ws:
                assert await ws.recv() == "hi x=1"
                await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1000
    run(main())


def test_fragments_reassembled_ping_pong_and_close_echo() -> None:
    async def main() -> None:
        async with serve_ws(routes()) as port:
            ws = await RawWs.connect(port)
            ws.writer.write(frame(TEXT, b"frag", fin=False) + frame(PING, b"mid")
                            + frame(CONT, "mént".encode(), fin=False) + frame(CONT, b"ed"))
            assert await ws.read_frame() == (PONG, b"mid")
            assert await ws.read_frame() == (TEXT, "fragménted".encode())
            ws.writer.write(frame(CLOSE, struct.pack("!H", 1000) + b"done"))
            op, payload = await ws.read_frame()
            assert op == CLOSE and close_code(payload) == 1000
            assert await ws.eof()
            ws.close()
    run(main())


async def violation(port: int, data: bytes) -> int:
    ws = await RawWs.connect(port)
    ws.writer.write(data)
    op, payload = await ws.read_frame()
    assert op == CLOSE
    ws.close()
    return close_code(payload)


def test_violations_close_with_the_right_code() -> None:
    async def main() -> None:
        async with serve_ws(routes(WsConfig(max_message_bytes=1000,
                                            max_frame_bytes=800))) as port:
            assert await violation(port, frame(TEXT, b"plain", mask=False)) == 1002
            assert await violation(port, frame(TEXT, b"\xff\xfe bad")) == 1007
            # invalid UTF-8 split across fragments is still caught
            assert await violation(port, frame(TEXT, b"ok\xe2", fin=False)
                                   + frame(CONT, b"\x28")) == 1007
            # a frame that declares more than max_frame_bytes, before its payload
            assert await violation(port, frame(BINARY, b"", declared=10_000_000)[:14]) == 1009
            # a message over max_message_bytes assembled from small frames
            parts = [frame(BINARY if i == 0 else CONT, b"x" * 500, fin=False) for i in range(3)]
            assert await violation(port, b"".join(parts)) == 1009
            # continuation without a started message
            assert await violation(port, frame(CONT, b"x")) == 1002
    run(main())


def test_deflate_bomb_is_refused() -> None:
    async def main() -> None:
        async with serve_ws(routes(WsConfig(max_message_bytes=10_000))) as port:
            async with websockets.connect(f"ws://127.0.0.1:{port}/echo",
                                          compression="deflate") as ws:
                await ws.send(b"\x00" * 5_000)
                assert len(await ws.recv()) == 5_000
                await ws.send(b"\x00" * 1_000_000)   # compresses to ~1 KB
                await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1009
    run(main())


def test_slow_reader_backpressures_the_handler() -> None:
    sent: list[int] = []
    total = 400

    async def firehose(session: WsSession) -> None:
        for i in range(total):
            await session.send_bytes(b"y" * 65_536)
            sent.append(i)

    async def main() -> None:
        async with serve_ws(WsRoutes().add("/fire", firehose)) as port:
            ws = await RawWs.connect(port, b"/fire")
            for _ in range(50):
                await asyncio.sleep(0.02)
            # 26 MB cannot fit in socket buffers: the handler must be waiting.
            assert len(sent) < total
            got = 0
            while got < total:
                op, payload = await ws.read_frame()
                assert op == BINARY and len(payload) == 65_536
                got += 1
            assert len(sent) == total
            ws.close()
    run(main())


def test_broadcast_fan_out_drops_slow_subscriber() -> None:
    hub = Broadcast(max_buffered=256 * 1024)
    joined = asyncio.Event

    async def subscribe(session: WsSession) -> None:
        hub.subscribe(session)
        try:
            async for _ in session:
                pass
        finally:
            hub.unsubscribe(session)

    async def main() -> None:
        ready = joined()
        async with serve_ws(WsRoutes().add("/sub", subscribe)) as port:
            fast = [await RawWs.connect(port, b"/sub") for _ in range(3)]
            slow = await RawWs.connect(port, b"/sub")
            for _ in range(100):
                if len(hub) == 4:
                    ready.set()
                    break
                await asyncio.sleep(0.01)
            assert ready.is_set()
            assert hub.publish("news") == 4
            for ws in [*fast, slow]:
                assert await ws.read_frame() == (TEXT, b"news")
            blob = b"b" * 512 * 1024
            for _ in range(200):
                hub.publish(blob)
                for ws in fast:
                    assert await ws.read_frame() == (BINARY, blob)
                if hub.dropped:
                    break
            assert hub.dropped == 1 and len(hub) == 3
            assert hub.publish("still here") == 3
            for ws in fast:
                assert await ws.read_frame() == (TEXT, b"still here")
                ws.close()
            slow.close()
    run(main(), 60)
