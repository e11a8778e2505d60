"""Verum's listener surface (`core.net.weft.listener`) over `weft.server.Server`.

Verum binds first and serves later: `Server.bind(addr, handler, config)`
creates, binds and listens on the socket right away (so an address in use
is an `Err` at bind time, and port 0 is resolved before serving); one of
`serve()`, `serve_h2c(limits)` or `serve_tls(config)` then runs a
`weft.server.Server` on that socket.

Shutdown is two-phase, as in Verum:

* `begin_drain()` raises the drain flag (`drain_handle()`); a serving
  server stops accepting and gives in-flight requests `drain_grace_ms`
  (weft's phase 1 and 2), then `serve*` returns `Ok(())`.
* `shutdown()` raises the flag *and* cancels `shutdown_token()`: no grace.
  A server that never served just closes its socket.

Both are plain calls (no await), as Verum declares them; they only set
flags that the serving task acts on, on the same event loop.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, replace
from typing import final

from weft.app import parse_bind
from weft.protocols.http2 import Http2Limits
from weft.result import Err, Ok, Result
from weft.server import Server, ServerConfig, TlsConfig
from weft.types import Service

__all__ = ["AtomicBool", "ListenerConfig", "VerumServer"]


@final
@dataclass(frozen=True, slots=True)
class ListenerConfig:
    """Accept-side settings: Verum's defaults (backlog 1024, 30 s drain grace)."""

    backlog: int = 1024
    reuseport: bool = False
    drain_grace_ms: int = 30_000
    #: io_uring accept is not built (`with_io_uring_strategy` is refused at compile time)
    io_uring_accept: None = None

    @classmethod
    def default(cls) -> ListenerConfig:
        return cls()

    def with_drain_grace_ms(self, millis: int) -> ListenerConfig:
        return replace(self, drain_grace_ms=millis)

    def with_reuseport(self, enabled: bool) -> ListenerConfig:
        return replace(self, reuseport=enabled)

    def server_config(self, base: ServerConfig) -> ServerConfig:
        """`base` with this backlog, SO_REUSEPORT and drain grace (as `shutdown_grace`)."""
        return replace(base, backlog=self.backlog, reuse_port=self.reuseport,
                       shutdown_grace=self.drain_grace_ms / 1000)


@final
class AtomicBool:
    """Verum's `Shared<AtomicBool>` drain flag; one event loop, so a plain bool."""

    __slots__ = ("_value",)

    def __init__(self, value: bool = False) -> None:
        self._value = value

    def load(self) -> bool:
        return self._value

    def store(self, value: bool) -> None:
        self._value = value


def _listen(addr: str, config: ListenerConfig) -> socket.socket:
    where = parse_bind(addr)
    family = socket.AF_INET6 if ":" in where.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if config.reuseport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((where.host, where.port))
        sock.listen(config.backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


@final
class VerumServer:
    """A bound listener plus the service it will serve."""

    __slots__ = ("_draining", "_inner", "_sock", "_token", "_wake", "config", "service")

    def __init__(self, service: Service, config: ListenerConfig, sock: socket.socket) -> None:
        self.service = service
        self.config = config
        self._sock: socket.socket | None = sock
        self._draining = AtomicBool()
        self._token = asyncio.Event()
        self._wake = asyncio.Event()
        self._inner: Server | None = None

    @classmethod
    def bind(cls, addr: str, handler: Service,
             config: ListenerConfig) -> Result[VerumServer, str]:
        """Bind and listen now; `Err` names the address and the OS error."""
        try:
            sock = _listen(addr, config)
        except (OSError, ValueError) as e:
            return Err(f"cannot listen on {addr}: {e}")
        return Ok(cls(handler, config, sock))

    @property
    def port(self) -> int:
        """The bound port (the ephemeral one when bound to port 0)."""
        if self._sock is None:
            raise RuntimeError("the listener is closed")
        port: int = self._sock.getsockname()[1]
        return port

    async def serve(self) -> Result[None, str]:
        return await self._serve(ServerConfig())

    async def serve_h2c(self, limits: Http2Limits) -> Result[None, str]:
        """HTTP/1.1 and HTTP/2 with prior knowledge, under these HTTP/2 limits."""
        return await self._serve(ServerConfig(http2=limits, h2c=True))

    async def serve_tls(self, tls: TlsConfig) -> Result[None, str]:
        """TLS (HTTP/1.1, and HTTP/2 through ALPN) on the bound socket."""
        return await self._serve(ServerConfig(tls=tls))

    async def _serve(self, base: ServerConfig) -> Result[None, str]:
        sock = self._sock
        if sock is None or self._inner is not None:
            return Err("this listener was already served or shut down")
        server_config = self.config.server_config(base)
        grace = server_config.shutdown_grace
        inner = self._inner = Server(self.service, server_config, sock=sock)
        try:
            await inner.start()
        except (OSError, ValueError) as e:
            return Err(f"cannot serve: {e}")
        try:
            await self._wake.wait()
        finally:
            await inner.shutdown(0.0 if self._token.is_set() else grace)
            self._sock = None
        return Ok(None)

    def begin_drain(self) -> None:
        """Phase one: stop accepting; in-flight requests get the drain grace."""
        self._draining.store(True)
        self._wake.set()

    def drain_handle(self) -> AtomicBool:
        return self._draining

    def shutdown_token(self) -> asyncio.Event:
        return self._token

    def shutdown(self) -> None:
        """Drain with no grace: sets the flag and cancels the token."""
        self._draining.store(True)
        self._token.set()
        self._wake.set()
        if self._inner is None and self._sock is not None:
            self._sock.close()
            self._sock = None
