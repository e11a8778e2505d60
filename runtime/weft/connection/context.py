"""What every connection of one server shares: the service, the limits, the
serializer and date clock, the counters, and the set of open connections
(the connection tickets)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, final

from weft.protocols.http1 import DateClock, Http1Limits, ResponseSerializer
from weft.types import Service

if TYPE_CHECKING:
    from weft.connection.http1 import Http1Connection


@final
class ServerStats:
    """Plain counters, read by metrics at scrape time (no locking: one loop)."""

    __slots__ = ("bytes_in", "bytes_out", "connections_open", "connections_rejected",
                 "connections_total", "requests_in_flight", "requests_total")

    def __init__(self) -> None:
        self.connections_open = 0
        self.connections_total = 0
        #: refused with 503 because `max_connections` were open
        self.connections_rejected = 0
        self.requests_total = 0
        self.requests_in_flight = 0
        self.bytes_in = 0
        self.bytes_out = 0

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"ServerStats({fields})"


@final
class ConnectionContext:
    """Shared, per-server state handed to each `Http1Connection`."""

    __slots__ = ("_all_closed", "accepting", "clock", "connections", "limits", "loop",
                 "max_connections", "serializer", "service", "stats")

    def __init__(self, service: Service, limits: Http1Limits, loop: asyncio.AbstractEventLoop,
                 max_connections: int, stats: ServerStats | None = None,
                 clock: DateClock | None = None) -> None:
        self.service = service
        self.limits = limits
        self.loop = loop
        self.max_connections = max_connections
        self.stats = stats if stats is not None else ServerStats()
        self.clock = clock if clock is not None else DateClock()
        if not self.clock.line:
            import time
            self.clock.tick(time.time())
        self.serializer = ResponseSerializer(self.clock)
        #: the open connections; membership is the connection's ticket
        self.connections: set[Http1Connection] = set()
        #: False once shutdown began: connections the kernel had already
        #: accepted are served one response with `connection: close`
        self.accepting = True
        self._all_closed: asyncio.Future[None] | None = None

    def acquire(self, conn: Http1Connection) -> bool:
        """Take a ticket for `conn`; False if the server is full."""
        if len(self.connections) >= self.max_connections:
            self.stats.connections_rejected += 1
            return False
        self.connections.add(conn)
        stats = self.stats
        stats.connections_open += 1
        stats.connections_total += 1
        return True

    def release(self, conn: Http1Connection) -> None:
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
