"""Flood verdicts on frame headers, and a scanner that applies them to raw bytes.

Why: a server that buffers a HEADERS frame and all its CONTINUATION frames
until END_HEADERS invites the 2024 CONTINUATION-flood class, so a header
block is cut off by frame count and by bytes, with ENHANCE_YOUR_CALM, as
its frames arrive. PING and SETTINGS frames are counted against a token
bucket (control-frame floods).

`block_verdict` and `CONTROL_FLOOD` are the policy; `H2Core`'s frame parser
applies them in its one pass over the frames. `FrameScanner` applies the
same policy to a byte stream by reading only the 9-byte frame headers
(RFC 9113 §4.1) and skipping payloads, keeping at most a partial header
between calls: a guard for any other HTTP/2 engine put behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, final

from weft.protocols.http2.guard import TokenBucket
from weft.protocols.http2.limits import Http2Limits

PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

_HEADERS: Final = 0x1
_SETTINGS: Final = 0x4
_PUSH_PROMISE: Final = 0x5
_PING: Final = 0x6
_CONTINUATION: Final = 0x9
_END_HEADERS: Final = 0x4
_ACK: Final = 0x1

#: RFC 9113 error code for the abuse verdicts below
ENHANCE_YOUR_CALM: Final = 0xB
CONTROL_FLOOD: Final = "PING/SETTINGS flood"


def block_verdict(limits: Http2Limits, continuations: int, size: int) -> str | None:
    """Why a header block of `continuations` CONTINUATION frames after its
    HEADERS frame and `size` encoded bytes so far must be cut off, or None."""
    if continuations > limits.max_continuation_frames:
        return (f"more than {limits.max_continuation_frames} CONTINUATION frames "
                "in one header block")
    if size > limits.max_header_block_bytes:
        return f"header block larger than {limits.max_header_block_bytes} bytes"
    return None


@dataclass(frozen=True, slots=True)
class Violation:
    """Why the peer must be cut off; `offset` is where its frame starts."""

    error_code: int
    reason: str
    offset: int


@final
class FrameScanner:
    __slots__ = ("_block_bytes", "_block_frames", "_control", "_head", "_limits",
                 "_preface", "_skip")

    def __init__(self, limits: Http2Limits, now: float, *, expect_preface: bool = True) -> None:
        self._limits = limits
        self._preface = len(PREFACE) if expect_preface else 0
        self._head = bytearray()
        self._skip = 0
        self._block_frames = 0     # 0: no header block open
        self._block_bytes = 0
        self._control = TokenBucket(limits.control_frame_rate, limits.control_frame_burst, now)

    def scan(self, data: bytes, now: float) -> Violation | None:
        """Account for every frame header in `data`; the first violation wins."""
        pos = 0
        end = len(data)
        if self._preface:
            taken = min(self._preface, end)
            self._preface -= taken
            pos = taken
        head = self._head
        while pos < end:
            if self._skip:
                taken = min(self._skip, end - pos)
                self._skip -= taken
                pos += taken
                continue
            start = pos - len(head)
            if head or end - pos < 9:
                taken = min(9 - len(head), end - pos)
                head += data[pos:pos + taken]
                pos += taken
                if len(head) < 9:
                    break
                header = bytes(head)
                head.clear()
            else:
                header = data[pos:pos + 9]
                pos += 9
            length = int.from_bytes(header[0:3], "big")
            reason = self._frame(length, header[3], header[4], now)
            if reason is not None:
                return Violation(ENHANCE_YOUR_CALM, reason, max(start, 0))
            self._skip = length
        return None

    def _frame(self, length: int, ftype: int, flags: int, now: float) -> str | None:
        limits = self._limits
        if ftype == _CONTINUATION:
            if not self._block_frames:
                return None  # not inside a block: the engine reports the protocol error
            self._block_frames += 1
            self._block_bytes += length
            verdict = block_verdict(limits, self._block_frames - 1, self._block_bytes)
            if verdict is not None:
                return verdict
            if flags & _END_HEADERS:
                self._block_frames = self._block_bytes = 0
            return None
        if ftype == _HEADERS or ftype == _PUSH_PROMISE:
            verdict = block_verdict(limits, 0, length)
            if verdict is not None:
                return verdict
            if not flags & _END_HEADERS:
                self._block_frames = 1
                self._block_bytes = length
            return None
        if (ftype == _PING or ftype == _SETTINGS) and not flags & _ACK:
            if not self._control.take(now):
                return CONTROL_FLOOD
        return None
