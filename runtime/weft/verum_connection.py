"""Verum's `ConnectionConfig` (`core.net.weft.connection`).

Per-connection limits and deadlines with Verum's field names and defaults,
plus the optional shared pools. `http1_limits()` turns it into the
`Http1Limits` that `weft.server.ServerConfig(limits=...)` takes, so a
Verum-style config drives the real HTTP/1.1 connection. The pools ride
along for code that leases from them; the HTTP/1.1 connection itself
buffers with `bytearray`s of its own and does not draw from them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import final

from weft.protocols.http1.limits import Http1Limits
from weft.verum_pools import ArenaPool, BufferPool

__all__ = ["ConnectionConfig"]

# Loops schedule timers at finite times; a year is "never" for a connection.
_NO_DEADLINE_S = 365 * 24 * 3600.0


@final
@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """Verum's defaults: 1 MiB requests, deadlines 5 s head / 30 s body / 60 s idle."""

    max_request_size: int = 1024 * 1024
    read_buffer_capacity: int = 16 * 1024
    keep_alive: bool = True
    header_deadline_ms: int = 5_000
    body_deadline_ms: int = 30_000
    idle_deadline_ms: int = 60_000
    pool: BufferPool | None = None
    arena_pool: ArenaPool | None = None

    @classmethod
    def default(cls) -> ConnectionConfig:
        return cls()

    def with_pool(self, pool: BufferPool) -> ConnectionConfig:
        return replace(self, pool=pool)

    def with_arena_pool(self, pool: ArenaPool) -> ConnectionConfig:
        return replace(self, arena_pool=pool)

    def clone(self) -> ConnectionConfig:
        """Frozen, and the pools are shared by design: the value itself."""
        return self

    def http1_limits(self) -> Http1Limits:
        """These limits for the HTTP/1.1 connection (0 ms: no deadline, i.e. a year)."""
        def seconds(ms: int) -> float:
            return ms / 1000 if ms > 0 else _NO_DEADLINE_S
        return Http1Limits(max_body_bytes=self.max_request_size,
                           header_timeout=seconds(self.header_deadline_ms),
                           body_timeout=seconds(self.body_deadline_ms),
                           keepalive_timeout=seconds(self.idle_deadline_ms))
