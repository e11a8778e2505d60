"""Which event loops have a server in graceful shutdown (draining).

How this works:

* `Server.shutdown()` calls `mark_draining(stopped)` as phase 1 begins,
  passing the future it resolves when shutdown is complete. The loop of that
  future counts one more draining server until the future is done.
* `is_draining()` answers for the running loop, so readiness (served on the
  same loop as the server) turns 503 for the whole drain, and turns back
  once the drained server is gone and a restarted one serves (a supervisor
  restarting the HTTP child on the same loop).
* Loops are held weakly, so a closed loop leaves nothing behind.

This module imports nothing from weft: `weft.server` may import it.
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["is_draining", "mark_draining"]

_draining: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = weakref.WeakKeyDictionary()


def mark_draining(done: asyncio.Future[None]) -> None:
    """A server on `done`'s loop is draining until `done` completes."""
    loop = done.get_loop()
    _draining[loop] = _draining.get(loop, 0) + 1

    def finished(_: asyncio.Future[None]) -> None:
        left = _draining.get(loop, 1) - 1
        if left > 0:
            _draining[loop] = left
        else:
            _draining.pop(loop, None)

    done.add_done_callback(finished)


def is_draining(loop: asyncio.AbstractEventLoop | None = None) -> bool:
    """A server on `loop` (default: the running loop) is shutting down."""
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
    return _draining.get(loop, 0) > 0
