"""Receive-side flow control (RFC 9113 §5.2, §6.9): how much the client may
still send on the connection or on one stream, and when to reopen it.

Policy: the server consumes request bytes as soon as they arrive (a body is
capped by `Http2Limits.max_body_bytes`, not by the window), so a window is
reopened with one WINDOW_UPDATE once half of its target has been used, not
one per DATA frame. A frame larger than what is left is the client's
FLOW_CONTROL_ERROR. A window may go negative when the server lowers
SETTINGS_INITIAL_WINDOW_SIZE (§6.9.2); the client then waits for updates.
"""

from __future__ import annotations

from typing import final


@final
class ReceiveWindow:
    __slots__ = ("pending", "target", "window")

    def __init__(self, target: int) -> None:
        #: bytes the client may still send
        self.window = target
        #: consumed bytes not yet given back with a WINDOW_UPDATE
        self.pending = 0
        #: the size the window is kept near
        self.target = target

    def take(self, n: int) -> bool:
        """Account for a received flow-controlled frame of `n` bytes; False
        (nothing changed) if the client overran the window."""
        if n > self.window:
            return False
        self.window -= n
        self.pending += n
        return True

    def release(self) -> int:
        """The WINDOW_UPDATE increment due now (0: none yet). Invariant:
        `window + pending == target`, so a granted window never passes the
        target (nor 2**31-1), and a window at or below 0 always has a
        grant due."""
        pending = self.pending
        if pending and pending >= self.target >> 1:
            self.window += pending
            self.pending = 0
            return pending
        return 0

    def resize(self, target: int) -> None:
        """Our SETTINGS_INITIAL_WINDOW_SIZE took effect (the client
        acknowledged it): the window moves by the difference."""
        self.window += target - self.target
        self.target = target
