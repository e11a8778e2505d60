"""L2: per-connection state on asyncio — the nursery that parents every task a
connection starts, deadlines, limits, tickets, and the HTTP/1.1 adapter."""

from weft.connection.context import ConnectionContext, ServerStats
from weft.connection.eager import Resumed
from weft.connection.http1 import Http1Connection, problem_response
from weft.connection.nursery import Nursery

__all__ = [
    "ConnectionContext",
    "Http1Connection",
    "Nursery",
    "Resumed",
    "ServerStats",
    "problem_response",
]
