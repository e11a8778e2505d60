"""The server's view of one HTTP/2 stream's life (RFC 9113 §5.1), as a table.

Invariants:
- A stream the server knows is OPEN, REMOTE_CLOSED (half-closed (remote):
  the client sent END_STREAM) or LOCAL_CLOSED (half-closed (local): we
  sent it). Idle streams are not stored: a client stream id above the
  highest one seen is idle, one at or below it that is not stored is closed.
  Server push is off, so no stream is ever reserved.
- `TRANSITIONS[(state, event)]` is the next state; CLOSED means the stream
  leaves the table and is remembered in `ClosedStreams` with the reason.
  A pair that is missing is a violation: for a received frame, the stream
  error STREAM_CLOSED (§5.1, half-closed (remote)); for something we send,
  the stream is simply no longer writable.
- DATA or HEADERS on a closed stream is judged by how it closed
  (`ON_CLOSED`): after our RST_STREAM the client may still have frames in
  flight, which are ignored; after its own RST_STREAM it is a stream error;
  after both sides ended it is a connection error (§5.1, closed). Only the
  last 512 closed streams are remembered; DATA on an older one is a stream
  error, HEADERS a connection error (it cannot open a stream again).
"""

from __future__ import annotations

from typing import Final, final

from weft.protocols.http2.flow import ReceiveWindow

OPEN: Final = 0
REMOTE_CLOSED: Final = 1
LOCAL_CLOSED: Final = 2
CLOSED: Final = 3
STATE_NAMES: Final = ("open", "half-closed (remote)", "half-closed (local)", "closed")

RECV_HEADERS: Final = 0   # trailers (a HEADERS block on a stream that exists)
RECV_DATA: Final = 1
RECV_END: Final = 2       # END_STREAM on the frame just received
RECV_WINDOW: Final = 3
RECV_RST: Final = 4
SEND_HEADERS: Final = 5
SEND_DATA: Final = 6
SEND_END: Final = 7
SEND_RST: Final = 8
EVENTS: Final = 9

TRANSITIONS: Final[dict[tuple[int, int], int]] = {
    (OPEN, RECV_HEADERS): OPEN,
    (OPEN, RECV_DATA): OPEN,
    (OPEN, RECV_END): REMOTE_CLOSED,
    (OPEN, RECV_WINDOW): OPEN,
    (OPEN, RECV_RST): CLOSED,
    (OPEN, SEND_HEADERS): OPEN,
    (OPEN, SEND_DATA): OPEN,
    (OPEN, SEND_END): LOCAL_CLOSED,
    (OPEN, SEND_RST): CLOSED,
    (REMOTE_CLOSED, RECV_WINDOW): REMOTE_CLOSED,
    (REMOTE_CLOSED, RECV_RST): CLOSED,
    (REMOTE_CLOSED, SEND_HEADERS): REMOTE_CLOSED,
    (REMOTE_CLOSED, SEND_DATA): REMOTE_CLOSED,
    (REMOTE_CLOSED, SEND_END): CLOSED,
    (REMOTE_CLOSED, SEND_RST): CLOSED,
    (LOCAL_CLOSED, RECV_HEADERS): LOCAL_CLOSED,
    (LOCAL_CLOSED, RECV_DATA): LOCAL_CLOSED,
    (LOCAL_CLOSED, RECV_END): CLOSED,
    (LOCAL_CLOSED, RECV_WINDOW): LOCAL_CLOSED,
    (LOCAL_CLOSED, RECV_RST): CLOSED,
    (LOCAL_CLOSED, SEND_RST): CLOSED,
}

# Why a closed stream closed: decides what a late frame on it means.
ENDED: Final = 0          # both sides sent END_STREAM
RESET_SENT: Final = 1     # we sent RST_STREAM (refused, cancelled, stream error)
RESET_RECEIVED: Final = 2  # the client sent RST_STREAM

# What a DATA or HEADERS frame on a closed stream means, by how it closed.
IGNORE: Final = 0
STREAM_ERROR: Final = 1       # RST_STREAM(STREAM_CLOSED)
CONNECTION_ERROR: Final = 2   # GOAWAY(STREAM_CLOSED)
ON_CLOSED: Final[dict[int, int]] = {
    RESET_SENT: IGNORE,
    RESET_RECEIVED: STREAM_ERROR,
    ENDED: CONNECTION_ERROR,
}


@final
class Stream:
    """One stream's state and send window; while the client may still send,
    its receive window and the request body bytes its content-length still
    promises (-1: no content-length)."""

    __slots__ = ("expect", "recv", "send_window", "state")

    def __init__(self, state: int, send_window: int) -> None:
        self.state = state
        self.send_window = send_window
        self.recv: ReceiveWindow | None = None
        self.expect = -1


@final
class ClosedStreams:
    """The last `size` closed stream ids and how each closed (older ones
    are forgotten: bounded memory per connection)."""

    __slots__ = ("_reasons", "_size")

    def __init__(self, size: int = 512) -> None:
        self._reasons: dict[int, int] = {}
        self._size = size

    def add(self, stream_id: int, reason: int) -> None:
        reasons = self._reasons
        reasons[stream_id] = reason
        if len(reasons) > self._size:
            del reasons[next(iter(reasons))]

    def get(self, stream_id: int) -> int | None:
        return self._reasons.get(stream_id)
