"""What every connection of one server shares: the service, the limits, the
serializer and date clock, the counters, and the set of open connections
(the connection tickets).

A ticket is held by whichever protocol currently owns the socket: an
`Http1Connection` takes it when the connection is accepted and passes it on
(`hand_over`) when HTTP/2 or a WebSocket session takes the socket over, so
the server's shutdown reaches every connection kind through one
`ServedConnection` interface.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Protocol, final

from weft.protocols.http1 import DateClock, Http1Limits, ResponseSerializer
from weft.protocols.http2 import Http2Limits
from weft.types import Service


class ServedConnection(Protocol):
    """What two-phase shutdown needs from any connection kind."""

    def begin_shutdown(self) -> None:
        """Phase 1: finish what is in progress, accept nothing new, then close."""

    def abort(self) -> None:
        """Phase 2: cancel every child task and drop the socket."""

    @property
    def idle(self) -> bool:
        """Nothing in progress (closing it now loses no work)."""


@final
class ServerStats:
    """Plain counters, read by metrics at scrape time (no locking: one loop)."""

    __slots__ = ("__weakref__", "bytes_in", "bytes_out", "connections_open",
                 "connections_rejected", "connections_total", "requests_in_flight",
                 "requests_total")

    def __init__(self) -> None:
        _LIVE_STATS.add(self)
        self.connections_open = 0
        self.connections_total = 0
        #: refused with 503 because `max_connections` were open
        self.connections_rejected = 0
        self.requests_total = 0
        self.requests_in_flight = 0
        self.bytes_in = 0
        self.bytes_out = 0

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in self.__slots__
                           if name != "__weakref__")
        return f"ServerStats({fields})"


# Every live server's counters in this process, so process-wide gauges (the
# metrics layer's open-connection count) need no wiring between app and layer.
_LIVE_STATS: weakref.WeakSet[ServerStats] = weakref.WeakSet()


def open_connections() -> int:
    """Client connections open right now across this process's servers."""
    return sum(stats.connections_open for stats in list(_LIVE_STATS))


@final
class ConnectionContext:
    """Shared, per-server state handed to each `Http1Connection`."""

    __slots__ = ("_all_closed", "accepting", "clock", "connections", "h2c", "http2",
                 "limits", "loop", "max_connections", "serializer", "service", "stats")

    def __init__(self, service: Service, limits: Http1Limits, loop: asyncio.AbstractEventLoop,
                 max_connections: int, stats: ServerStats | None = None,
                 clock: DateClock | None = None, *, http2: Http2Limits | None = None,
                 h2c: bool = False) -> None:
        self.service = service
        self.limits = limits
        #: limits for connections that switch to HTTP/2 (ALPN "h2" or h2c)
        self.http2 = http2 if http2 is not None else Http2Limits()
        #: look for the HTTP/2 preface on the first bytes of cleartext connections
        self.h2c = h2c
        self.loop = loop
        self.max_connections = max_connections
        self.stats = stats if stats is not None else ServerStats()
        self.clock = clock if clock is not None else DateClock()
        if not self.clock.line:
            import time
            self.clock.tick(time.time())
        self.serializer = ResponseSerializer(self.clock)
        #: the open connections; membership is the connection's ticket
        self.connections: set[ServedConnection] = set()
        #: False once shutdown began: connections the kernel had already
        #: accepted are served one response with `connection: close`
        self.accepting = True
        self._all_closed: asyncio.Future[None] | None = None

    def acquire(self, conn: ServedConnection) -> bool:
        """Take a ticket for `conn`; False if the server is full."""
        if len(self.connections) >= self.max_connections:
            self.stats.connections_rejected += 1
            return False
        self.connections.add(conn)
        stats = self.stats
        stats.connections_open += 1
        stats.connections_total += 1
        return True

    def hand_over(self, old: ServedConnection, new: ServedConnection) -> None:
        """Move `old`'s ticket to `new`, the protocol that took its socket over
        (the open-connection count does not change)."""
        if old in self.connections:
            self.connections.discard(old)
            self.connections.add(new)

    def release(self, conn: ServedConnection) -> None:
        """Give the ticket back (idempotent); wakes `wait_all_closed`."""
        if conn in self.connections:
            self.connections.discard(conn)
            self.stats.connections_open -= 1
            waiter = self._all_closed
            if not self.connections and waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def wait_all_closed(self) -> None:
        if not self.connections:
            return
        if self._all_closed is None or self._all_closed.done():
            self._all_closed = self.loop.create_future()
        await self._all_closed
