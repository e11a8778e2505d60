"""Verum's readiness hook (`core.net.weft.health`) over `weft.health`.

`Readiness.bind_to_shutdown(token)`: once `token` is cancelled, the
readiness drains for good (`/_health/ready` answers 503 with status
`draining`), as Verum's does when its watcher task sees the token fire.
Typically the token is the listener's `Server.shutdown_token()`.

How this works: a `CancellationToken` is an `asyncio.Event`, which offers
no callback, and a watcher task would have no parent. So the readiness reads
the token itself, through a required check named `shutdown` (`shutdown-2`,
… for further tokens) that fails once the token is set and drains the
readiness as it does. Every evaluation runs it, so the first probe after
the token fires already reports draining; with `Readiness(cache_for=s)` a
cached report is reused until it expires, as for every other check. A token
cancelled before the call drains at once.
"""

from __future__ import annotations

import asyncio
from typing import Final

from weft.health import Readiness

__all__ = ["SHUTDOWN_CHECK", "bind_to_shutdown"]

SHUTDOWN_CHECK: Final = "shutdown"


def bind_to_shutdown(readiness: Readiness, token: asyncio.Event) -> None:
    """Drain `readiness` once `token` is cancelled."""
    if token.is_set():
        readiness.drain()
    taken = {c.name for c in readiness.checks}
    name, n = SHUTDOWN_CHECK, 1
    while name in taken:
        n += 1
        name = f"{SHUTDOWN_CHECK}-{n}"

    def not_shut_down() -> bool:
        if token.is_set():
            readiness.drain()
            return False
        return True

    readiness.add_check(name, not_shut_down)
