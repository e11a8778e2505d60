"""`weft.verum_websocket`: Verum's `WsSession<T>` shapes and the standalone
`WsServer`, driven by the `websockets` client."""

from __future__ import annotations

import asyncio
from typing import cast

from websockets.asyncio.client import connect
from weft.connection.websocket import WsClosed, WsSession
from weft.protocols.websocket import WsConfig
from weft.result import Err, Ok, Result
from weft.verum_listener import ListenerConfig
from weft.verum_websocket import (
    Cancelled,
    Closed,
    CloseMsg,
    Io,
    VerumWsMessage,
    VerumWsSession,
    WsError,
    WsRequestInfo,
    WsServer,
    with_max_message_bytes,
)

Seen = list[tuple[str, object]]


class Recorder:
    """Records what each step of a session returns."""

    def __init__(self, seen: Seen, done: asyncio.Event) -> None:
        self.seen = seen
        self.done = done

    async def on_connect(self, session: VerumWsSession, info: WsRequestInfo,
                         token: asyncio.Event) -> None:
        self.seen.append(("info", (info.path, info.subprotocol)))
        try:
            while True:
                got: Result[VerumWsMessage, WsError] = await session.recv(token)
                self.seen.append(("recv", got))
                if isinstance(got, Err):
                    self.seen.append(("send_after_end", await session.send_text("x")))
                    break
                if isinstance(got.value, str):
                    self.seen.append(("send", await session.send_text(got.value.upper())))
        finally:
            self.done.set()


def _serve(scenario_body: object) -> None:
    asyncio.run(asyncio.wait_for(scenario_body, 30))  # type: ignore[arg-type]


class FakeSession:
    """A runtime session whose peer sends `messages`, then a close frame."""

    def __init__(self, *messages: str | bytes) -> None:
        self.inbox = list(messages)
        self.sent: list[str | bytes] = []

    async def recv(self) -> str | bytes:
        if not self.inbox:
            raise WsClosed(4000, "bye")
        return self.inbox.pop(0)

    async def send_text(self, text: str) -> None:
        if not self.inbox:
            raise WsClosed(4000, "bye")
        self.sent.append(text)

    async def send_bytes(self, data: bytes) -> None:
        raise OSError("connection reset")


def test_close_arrives_once_then_closed_and_sends_fail() -> None:
    fake = FakeSession("hi", b"\x01")
    session = VerumWsSession(cast(WsSession, fake))

    async def scenario() -> list[object]:
        token = asyncio.Event()
        return [await session.recv(token), await session.send_text("HI"),
                await session.recv(token), await session.recv(token), await session.recv(token),
                await session.send_text("late"), await session.send_binary(b"x")]

    got = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert got[:3] == [Ok("hi"), Ok(None), Ok(b"\x01")]
    assert got[3:6] == [Ok(CloseMsg(4000, "bye")), Err(Closed(4000)), Err(Closed(4000))]
    assert isinstance(got[6], Err) and isinstance(got[6].error, Io)
    assert fake.sent == ["HI"]


def test_ws_server_echoes_and_reports_the_path() -> None:
    seen: Seen = []

    async def scenario() -> None:
        done = asyncio.Event()
        bound = WsServer.bind("127.0.0.1:0", Recorder(seen, done), ListenerConfig.default(),
                              WsConfig())
        assert isinstance(bound, Ok)
        server = bound.value
        serving = asyncio.create_task(server.serve())
        async with connect(f"ws://127.0.0.1:{server.port}/rooms/7") as client:
            await client.send("hi")
            assert await client.recv() == "HI"
            await client.close(4000, "bye")
        await asyncio.wait_for(done.wait(), 10)
        server.shutdown()
        assert await serving == Ok(None)

    _serve(scenario())
    assert seen[0] == ("info", ("/rooms/7", None))
    assert seen[1:3] == [("recv", Ok("hi")), ("send", Ok(None))]
    # the rest races the runtime ending the handler when the socket closes:
    # either it saw the close, or it was cancelled
    assert all(step[1] in (Ok(CloseMsg(4000, "bye")), Err(Closed(4000)))
               for step in seen[3:] if step[0] == "recv")


def test_cancelled_token_ends_recv_without_losing_messages() -> None:
    class Waiter:
        def __init__(self) -> None:
            self.results: list[object] = []

        async def on_connect(self, session: VerumWsSession, info: WsRequestInfo,
                             token: asyncio.Event) -> None:
            own = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, own.set)
            self.results.append(await session.recv(own))   # cancelled: nothing sent yet
            self.results.append(await session.recv(asyncio.Event()))  # the message sent later
            await session.send_text("done")

    handler = Waiter()

    async def scenario() -> None:
        bound = WsServer.bind("127.0.0.1:0", handler, ListenerConfig.default(), WsConfig())
        assert isinstance(bound, Ok)
        server = bound.value
        serving = asyncio.create_task(server.serve())
        async with connect(f"ws://127.0.0.1:{server.port}/") as client:
            await asyncio.sleep(0.2)
            await client.send(b"late")
            assert await client.recv() == "done"
        server.shutdown()
        await serving

    _serve(scenario())
    assert handler.results == [Err(Cancelled()), Ok(b"late")]


def test_bind_reports_an_address_in_use() -> None:
    async def scenario() -> None:
        first = WsServer.bind("127.0.0.1:0", Recorder([], asyncio.Event()),
                              ListenerConfig.default(), WsConfig())
        assert isinstance(first, Ok)
        second = WsServer.bind(f"127.0.0.1:{first.value.port}", Recorder([], asyncio.Event()),
                               ListenerConfig.default().with_reuseport(False), WsConfig())
        assert isinstance(second, Err) and "cannot listen" in second.error
        first.value.shutdown()

    _serve(scenario())


def test_with_max_message_bytes_caps_frames_too() -> None:
    cfg = with_max_message_bytes(WsConfig(max_frame_bytes=4096), 1024)
    assert (cfg.max_message_bytes, cfg.max_frame_bytes) == (1024, 1024)
    assert with_max_message_bytes(WsConfig(), 2 << 20).max_frame_bytes == WsConfig().max_frame_bytes
