"""WebSocket limits and options in one frozen value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WsConfig:
    #: one frame's payload on the wire; larger -> close 1009
    max_frame_bytes: int = 1024 * 1024
    #: one message after reassembly and decompression; larger -> close 1009
    max_message_bytes: int = 1024 * 1024
    #: accept permessage-deflate when the client offers it
    compression: bool = True
    #: subprotocols in server preference order (Sec-WebSocket-Protocol)
    subprotocols: tuple[str, ...] = ()
    #: received messages queued for a handler that is not calling recv();
    #: reading from the socket pauses while the queue is this long
    max_queued_messages: int = 16
    #: seconds to wait for the peer's close frame after ours
    close_timeout: float = 5.0

    def __post_init__(self) -> None:
        for name in ("max_frame_bytes", "max_message_bytes", "max_queued_messages"):
            if getattr(self, name) < 1:
                raise ValueError(f"WsConfig.{name} must be at least 1")
        if not self.close_timeout > 0:
            raise ValueError("WsConfig.close_timeout must be positive")
