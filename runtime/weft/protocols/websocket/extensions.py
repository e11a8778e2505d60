"""wsproto extensions that enforce our limits inside the frame decoder.

`FrameLimits` is never negotiated (it uses no RSV bit); it sees each frame's
declared length before any payload arrives (max frame size) and every data
payload after decompression (max message size), so an oversize message is
refused without being buffered. `BoundedDeflate` is permessage-deflate whose
inflater never produces more than the message budget from one chunk: a small
compressed "bomb" cannot expand into memory before the limit is checked.
"""

from __future__ import annotations

from typing import final

from wsproto.extensions import Extension, PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol, Opcode, RsvBits

_NO_RSV = RsvBits(False, False, False)


@final
class FrameLimits(Extension):
    name = "weft-limits"

    def __init__(self, max_frame_bytes: int, max_message_bytes: int) -> None:
        self._max_frame = max_frame_bytes
        self._max_message = max_message_bytes
        self._message = 0
        self._data_frame = False

    def enabled(self) -> bool:
        return True

    def offer(self) -> bool | str:
        return False  # server-side only; never offered

    def frame_inbound_header(self, proto: FrameDecoder | FrameProtocol, opcode: Opcode,
                             rsv: RsvBits, payload_length: int) -> CloseReason | RsvBits:
        if payload_length > self._max_frame:
            return CloseReason.MESSAGE_TOO_BIG
        self._data_frame = not opcode.iscontrol()
        return _NO_RSV

    def frame_inbound_payload_data(self, proto: FrameDecoder | FrameProtocol,
                                   data: bytes) -> bytes | CloseReason:
        if self._data_frame:
            self._message += len(data)
            if self._message > self._max_message:
                return CloseReason.MESSAGE_TOO_BIG
        return data

    def frame_inbound_complete(self, proto: FrameDecoder | FrameProtocol,
                               fin: bool) -> bytes | CloseReason | None:
        if fin and self._data_frame:
            self._message = 0
        return None


@final
class BoundedDeflate(PerMessageDeflate):
    """permessage-deflate (RFC 7692) with inflation capped per message."""

    def __init__(self, max_message_bytes: int) -> None:
        super().__init__()
        self._budget = max_message_bytes
        self._inflated = 0

    def frame_inbound_payload_data(self, proto: FrameDecoder | FrameProtocol,
                                   data: bytes) -> bytes | CloseReason:
        # Seam with wsproto: these two attributes are its per-message inflate
        # state (pinned wsproto<2); everything else is its public Extension API.
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        inflater = self._decompressor
        assert inflater is not None
        remaining = self._budget - self._inflated
        try:
            out = inflater.decompress(bytes(data), remaining + 1)
        except Exception:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self._inflated += len(out)
        if self._inflated > self._budget:
            return CloseReason.MESSAGE_TOO_BIG
        return out

    def frame_inbound_complete(self, proto: FrameDecoder | FrameProtocol,
                               fin: bool) -> bytes | CloseReason | None:
        result = super().frame_inbound_complete(proto, fin)
        if fin:
            self._inflated = 0
        return result
