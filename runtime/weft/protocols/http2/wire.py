"""The HTTP/2 wire format (RFC 9113 §4 and §6): frame types, flags, error
codes, and the serialisers for every frame a server sends.

Why plain functions over `bytes`: a frame the server sends is a 9-byte header
(one `struct` call) and a payload it already holds, so building one is a
pack and a concatenation, with no frame object in between.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Final

#: 24-bit length (as a high byte and a low 16-bit half), type, flags, stream id
HEADER: Final = struct.Struct(">BHBBL")
_U32: Final = struct.Struct(">L")
_GOAWAY: Final = struct.Struct(">LL")
_SETTING: Final = struct.Struct(">HL")

DATA: Final = 0x0
HEADERS: Final = 0x1
PRIORITY: Final = 0x2
RST_STREAM: Final = 0x3
SETTINGS: Final = 0x4
PUSH_PROMISE: Final = 0x5
PING: Final = 0x6
GOAWAY: Final = 0x7
WINDOW_UPDATE: Final = 0x8
CONTINUATION: Final = 0x9

END_STREAM: Final = 0x1
ACK: Final = 0x1
END_HEADERS: Final = 0x4
PADDED: Final = 0x8
PRIORITY_FLAG: Final = 0x20

#: the largest flow-control window and stream identifier (31 bits)
MAX_WINDOW: Final = 2**31 - 1
#: every window starts here before SETTINGS say otherwise (RFC 9113 §6.9.2)
DEFAULT_WINDOW: Final = 65_535
#: SETTINGS_MAX_FRAME_SIZE bounds (RFC 9113 §6.5.2)
MIN_MAX_FRAME: Final = 16_384
MAX_MAX_FRAME: Final = 16_777_215


class ErrorCode(IntEnum):
    """RFC 9113 §7."""

    NO_ERROR = 0x0
    PROTOCOL_ERROR = 0x1
    INTERNAL_ERROR = 0x2
    FLOW_CONTROL_ERROR = 0x3
    SETTINGS_TIMEOUT = 0x4
    STREAM_CLOSED = 0x5
    FRAME_SIZE_ERROR = 0x6
    REFUSED_STREAM = 0x7
    CANCEL = 0x8
    COMPRESSION_ERROR = 0x9
    CONNECT_ERROR = 0xA
    ENHANCE_YOUR_CALM = 0xB
    INADEQUATE_SECURITY = 0xC
    HTTP_1_1_REQUIRED = 0xD


def frame(ftype: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    """One frame: header plus `payload` (the caller keeps it within the
    peer's SETTINGS_MAX_FRAME_SIZE)."""
    n = len(payload)
    return HEADER.pack(n >> 16, n & 0xFFFF, ftype, flags, stream_id) + payload


def header_block(stream_id: int, block: bytes, end_stream: bool, max_frame: int) -> bytes:
    """A HEADERS frame, followed by CONTINUATION frames when `block` is
    larger than `max_frame`; END_HEADERS goes on the last of them."""
    n = len(block)
    first = END_STREAM if end_stream else 0
    if n <= max_frame:
        return HEADER.pack(n >> 16, n & 0xFFFF, HEADERS, first | END_HEADERS, stream_id) + block
    parts = [frame(HEADERS, first, stream_id, block[:max_frame])]
    for at in range(max_frame, n, max_frame):
        chunk = block[at:at + max_frame]
        flags = END_HEADERS if at + max_frame >= n else 0
        parts.append(frame(CONTINUATION, flags, stream_id, chunk))
    return b"".join(parts)


def settings(pairs: list[tuple[int, int]]) -> bytes:
    return frame(SETTINGS, 0, 0, b"".join(_SETTING.pack(k, v) for k, v in pairs))


SETTINGS_ACK: Final = frame(SETTINGS, ACK, 0)


def ping_ack(opaque: bytes) -> bytes:
    return frame(PING, ACK, 0, opaque)


def rst_stream(stream_id: int, code: int) -> bytes:
    return frame(RST_STREAM, 0, stream_id, _U32.pack(code))


def window_update(stream_id: int, increment: int) -> bytes:
    return frame(WINDOW_UPDATE, 0, stream_id, _U32.pack(increment))


def goaway(last_stream_id: int, code: int, debug: bytes = b"") -> bytes:
    return frame(GOAWAY, 0, 0, _GOAWAY.pack(last_stream_id, code) + debug)


def u32(payload: bytes, at: int = 0) -> int:
    """The 32-bit value at `at` (an error code)."""
    value: int = _U32.unpack_from(payload, at)[0]
    return value


def u31(payload: bytes, at: int = 0) -> int:
    """The 31-bit value at `at` (a stream id or increment; reserved bit dropped)."""
    value: int = _U32.unpack_from(payload, at)[0]
    return value & MAX_WINDOW


def setting_pairs(payload: bytes) -> list[tuple[int, int]]:
    """A SETTINGS payload (length a multiple of 6) as (identifier, value)."""
    return [_SETTING.unpack_from(payload, at) for at in range(0, len(payload), 6)]
