"""The asyncio adapter for WebSocket: a session per upgraded connection, the
routes that map a path to a handler, and `Broadcast` for fan-out.

How it works:
- The HTTP/1.1 connection parses the upgrade request as usual. For a path
  in `WsRoutes` it calls `upgrade(transport, request, buffered, route)`:
  that validates the handshake (an error `Response` comes back for the
  HTTP/1.1 connection to send: 426 or 400), otherwise writes the 101, puts a
  `WsProtocol` on the transport, feeds it the bytes that followed the head,
  and starts the handler as the only child of the session's nursery.
- `WsProtocol.data_received` feeds `WsCore`; pongs and close echoes are
  written at once; messages go to the session's queue. When the queue holds
  `max_queued_messages`, reading pauses (a slow handler slows the client).
- Sends wait while the transport's buffer is above its high-water mark
  (`pause_writing`/`resume_writing`), so a client that reads slowly slows
  its handler instead of growing server memory.
- When the handler returns the session closes with 1000 (1011 if it
  raised); server shutdown closes it with 1001 (`begin_shutdown`); when the client closes, `recv()` raises `WsClosed` and iteration
  stops. The server closes TCP after the close handshake (or after
  `close_timeout`).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final, cast, final

from weft.connection.nursery import Nursery
from weft.http_types import Request, Response
from weft.protocols.websocket import (
    Closed,
    MessageReceived,
    WsConfig,
    WsCore,
    check_upgrade,
)

# `WsState` and `WsMessage` (targets of core.net.weft.websocket) are left
# out until tests/weft/http2/test_h2_exports.py pins them.
__all__ = ["Broadcast", "WsClosed", "WsHandler", "WsProtocol", "WsRoute", "WsRoutes",
           "WsSession", "is_websocket_upgrade", "upgrade"]

logger: Final = logging.getLogger("weft")


class WsClosed(Exception):
    """The WebSocket is closed; `code` is the close code received or sent."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with {code}{': ' + reason if reason else ''}")
        self.code = code
        self.reason = reason


WsHandler = Callable[["WsSession"], Awaitable[None]]

#: one whole received message: text or binary
WsMessage = str | bytes


@enum.unique
class WsState(enum.Enum):
    """Our side of the closing handshake (what `core.net.weft.websocket`'s
    contracts track): OPEN until we send a close frame, CLOSING until the
    peer's close frame arrives (or the socket ends), then CLOSED. A close
    the peer starts goes straight to CLOSED once answered."""

    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


