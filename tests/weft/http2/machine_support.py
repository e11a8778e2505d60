"""Frame-level helpers for the `H2Core` state-machine tests: frames built
by hand with `struct` (independent of the serialisers under test), server
output parsed with hyperframe, and HPACK blocks from `hpack`'s encoder."""

from __future__ import annotations

import struct

from hpack import Encoder
from hyperframe.frame import Frame, GoAwayFrame, RstStreamFrame, WindowUpdateFrame
from weft.protocols.http2 import PREFACE, ConnectionEnded, Event, H2Core, Http2Limits

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS = 0x0, 0x1, 0x2, 0x3, 0x4
PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0x5, 0x6, 0x7, 0x8, 0x9
END_STREAM = ACK = 0x1
END_HEADERS, PADDED, PRIORITY_FLAG = 0x4, 0x8, 0x20

GET = [(b":method", b"GET"), (b":path", b"/"), (b":scheme", b"http"), (b":authority", b"h")]
POST = [(b":method", b"POST"), (b":path", b"/up"), (b":scheme", b"http"), (b":authority", b"h")]


def raw(ftype: int, flags: int, sid: int, payload: bytes = b"") -> bytes:
    n = len(payload)
    return struct.pack(">BHBBL", n >> 16, n & 0xFFFF, ftype, flags, sid) + payload


def settings(*pairs: tuple[int, int]) -> bytes:
    return raw(SETTINGS, 0, 0, b"".join(struct.pack(">HL", k, v) for k, v in pairs))


def u32(value: int) -> bytes:
    return struct.pack(">L", value)


def parse(data: bytes) -> list[Frame]:
    """The server's output as hyperframe frames (h2's client cannot keep
    reading after a GOAWAY, so tests read frames themselves)."""
    out, pos = [], 0
    while pos < len(data):
        frame, length = Frame.parse_frame_header(memoryview(data[pos:pos + 9]))
        frame.parse_body(memoryview(data[pos + 9:pos + 9 + length]))
        out.append(frame)
        pos += 9 + length
    return out


class Peer:
    """A hand-driven client: its own HPACK encoder, the server's output as frames."""

    def __init__(self, limits: Http2Limits | None = None, *, ack: bool = True) -> None:
        self.core = H2Core(limits or Http2Limits(), 0.0)
        self.enc = Encoder()
        self.sent: list[Frame] = parse(self.core.data_to_send())
        self.now = 0.0
        first = PREFACE + settings() + (raw(SETTINGS, ACK, 0) if ack else b"")
        self.events = self.core.receive(first, self.now)
        self.out()

    def block(self, fields: list[tuple[bytes, bytes]]) -> bytes:
        data: bytes = self.enc.encode(fields)
        return data

    def headers(self, sid: int, fields: list[tuple[bytes, bytes]] | None = None, *,
                end: bool = True, flags: int = END_HEADERS) -> bytes:
        return raw(HEADERS, flags | (END_STREAM if end else 0), sid, self.block(fields or GET))

    def feed(self, data: bytes) -> list[Event]:
        self.events = self.core.receive(data, self.now)
        return self.events

    def out(self) -> list[Frame]:
        frames = parse(self.core.data_to_send())
        self.sent += frames
        return frames

    def ended(self) -> ConnectionEnded | None:
        found = [e for e in self.events if isinstance(e, ConnectionEnded)]
        return found[-1] if found else None


def goaway_code(frames: list[Frame]) -> int | None:
    codes = [f.error_code for f in frames if isinstance(f, GoAwayFrame)]
    return codes[-1] if codes else None


def resets(frames: list[Frame]) -> list[tuple[int, int]]:
    return [(f.stream_id, f.error_code) for f in frames if isinstance(f, RstStreamFrame)]


def updates(frames: list[Frame]) -> list[tuple[int, int]]:
    return [(f.stream_id, f.window_increment) for f in frames
            if isinstance(f, WindowUpdateFrame)]
