"""Verum's transport-generic WebSocket surface over `weft.connection.websocket`.

Verum's `WsHandler.on_connect<T>(session: &mut WsSession<T>, info, token)`
talks to a session parameterised by its transport; weft's sessions always
run over the server's own connection (HTTP/1.1 upgrade, or HTTP/2 extended
CONNECT), so the parameter is erased: `VerumWsSession` wraps a
`weft.connection.websocket.WsSession` and answers in Verum's shapes.

- `recv(token)` gives `Ok(str)` for a text message and `Ok(bytes)` for a
  binary one. Pings are answered by the runtime itself and never surface,
  so `PingMsg`/`PongMsg` are declared but never received. When the session
  ends, the first `recv` gives `Ok(CloseMsg(code, reason))` and later ones
  `Err(Closed(code))`. A cancelled `token` gives `Err(Cancelled())`, and no
  message is lost by it (the runtime's receive is cancel-safe).
- `send_text`/`send_binary` give `Err(Closed(code))` on a closed session and
  `Err(Io(text))` when the socket fails.

`WsServer.bind(addr, handler, listener, config)` is the standalone server:
every path is a WebSocket route, served by `weft.server` through
`weft.verum_listener.VerumServer` (so drain and shutdown behave as for any
listener), and `token` is that listener's shutdown token.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Protocol, final

from weft.connection.websocket import WsClosed, WsSession
from weft.protocols.websocket import WsConfig
from weft.result import Err, Ok, Result
from weft.router import Router
from weft.verum_listener import ListenerConfig, VerumServer

__all__ = [
    "Cancelled", "CloseMsg", "Closed", "Io", "MessageTooBig", "PingMsg", "PongMsg",
    "ProtocolViolation", "VerumWsHandler", "VerumWsMessage", "VerumWsSession", "WsError",
    "WsRequestInfo", "WsServer", "with_max_message_bytes",
]


@final
@dataclass(frozen=True, slots=True)
class CloseMsg:
    code: int
    reason: str


@final
@dataclass(frozen=True, slots=True)
class PingMsg:
    data: bytes


@final
@dataclass(frozen=True, slots=True)
class PongMsg:
    data: bytes


VerumWsMessage = str | bytes | CloseMsg | PingMsg | PongMsg


@final
@dataclass(frozen=True, slots=True)
class Closed:
    code: int


@final
@dataclass(frozen=True, slots=True)
class ProtocolViolation:
    detail: str


@final
@dataclass(frozen=True, slots=True)
class MessageTooBig:
    size: int


@final
@dataclass(frozen=True, slots=True)
class Cancelled:
    pass


@final
@dataclass(frozen=True, slots=True)
class Io:
    detail: str


WsError = Closed | ProtocolViolation | MessageTooBig | Cancelled | Io


@final
@dataclass(frozen=True, slots=True)
class WsRequestInfo:
    path: str
    subprotocol: str | None


def with_max_message_bytes(config: WsConfig, limit: int) -> WsConfig:
    """Verum's `WsConfig.with_max_message_bytes`; frames may not exceed messages."""
    return replace(config, max_message_bytes=limit,
                   max_frame_bytes=min(config.max_frame_bytes, limit))


@final
class VerumWsSession:
    """Verum's `WsSession<T>`; see the module docstring for the shapes."""

    __slots__ = ("_ended", "session")

    def __init__(self, session: WsSession) -> None:
        self.session = session
        self._ended: int | None = None

    async def recv(self, token: asyncio.Event) -> Result[VerumWsMessage, WsError]:
        if self._ended is not None:
            return Err(Closed(self._ended))
        if token.is_set():
            return Err(Cancelled())
        receive = asyncio.ensure_future(self.session.recv())
        cancelled = asyncio.ensure_future(token.wait())
        try:
            await asyncio.wait((receive, cancelled), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (receive, cancelled):
                if not waiter.done():
                    waiter.cancel()
                elif not waiter.cancelled():
                    waiter.exception()  # retrieved, even when we are cancelled ourselves
        if not receive.done() or receive.cancelled():
            return Err(Cancelled())
        error = receive.exception()
        if isinstance(error, WsClosed):
            self._ended = error.code
            return Ok(CloseMsg(error.code, error.reason))
        if isinstance(error, OSError):
            return Err(Io(str(error)))
        if error is not None:
            raise error
        return Ok(receive.result())

    async def send_text(self, text: str) -> Result[None, WsError]:
        return await self._send(text)

    async def send_binary(self, data: bytes) -> Result[None, WsError]:
        return await self._send(bytes(data))

    async def _send(self, data: str | bytes) -> Result[None, WsError]:
        try:
            if isinstance(data, str):
                await self.session.send_text(data)
            else:
                await self.session.send_bytes(data)
        except WsClosed as exc:
            return Err(Closed(exc.code))
        except OSError as exc:
            return Err(Io(str(exc)))
        return Ok(None)


class VerumWsHandler(Protocol):
    """Verum's `WsHandler` protocol, as generated code implements it."""

    async def on_connect(self, session: VerumWsSession, info: WsRequestInfo,
                         token: asyncio.Event) -> None: ...


@final
class WsServer:
    """A bound listener whose every path is this handler's WebSocket route."""

    __slots__ = ("handler", "listener")

    def __init__(self, handler: VerumWsHandler, listener: VerumServer) -> None:
        self.handler = handler
        self.listener = listener

    @classmethod
    def bind(cls, addr: str, handler: VerumWsHandler, listener: ListenerConfig,
             config: WsConfig) -> Result[WsServer, str]:
        holder: list[WsServer] = []

        async def endpoint(session: WsSession) -> None:
            info = WsRequestInfo(session.path, session.subprotocol)
            await handler.on_connect(VerumWsSession(session), info,
                                     holder[0].listener.shutdown_token())

        router = Router().ws("/", endpoint, config).ws("/*rest", endpoint, config)
        bound = VerumServer.bind(addr, router, listener)
        if isinstance(bound, Err):
            return bound
        holder.append(cls(handler, bound.value))
        return Ok(holder[0])

    @property
    def port(self) -> int:
        return self.listener.port

    async def serve(self) -> Result[None, str]:
        """Serve until `shutdown` (or `begin_drain`) of the listener."""
        return await self.listener.serve()

    def begin_drain(self) -> None:
        self.listener.begin_drain()

    def shutdown(self) -> None:
        self.listener.shutdown()
