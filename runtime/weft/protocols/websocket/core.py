"""`WsCore`: one server-side WebSocket after the handshake, sans-IO, over
wsproto's frame protocol.

wsproto already enforces client masking (an unmasked frame fails with 1002),
UTF-8 validity of text (1007, checked incrementally across fragments), the
control-frame rules, and our `FrameLimits`/`BoundedDeflate` extensions (1009).
This class adds what a server needs on top: fragments reassembled into whole
messages, an automatic pong for every ping, the close frame echoed when the
client starts the closing handshake, and a close frame with the right code
when wsproto reports a violation. Output bytes accumulate until
`data_to_send()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage
from wsproto.extensions import Extension


@dataclass(frozen=True, slots=True)
class MessageReceived:
    data: str | bytes


@dataclass(frozen=True, slots=True)
class PingReceived:
    payload: bytes


@dataclass(frozen=True, slots=True)
class PongReceived:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Closed:
    """The connection is closing. `by_peer`: the client sent a close frame
    (already echoed); otherwise we failed it for a violation (close frame
    with `code` already queued) or answered our own close."""

    code: int
    reason: str
    by_peer: bool


WsEvent = MessageReceived | PingReceived | PongReceived | Closed


@final
class WsCore:
    __slots__ = ("_blobs", "_conn", "_out", "_texts", "closed")

    def __init__(self, extensions: tuple[Extension, ...] = ()) -> None:
        self._conn = Connection(ConnectionType.SERVER, list(extensions))
        self._out: list[bytes] = []
        self._texts: list[str] = []
        self._blobs: list[bytes] = []
        self.closed = False

    def receive(self, data: bytes) -> list[WsEvent]:
        if self.closed and self._conn.state is ConnectionState.CLOSED:
            return []
        conn = self._conn
        conn.receive_data(data)
        out: list[WsEvent] = []
        for ev in conn.events():
            if isinstance(ev, (TextMessage, BytesMessage)):
                self._message(ev, out)
            elif isinstance(ev, Ping):
                self._out.append(conn.send(ev.response()))
                out.append(PingReceived(bytes(ev.payload)))
            elif isinstance(ev, Pong):
                out.append(PongReceived(bytes(ev.payload)))
            elif isinstance(ev, CloseConnection):
                out.append(self._closing(ev))
                break
        return out

    def _message(self, ev: TextMessage | BytesMessage, out: list[WsEvent]) -> None:
        if isinstance(ev, TextMessage):
            if ev.message_finished and not self._texts:
                out.append(MessageReceived(ev.data))
                return
            self._texts.append(ev.data)
            if ev.message_finished:
                out.append(MessageReceived("".join(self._texts)))
                self._texts = []
            return
        if ev.message_finished and not self._blobs:
            out.append(MessageReceived(bytes(ev.data)))
            return
        self._blobs.append(bytes(ev.data))
        if ev.message_finished:
            out.append(MessageReceived(b"".join(self._blobs)))
            self._blobs = []

    def _closing(self, ev: CloseConnection) -> Closed:
        conn = self._conn
        code = int(ev.code)
        reason = ev.reason or ""
        self.closed = True
        if conn.state is ConnectionState.REMOTE_CLOSING:
            # The client closed: echo its code (1005 "no status" is echoed as empty).
            self._out.append(conn.send(ev.response()))
            return Closed(code, reason, True)
        if conn.state is ConnectionState.CLOSED:
            return Closed(code, reason, True)  # the answer to our own close
        # wsproto reported a violation; fail the connection with its code.
        self._out.append(conn.send(CloseConnection(code, reason[:100])))
        return Closed(code, reason, False)

    def send(self, data: str | bytes) -> None:
        if self._conn.state is not ConnectionState.OPEN:
            raise ConnectionError("the WebSocket is closing")
        if isinstance(data, str):
            self._out.append(self._conn.send(TextMessage(data=data)))
        else:
            self._out.append(self._conn.send(BytesMessage(data=data)))

    def ping(self, payload: bytes = b"") -> None:
        if self._conn.state is ConnectionState.OPEN:
            self._out.append(self._conn.send(Ping(payload)))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (no-op if closing already)."""
        if self._conn.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            self._out.append(self._conn.send(CloseConnection(code, reason)))
        self.closed = True

    @property
    def close_done(self) -> bool:
        """Both close frames have been exchanged."""
        return self._conn.state is ConnectionState.CLOSED

    def data_to_send(self) -> bytes:
        out = self._out
        if not out:
            return b""
        data = b"".join(out)
        out.clear()
        return data
