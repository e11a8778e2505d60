"""WebSocket over HTTP/2 (RFC 8441) against a real `Server` on loopback.

The client is h2's own client side over a plain socket (h2c prior
knowledge) speaking extended CONNECT; the WebSocket frames inside the
stream's DATA are built by hand (masked unless a test says otherwise), so
every byte the server must accept or refuse is visible here.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest
from weft.connection.websocket import WsSession, WsState
from weft.http_types import Response
from weft.protocols.websocket import WsConfig
from weft.response import text
from weft.router import Router

from tests.weft.helpers import RunningServer

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
DEADLINE = 10.0


# ------------------------------------------------------------------ frames


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True) -> bytes:
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head.append(bit | n)
    elif n < 1 << 16:
        head.append(bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(bit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    return bytes(head) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def parse_frames(buf: bytearray) -> list[tuple[int, bytes]]:
    """Whole unmasked server frames at the front of `buf` (consumed)."""
    out: list[tuple[int, bytes]] = []
    while len(buf) >= 2:
        assert not buf[1] & 0x80, "server frames must not be masked"
        n, at = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, at = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < at + n:
            break
        out.append((buf[0] & 0x0F, bytes(buf[at:at + n])))
        del buf[:at + n]
    return out


# ------------------------------------------------------------------ client


class H2Client:
    """A blocking HTTP/2 client (h2c prior knowledge) for one test."""

    def __init__(self, port: int, *, initial_window: int | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8"))
        if initial_window is not None:
            self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: initial_window})
        self.conn.initiate_connection()
        self.auto_ack = True
        self.remote_settings: dict[int, int] = {}
        self.headers: dict[int, dict[str, str]] = {}
        self.data: dict[int, bytearray] = {}
        self.ended: set[int] = set()
        self.resets: dict[int, int] = {}
        self.goaway = False
        self._inbuf = bytearray()
        self.flush()

    def flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def pump(self, until: Callable[[], bool], limit: float = DEADLINE) -> None:
        """Read and handle events until `until()` holds (bounded in time;
        polled, since `until` may watch state the server thread changes)."""
        end = time.monotonic() + limit
        while not until():
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("the server did not answer in time")
            self.sock.settimeout(min(left, 0.05))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        # Frame by frame: h2's client refuses every frame after a GOAWAY, and
        # must not take the frames before it down with it.
        buf = self._inbuf
        buf += chunk
        while len(buf) >= 9 and not self.goaway:
            size = 9 + int.from_bytes(buf[0:3], "big")
            if len(buf) < size:
                break
            for ev in self.conn.receive_data(bytes(buf[:size])):
                self._on(ev)
            del buf[:size]
        if not self.goaway:
            self.flush()

    def _on(self, ev: object) -> None:
        if isinstance(ev, h2.events.RemoteSettingsChanged):
            for code, change in ev.changed_settings.items():
                self.remote_settings[int(code)] = change.new_value
        elif isinstance(ev, h2.events.ResponseReceived):
            self.headers[ev.stream_id] = {k: v for k, v in ev.headers}  # type: ignore[misc]
        elif isinstance(ev, h2.events.DataReceived):
            self.data.setdefault(ev.stream_id, bytearray()).extend(ev.data)
            if self.auto_ack:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            self.ended.add(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            self.resets[ev.stream_id] = int(ev.error_code)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = True

    def connect(self, path: str = "/echo", *, protocol: str | None = "websocket",
                extra: list[tuple[str, str]] | None = None, version: bool = True) -> int:
        sid = self.conn.get_next_available_stream_id()
        head = [(":method", "CONNECT")]
        if protocol is not None:
            head += [(":protocol", protocol), (":scheme", "http"), (":path", path)]
        head.append((":authority", "127.0.0.1"))
        if version:
            head.append(("sec-websocket-version", "13"))
        head += extra or []
        self.conn.send_headers(sid, head, end_stream=False)
        self.flush()
        return sid

    def opened(self, path: str = "/echo", **kw: object) -> int:
        """An extended CONNECT that must be answered 200."""
        sid = self.connect(path, **kw)  # type: ignore[arg-type]
        self.pump(lambda: sid in self.headers or sid in self.resets)
        assert self.headers[sid][":status"] == "200", self.headers[sid]
        return sid

    def send(self, sid: int, data: bytes, *, end: bool = False) -> None:
        """Send within the windows and the frame size (waits for room)."""
        while True:
            room = min(self.conn.local_flow_control_window(sid),
                       self.conn.max_outbound_frame_size)
            if len(data) <= room:
                break
            if room:
                self.conn.send_data(sid, data[:room])
                self.flush()
                data = data[room:]
            else:
                self.pump(lambda: self.conn.local_flow_control_window(sid) > 0)
        self.conn.send_data(sid, data, end_stream=end)
        self.flush()

    def frames(self, sid: int, count: int) -> list[tuple[int, bytes]]:
        got: list[tuple[int, bytes]] = []

        def enough() -> bool:
            got.extend(parse_frames(self.data.setdefault(sid, bytearray())))
            return len(got) >= count or sid in self.resets
        self.pump(enough)
        return got

    def close(self) -> None:
        self.sock.close()


def close_code(payload: bytes) -> int:
    return int(struct.unpack("!H", payload[:2])[0])


# ------------------------------------------------------------------ server


SEEN: list[tuple[str, object]] = []


async def echo(session: WsSession) -> None:
    SEEN.append(("open", session.request.http_version))
    try:
        while True:
            message = await session.recv()
            if isinstance(message, str):
                await session.send_text(message)
            else:
                await session.send_bytes(message)
    finally:  # WsClosed, or cancelled when the stream is gone
        SEEN.append(("closed", session.close_code))


async def room(session: WsSession) -> None:
    await session.send_text(f"room {session.request.path_params['id']} "
                            f"{session.subprotocol}")


async def states(session: WsSession) -> None:
    SEEN.append(("state", session.state))
    session.begin_close(4000, "done")
    SEEN.append(("state", session.state))
    await session.wait_closed()
    SEEN.append(("state", session.state))


async def slow(session: WsSession) -> None:
    await asyncio.sleep(0.3)  # let the queue fill and reading pause
    for _ in range(20):
        message = await session.recv()
        assert isinstance(message, str)
        await session.send_text(message)


async def flood(session: WsSession) -> None:
    await session.send_bytes(b"f" * 200_000)


async def hello() -> Response:
    return text("plain")


def app() -> Router:
    return (Router()
            .ws("/echo", echo, WsConfig(close_timeout=1.0))
            .ws("/rooms/:id", room, WsConfig(subprotocols=("chat.v2",)))
            .ws("/states", states)
            .ws("/flood", flood, WsConfig(close_timeout=0.3))
            .ws("/slow", slow, WsConfig(max_queued_messages=2))
            .get("/plain", hello))


@pytest.fixture
def client(weft_server: Callable[..., RunningServer]) -> Iterator[H2Client]:
    SEEN.clear()
    server = weft_server(app())
    c = H2Client(server.port)
    yield c
    c.close()


# ------------------------------------------------------------------- tests


def test_server_advertises_extended_connect(client: H2Client) -> None:
    client.pump(lambda: bool(client.remote_settings))
    assert client.remote_settings[int(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)] == 1


def test_echo_text_and_binary(client: H2Client) -> None:
    sid = client.opened()
    assert "sec-websocket-accept" not in client.headers[sid]
    client.send(sid, frame(TEXT, "héllo".encode()) + frame(BINARY, b"\x00\xff" * 40_000))
    (op1, p1), (op2, p2) = client.frames(sid, 2)
    assert (op1, p1.decode()) == (TEXT, "héllo")
    assert (op2, p2) == (BINARY, b"\x00\xff" * 40_000)
    assert ("open", "2") in SEEN


def test_fragmented_message_is_reassembled(client: H2Client) -> None:
    sid = client.opened()
    client.send(sid, frame(TEXT, b"frag", fin=False))
    client.send(sid, frame(PING, b"mid"))  # control frames may interleave
    client.send(sid, frame(CONT, b"men", fin=False) + frame(CONT, b"ted"))
    got = client.frames(sid, 2)
    assert got == [(PONG, b"mid"), (TEXT, b"fragmented")]


def test_ping_gets_pong(client: H2Client) -> None:
    sid = client.opened()
    client.send(sid, frame(PING, b"are you there"))
    assert client.frames(sid, 1) == [(PONG, b"are you there")]


def test_close_handshake_then_stream_end(client: H2Client) -> None:
    sid = client.opened()
    client.send(sid, frame(CLOSE, struct.pack("!H", 1000) + b"done"))
    (op, payload), = client.frames(sid, 1)
    assert op == CLOSE and close_code(payload) == 1000
    client.pump(lambda: sid in client.ended)
    client.pump(lambda: ("closed", 1000) in SEEN)
    # The connection stays usable: a second WebSocket on a new stream.
    sid2 = client.opened()
    client.send(sid2, frame(TEXT, b"again"))
    assert client.frames(sid2, 1) == [(TEXT, b"again")]


def test_unmasked_client_frame_is_closed_with_1002(client: H2Client) -> None:
    sid = client.opened()
    client.send(sid, frame(TEXT, b"naked", mask=False))
    (op, payload), = client.frames(sid, 1)
    assert op == CLOSE and close_code(payload) == 1002
    client.pump(lambda: sid in client.ended)


def test_client_reset_is_abnormal_closure(client: H2Client) -> None:
    sid = client.opened()
    client.send(sid, frame(TEXT, b"x"))
    client.frames(sid, 1)
    client.conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
    client.flush()
    client.pump(lambda: ("closed", 1006) in SEEN or ("closed", 1000) in SEEN)
    assert ("closed", 1006) in SEEN


def test_client_end_stream_without_close_is_abnormal(client: H2Client) -> None:
    sid = client.opened()
    client.send(sid, b"", end=True)
    client.pump(lambda: sid in client.ended or sid in client.resets)
    client.pump(lambda: any(k == "closed" for k, _ in SEEN))
    assert ("closed", 1006) in SEEN


def test_plain_connect_is_refused(client: H2Client) -> None:
    sid = client.connect(protocol=None)
    client.pump(lambda: sid in client.resets or sid in client.headers)
    assert client.resets.get(sid) == h2.errors.ErrorCodes.PROTOCOL_ERROR


def test_other_protocol_gets_501(client: H2Client) -> None:
    sid = client.connect(protocol="connect-udp")
    client.pump(lambda: sid in client.headers)
    assert client.headers[sid][":status"] == "501"


def test_missing_version_gets_426(client: H2Client) -> None:
    sid = client.connect(version=False)
    client.pump(lambda: sid in client.headers)
    assert client.headers[sid][":status"] == "426"
    assert client.headers[sid]["sec-websocket-version"] == "13"


def test_connect_to_a_plain_route_is_not_a_tunnel(client: H2Client) -> None:
    sid = client.connect("/plain")
    client.pump(lambda: sid in client.headers)
    assert client.headers[sid][":status"] == "404"
    sid = client.connect("/nowhere")
    client.pump(lambda: sid in client.headers)
    assert client.headers[sid][":status"] == "404"


def test_h2_get_to_a_websocket_route_is_not_accepted(client: H2Client) -> None:
    sid = client.conn.get_next_available_stream_id()
    client.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":path", "/echo"),
                                   (":authority", "127.0.0.1")], end_stream=True)
    client.flush()
    client.pump(lambda: sid in client.headers)
    assert client.headers[sid][":status"] in ("400", "426")


def test_captures_and_subprotocol(client: H2Client) -> None:
    sid = client.opened("/rooms/42", extra=[("sec-websocket-protocol", "chat.v1, chat.v2")])
    assert client.headers[sid]["sec-websocket-protocol"] == "chat.v2"
    (op, payload), (op2, payload2) = client.frames(sid, 2)
    assert (op, payload) == (TEXT, b"room 42 chat.v2")
    assert op2 == CLOSE and close_code(payload2) == 1000  # the handler returned


def test_permessage_deflate_is_negotiated(client: H2Client) -> None:
    sid = client.opened(extra=[("sec-websocket-extensions", "permessage-deflate")])
    assert client.headers[sid]["sec-websocket-extensions"].startswith("permessage-deflate")


def test_send_respects_the_stream_window(weft_server: Callable[..., RunningServer]) -> None:
    server = weft_server(app())
    c = H2Client(server.port, initial_window=1000)
    try:
        c.auto_ack = False
        sid = c.opened()
        c.send(sid, frame(BINARY, b"z" * 5000))
        # Give the server time to send whatever the window allows (bounded).
        with pytest.raises(TimeoutError):
            c.pump(lambda: len(c.data.get(sid, b"")) > 1000, limit=1.0)
        assert len(c.data.get(sid, b"")) == 1000
        c.auto_ack = True
        c.conn.acknowledge_received_data(1000, sid)
        c.flush()
        (op, payload), = c.frames(sid, 1)
        assert (op, payload) == (BINARY, b"z" * 5000)
    finally:
        c.close()


def test_shutdown_closes_sessions_with_1001(weft_server: Callable[..., RunningServer]) -> None:
    SEEN.clear()
    server = weft_server(app())
    c = H2Client(server.port)
    try:
        sid = c.opened()
        c.send(sid, frame(TEXT, b"before"))
        c.frames(sid, 1)
        stopping = server.submit(server.server.shutdown(5.0))
        (op, payload), = c.frames(sid, 1)
        assert op == CLOSE and close_code(payload) == 1001
        c.pump(lambda: c.goaway)  # GOAWAY(NO_ERROR) follows the close frame
        stopping.result(15)  # our close reply cannot go out after GOAWAY: close_timeout ends it
        assert ("closed", 1001) in SEEN
    finally:
        c.close()


def test_state_follows_our_closing_handshake(client: H2Client) -> None:
    sid = client.opened("/states")
    (op, payload), = client.frames(sid, 1)
    assert op == CLOSE and close_code(payload) == 4000
    client.send(sid, frame(CLOSE, struct.pack("!H", 4000)))
    client.pump(lambda: sid in client.ended)
    client.pump(lambda: len(SEEN) == 3)
    assert SEEN == [("state", WsState.OPEN), ("state", WsState.CLOSING),
                    ("state", WsState.CLOSED)]


def test_a_slow_reader_pauses_and_resumes_reading(client: H2Client) -> None:
    sid = client.opened("/slow")
    client.send(sid, b"".join(frame(TEXT, b"m%d" % i) for i in range(20)))
    got = client.frames(sid, 20)
    assert got[:20] == [(TEXT, b"m%d" % i) for i in range(20)]
    # The socket reads again: the same connection still answers.
    sid2 = client.opened()
    client.send(sid2, frame(TEXT, b"still here"))
    assert client.frames(sid2, 1) == [(TEXT, b"still here")]


def test_a_reader_that_never_opens_its_window_is_reset(
        weft_server: Callable[..., RunningServer]) -> None:
    server = weft_server(app())
    c = H2Client(server.port, initial_window=1000)
    try:
        c.auto_ack = False
        sid = c.opened("/flood")
        # The handler returned; its close frame and END_STREAM wait behind the
        # window, so after close_timeout twice the stream is reset.
        c.pump(lambda: sid in c.resets)
        assert c.resets[sid] == h2.errors.ErrorCodes.CANCEL
        assert len(c.data[sid]) == 1000
    finally:
        c.close()
