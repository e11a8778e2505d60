"""L3 server: bind, accept connections, shut down in two phases.

`Server` owns the listening sockets, the per-server `ConnectionContext` (the
connection tickets and counters) and the one-second `Date` clock.

One port serves every protocol: each accepted connection starts as an
`Http1Connection`, which hands the socket to HTTP/2 when TLS ALPN chose
"h2" or (with `h2c`, on cleartext) the first bytes are the HTTP/2 preface,
and to a WebSocket session when a route accepts an upgrade. With
`config.tls` the listener speaks TLS (`weft.transport.tls`); a bad
certificate or key fails `start()` with `TlsConfigError` before binding.

Shutdown, phase 1: stop accepting (the listening sockets close, so new
connections are refused), close idle keep-alive connections, and mark busy
ones to close after their current response, which carries
`connection: close`; HTTP/2 connections send GOAWAY and finish their open
streams; WebSocket sessions are closed with 1001 (going away). Phase 2: wait up to `grace` seconds for those to finish,
then cancel every remaining connection's nursery and drop its socket.

Beyond `max_connections`, a connection is accepted, answered with a 503
problem+json (`connection: close`, `retry-after: 1`) and closed at once; it
never takes a ticket and never reaches the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import final

from weft import reactor
from weft.connection import ConnectionContext, Http1Connection, ServerStats
from weft.health.drain import mark_draining
from weft.protocols.http1 import DateClock, Http1Limits
from weft.protocols.http2 import Http2Limits
from weft.transport.tls import TlsConfig, build_ssl_context
from weft.types import Service

__all__ = ["Http1Limits", "Http2Limits", "Server", "ServerConfig", "ServerStats", "TlsConfig",
           "serve", "serve_tls"]


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    reuse_port: bool = False
    backlog: int = 2048
    limits: Http1Limits = Http1Limits()  # noqa: RUF009 - frozen, so sharing it is safe
    #: open connections at most; more are answered 503 and closed
    max_connections: int = 10_000
    #: seconds in-flight requests get in shutdown phase 2
    shutdown_grace: float = 10.0
    #: serve TLS on this port (HTTP/1.1 and, via ALPN, HTTP/2)
    tls: TlsConfig | None = None
    #: HTTP/2 limits (None: the hardened defaults of `Http2Limits`)
    http2: Http2Limits | None = None
    #: accept HTTP/2 with prior knowledge (the preface) on a cleartext port
    h2c: bool = True
    #: seconds a client gets to finish the TLS handshake
    tls_handshake_timeout: float = 10.0
    #: builds the SSL context from `tls` (None: `build_ssl_context`); e.g.
    #: `SpiffeTlsTrust(provider).server_context` for a reloadable trust bundle
    ssl_context_factory: Callable[[TlsConfig], ssl.SSLContext] | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"


@final
class Server:
    """An HTTP/1.1, HTTP/2 and WebSocket server for one service on one event loop."""

    __slots__ = ("_clock", "_clock_timer", "_config", "_ctx", "_server", "_service",
                 "_shutdown_started", "_sock", "_stopped", "stats")

    def __init__(self, service: Service, config: ServerConfig | None = None, *,
                 sock: socket.socket | None = None) -> None:
        self._service = service
        self._config = config if config is not None else ServerConfig()
        self._sock = sock
        self.stats = ServerStats()
        self._clock = DateClock()
        self._clock_timer: asyncio.TimerHandle | None = None
        self._ctx: ConnectionContext | None = None
        self._server: asyncio.Server | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._shutdown_started = False

    @property
    def config(self) -> ServerConfig:
        return self._config

    async def start(self) -> None:
        """Bind (IPv4 or IPv6), set SO_REUSEPORT if asked, start accepting."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        cfg = self._config
        # Certificates are read before binding: a bad path or key fails here.
        ssl_ctx: ssl.SSLContext | None = None
        handshake_timeout: float | None = None
        if cfg.tls is not None:
            ssl_ctx = (cfg.ssl_context_factory or build_ssl_context)(cfg.tls)
            handshake_timeout = cfg.tls_handshake_timeout
        self._clock.tick(time.time())
        ctx = ConnectionContext(self._service, cfg.limits, loop, cfg.max_connections,
                                self.stats, self._clock, http2=cfg.http2,
                                h2c=cfg.h2c and cfg.tls is None)
        factory = functools.partial(Http1Connection, ctx)
        if self._sock is not None:
            server = await loop.create_server(factory, sock=self._sock, backlog=cfg.backlog,
                                              ssl=ssl_ctx,
                                              ssl_handshake_timeout=handshake_timeout)
        else:
            server = await loop.create_server(
                factory, cfg.host, cfg.port, reuse_port=cfg.reuse_port or None,
                backlog=cfg.backlog, reuse_address=True, ssl=ssl_ctx,
                ssl_handshake_timeout=handshake_timeout)
        self._ctx = ctx
        self._server = server
        self._stopped = loop.create_future()
        self._schedule_clock(loop)

    def _schedule_clock(self, loop: asyncio.AbstractEventLoop) -> None:
        now = time.time()
        self._clock.tick(now)
        self._clock_timer = loop.call_later(1.0 - (now % 1.0) + 0.001,
                                            self._schedule_clock, loop)

    @property
    def sockets(self) -> list[socket.socket]:
        if self._server is None:
            return []
        # asyncio exposes TransportSocket wrappers; they quack like sockets.
        return list(self._server.sockets)

    @property
    def port(self) -> int:
        """The bound port (an ephemeral one when the config asked for 0)."""
        socks = self.sockets
        if not socks:
            raise RuntimeError("server is not listening; call start() first")
        port: int = socks[0].getsockname()[1]
        return port

    @property
    def connections(self) -> int:
        return len(self._ctx.connections) if self._ctx is not None else 0

    async def serve_forever(self) -> None:
        """Start if needed; return once `shutdown` has completed."""
        await self.start()
        assert self._stopped is not None
        await asyncio.shield(self._stopped)

    async def shutdown(self, grace: float | None = None) -> None:
        """Two-phase graceful shutdown (see the module docstring)."""
        ctx, server = self._ctx, self._server
        if ctx is None or server is None:
            return
        if self._shutdown_started:
            assert self._stopped is not None
            await asyncio.shield(self._stopped)
            return
        self._shutdown_started = True
        assert self._stopped is not None
        mark_draining(self._stopped)  # readiness answers 503 until shutdown completes
        grace = self._config.shutdown_grace if grace is None else grace
        # Phase 1.
        ctx.accepting = False
        server.close()
        for conn in list(ctx.connections):
            conn.begin_shutdown()
        # Phase 2.
        try:
            await asyncio.wait_for(ctx.wait_all_closed(), max(grace, 0.0))
        except TimeoutError:
            for conn in list(ctx.connections):
                conn.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ctx.wait_all_closed(), 1.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 1.0)
        if self._clock_timer is not None:
            self._clock_timer.cancel()
            self._clock_timer = None
        assert self._stopped is not None
        if not self._stopped.done():
            self._stopped.set_result(None)


def serve_tls(service: Service, tls: TlsConfig, config: ServerConfig | None = None) -> None:
    """`serve` over TLS: HTTP/1.1 and HTTP/2 (ALPN) on one port, with `tls`
    replacing `config.tls`. Raises `TlsConfigError` before binding if the
    certificate or key cannot be used."""
    serve(service, replace(config if config is not None else ServerConfig(), tls=tls))


def serve(service: Service, config: ServerConfig | None = None) -> None:
    """Serve on the reactor's loop (uvloop) until SIGINT/SIGTERM, then shut
    down gracefully."""

    async def main() -> None:
        server = Server(service, config)
        await server.start()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            await server.shutdown()

    reactor.run(main())