@final
class WsSession:
    """What a handler talks to: `recv`, `send_text`/`send_bytes`, `close`,
    and `async for message in session`."""

    __slots__ = ("_proto", "request", "subprotocol")

    def __init__(self, proto: WsProtocol, request: Request, subprotocol: str | None) -> None:
        self._proto = proto
        self.request = request
        self.subprotocol = subprotocol

    async def recv(self) -> str | bytes:
        """The next whole message; raises `WsClosed` once the socket closes."""
        return await self._proto.recv()

    async def send_text(self, text: str) -> None:
        await self._proto.send(text)

    async def send_bytes(self, data: bytes) -> None:
        await self._proto.send(bytes(data))

    async def ping(self, payload: bytes = b"") -> None:
        self._proto.ping(payload)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame and wait (bounded) for the client's answer."""
        await self._proto.close(code, reason)

    async def receive(self) -> WsMessage | None:
        """The next whole message, or None once the socket is closed (the
        shape `core.net.weft.websocket`'s `recv` has)."""
        try:
            return await self._proto.recv()
        except WsClosed:
            return None

    def begin_close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame now (OPEN -> CLOSING), without waiting."""
        self._proto.begin_close(code, reason)

    async def wait_closed(self) -> None:
        """Wait (at most `close_timeout`) for the peer's close frame after
        ours, then close the connection (CLOSING -> CLOSED)."""
        await self._proto.wait_closed()

    @property
    def state(self) -> WsState:
        return self._proto.state

    @property
    def path(self) -> str:
        return self.request.path

    def try_send(self, data: str | bytes, max_buffered: int) -> bool:
        """Send without waiting unless `max_buffered` bytes already wait in
        the transport; False (nothing sent) then or when closed."""
        return self._proto.try_send(data, max_buffered)

    def drop(self, code: int, reason: str) -> None:
        """Close now without waiting: send a close frame, then give the
        client `close_timeout` seconds before the socket is aborted."""
        self._proto.drop(code, reason)

    @property
    def closed(self) -> bool:
        return self._proto.closed

    @property
    def close_code(self) -> int | None:
        return self._proto.close_code

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                yield await self.recv()
            except WsClosed:
                return


@final
class WsProtocol(asyncio.Protocol):
    """One upgraded connection (see the module docstring)."""

    __slots__ = (
        "_close_timer",
        "_config",
        "_core",
        "_drain",
        "_inbox",
        "_loop",
        "_nursery",
        "_on_close",
        "_peer_closed",
        "_read_paused",
        "_recv_waiter",
        "_transport",
        "_write_paused",
        "close_code",
        "close_reason",
        "closed",
    )

    def __init__(self, config: WsConfig, core: WsCore, loop: asyncio.AbstractEventLoop,
                 on_close: Callable[[], None] | None = None) -> None:
        self._config = config
        self._core = core
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._nursery = Nursery(loop)
        self._inbox: deque[str | bytes] = deque()
        self._recv_waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False
        self._on_close = on_close
        self._peer_closed: asyncio.Future[None] = loop.create_future()
        self._close_timer: asyncio.TimerHandle | None = None
        self.closed = False
        self.close_code: int | None = None
        #: the reason text of the peer's close frame, when it sent one
        self.close_reason = ""

    # ------------------------------------------------------------- lifecycle

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self.closed:
            self.closed = True
            self.close_code = 1006  # abnormal closure: no close frame
        if self._close_timer is not None:
            self._close_timer.cancel()
        self._nursery.cancel()
        self._wake_reader()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)
        if not self._peer_closed.done():
            self._peer_closed.set_result(None)
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def start(self, handler: WsHandler, session: WsSession) -> asyncio.Task[None]:
        return self._nursery.start(self._run(handler, session))

    async def _run(self, handler: WsHandler, session: WsSession) -> None:
        try:
            await handler(session)
        except (WsClosed, ConnectionError):
            pass
        except Exception:
            logger.exception("WebSocket handler for %s failed", session.request.path)
            await self.close(1011, "internal error")
            return
        await self.close(1000, "")

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def begin_shutdown(self) -> None:
        """Server shutdown, phase 1: close with 1001 (going away). The handler's
        `recv()` raises `WsClosed(1001)`; the socket closes once the client
        answers (or after `close_timeout`)."""
        if self.closed or self._transport is None or self._nursery.closed:
            return
        self.begin_close(1001, "server shutting down")
        self._nursery.start(self.wait_closed())

    @property
    def idle(self) -> bool:
        """A session is never idle until it is closed: shutting it down ends
        a conversation, so it is always asked politely (`begin_shutdown`)."""
        return self.closed

    @property
    def state(self) -> WsState:
        if not self.closed:
            return WsState.OPEN
        if self._transport is not None and not self._peer_closed.done():
            return WsState.CLOSING
        return WsState.CLOSED

    # ----------------------------------------------------------------- input

    def data_received(self, data: bytes) -> None:
        for ev in self._core.receive(data):
            if type(ev) is MessageReceived:
                self._inbox.append(ev.data)
            elif type(ev) is Closed:
                self.closed = True
                self.close_code = ev.code
                self.close_reason = ev.reason or ""
                self._write(self._core.data_to_send())
                if not self._peer_closed.done():
                    self._peer_closed.set_result(None)
                # The server closes TCP first once close frames crossed.
                if self._transport is not None:
                    self._transport.close()
                break
        self._write(self._core.data_to_send())
        self._wake_reader()
        if (len(self._inbox) >= self._config.max_queued_messages and not self._read_paused
                and self._transport is not None):
            self._read_paused = True
            self._transport.pause_reading()

    def eof_received(self) -> bool | None:
        return False

    async def recv(self) -> str | bytes:
        while not self._inbox:
            if self.closed or self._transport is None:
                raise WsClosed(self.close_code or 1006)
            waiter = self._recv_waiter
            if waiter is None or waiter.done():
                waiter = self._recv_waiter = self._loop.create_future()
            await waiter
        message = self._inbox.popleft()
        if self._read_paused and len(self._inbox) < self._config.max_queued_messages // 2 + 1:
            self._read_paused = False
            if self._transport is not None:
                self._transport.resume_reading()
        return message

    def _wake_reader(self) -> None:
        waiter = self._recv_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ---------------------------------------------------------------- output

    def _write(self, data: bytes) -> None:
        if data and self._transport is not None:
            self._transport.write(data)

    async def send(self, data: str | bytes) -> None:
        while self._write_paused and self._transport is not None:
            drain = self._drain
            if drain is None or drain.done():
                drain = self._drain = self._loop.create_future()
            await drain
        if self.closed or self._transport is None:
            raise WsClosed(self.close_code or 1006)
        self._core.send(data)
        self._write(self._core.data_to_send())

    def try_send(self, data: str | bytes, max_buffered: int) -> bool:
        transport = self._transport
        if self.closed or transport is None or transport.get_write_buffer_size() > max_buffered:
            return False
        self._core.send(data)
        self._write(self._core.data_to_send())
        return True

    def ping(self, payload: bytes) -> None:
        self._core.ping(payload)
        self._write(self._core.data_to_send())

    async def close(self, code: int, reason: str) -> None:
        self.begin_close(code, reason)
        await self.wait_closed()

    def begin_close(self, code: int, reason: str) -> bool:
        """Send our close frame now, without waiting; False if the session
        was closing or closed already (then nothing is sent)."""
        if self._transport is None or self.closed:
            return False
        self.closed = True
        self.close_code = code
        self._core.close(code, reason)
        self._write(self._core.data_to_send())
        self._wake_reader()
        return True

    async def wait_closed(self) -> None:
        """Wait at most `close_timeout` for the peer's close frame, then
        close the transport."""
        if self._transport is None:
            return
        if not self._peer_closed.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._peer_closed),
                                       self._config.close_timeout)
            except TimeoutError:
                pass
        if self._transport is not None:
            self._transport.close()

    def drop(self, code: int, reason: str) -> None:
        transport = self._transport
        if transport is None:
            return
        if not self.closed:
            self.closed = True
            self.close_code = code
            self._core.close(code, reason)
            self._write(self._core.data_to_send())
            self._wake_reader()
        transport.close()
        if self._close_timer is None:
            self._close_timer = self._loop.call_later(self._config.close_timeout, self.abort)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)


# -------------------------------------------------------------------- routes


@dataclass(frozen=True, slots=True)
class WsRoute:
    path: str
    handler: WsHandler
    config: WsConfig = field(default_factory=WsConfig)


@final
class WsRoutes:
    """Exact-path WebSocket routes kept beside the HTTP `Router`."""

    __slots__ = ("_routes",)

    def __init__(self) -> None:
        self._routes: dict[str, WsRoute] = {}

    def add(self, path: str, handler: WsHandler, config: WsConfig | None = None) -> WsRoutes:
        if not path.startswith("/"):
            raise ValueError(f"WebSocket route {path!r} must start with '/'")
        if path in self._routes:
            raise ValueError(f"WebSocket route {path!r} is already registered")
        self._routes[path] = WsRoute(path, handler, config if config is not None else WsConfig())
        return self

    def match(self, request: Request) -> WsRoute | None:
        """The route for an upgrade request (None for anything else)."""
        if not self._routes or not is_websocket_upgrade(request):
            return None
        return self._routes.get(request.path)

    def __len__(self) -> int:
        return len(self._routes)


def is_websocket_upgrade(request: Request) -> bool:
    """Does `request` ask to upgrade to WebSocket?"""
    upgrade_header = request.headers.get("upgrade")
    return upgrade_header is not None and "websocket" in upgrade_header.lower()


def upgrade(transport: asyncio.BaseTransport, request: Request, buffered: bytes,
            route: WsRoute, *, on_close: Callable[[], None] | None = None
            ) -> WsProtocol | Response:
    """Take over `transport` for `route` (see the module docstring). Returns
    the error `Response` to send, unchanged transport, if the handshake is
    invalid; otherwise the new protocol, already running the handler."""
    handshake = check_upgrade(request, route.config)
    if isinstance(handshake, Response):
        return handshake
    loop = asyncio.get_running_loop()
    proto = WsProtocol(route.config, WsCore(handshake.extensions), loop, on_close)
    transport.set_protocol(proto)
    proto.connection_made(transport)
    cast(asyncio.Transport, transport).write(handshake.response)
    session = WsSession(proto, request, handshake.subprotocol)
    if buffered:
        proto.data_received(buffered)
    proto.start(route.handler, session)
    return proto


# ----------------------------------------------------------------- broadcast


@final
class Broadcast:
    """Fan one message out to many sessions without waiting on any of them.

    A subscriber whose transport already buffers more than `max_buffered`
    bytes is too slow to keep: it is dropped and closed with 1013 ("try again
    later") instead of holding the publisher or growing memory.
    """

    __slots__ = ("_max_buffered", "_sessions", "dropped")

    def __init__(self, max_buffered: int = 1024 * 1024) -> None:
        self._max_buffered = max_buffered
        self._sessions: set[WsSession] = set()
        self.dropped = 0

    def subscribe(self, session: WsSession) -> None:
        self._sessions.add(session)

    def unsubscribe(self, session: WsSession) -> None:
        self._sessions.discard(session)

    def __len__(self) -> int:
        return len(self._sessions)

    def publish(self, message: str | bytes) -> int:
        """Send to every live subscriber; returns how many got it."""
        delivered = 0
        for session in list(self._sessions):
            if session.closed:
                self._sessions.discard(session)
            elif session.try_send(message, self._max_buffered):
                delivered += 1
            else:
                self._sessions.discard(session)
                self.dropped += 1
                session.drop(1013, "subscriber too slow")
        return delivered

