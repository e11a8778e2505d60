"""Every HTTP/2 limit and deadline in one frozen value.

The defaults are the hardened ones: a client that respects them never
notices, and a client that does not is refused a stream (REFUSED_STREAM) or
loses the connection (GOAWAY with ENHANCE_YOUR_CALM or PROTOCOL_ERROR) while
the server keeps serving everyone else. `docs/runtime/http2-tls-websocket.md`
lists what each one answers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Http2Limits:
    """Sizes (bytes, counts), rates (per second) and deadlines (seconds)."""

    #: SETTINGS_MAX_CONCURRENT_STREAMS; more open streams -> RST_STREAM(REFUSED_STREAM)
    max_concurrent_streams: int = 100
    #: SETTINGS_INITIAL_WINDOW_SIZE for request bodies
    initial_window_size: int = 65_535
    #: SETTINGS_MAX_FRAME_SIZE we accept (RFC 9113 minimum 16 KiB)
    max_frame_size: int = 16_384
    #: SETTINGS_MAX_HEADER_LIST_SIZE: decoded header bytes (RFC 7541 sizing) -> GOAWAY
    max_header_list_size: int = 64 * 1024
    #: CONTINUATION frames after one HEADERS frame (the 2024 CONTINUATION flood)
    max_continuation_frames: int = 32
    #: encoded header block (HEADERS plus its CONTINUATIONs) in bytes
    max_header_block_bytes: int = 64 * 1024
    #: SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table the client may use
    hpack_table_size: int = 4096
    #: steady rate of stream resets a client may cause (CVE-2023-44487)
    rapid_reset_rate: float = 100.0
    #: resets allowed in a burst before the rate applies
    rapid_reset_burst: int = 200
    #: steady rate of PING and SETTINGS frames (control-frame floods)
    control_frame_rate: float = 200.0
    control_frame_burst: int = 400
    #: request body buffered into `Request.body`; larger -> 413 and RST_STREAM
    max_body_bytes: int = 1024 * 1024
    #: no open stream and no frame for this long -> GOAWAY(NO_ERROR) and close
    idle_timeout: float = 60.0
    #: our SETTINGS not acknowledged within this -> GOAWAY(SETTINGS_TIMEOUT)
    settings_ack_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_concurrent_streams <= 2**31 - 1:
            raise ValueError("Http2Limits.max_concurrent_streams must be in 1..2**31-1")
        if not 1 <= self.initial_window_size <= 2**31 - 1:
            raise ValueError("Http2Limits.initial_window_size must be in 1..2**31-1")
        if not 16_384 <= self.max_frame_size <= 16_777_215:
            raise ValueError("Http2Limits.max_frame_size must be in 16384..16777215")
        for name in ("max_header_list_size", "max_header_block_bytes", "rapid_reset_burst",
                     "control_frame_burst"):
            if getattr(self, name) < 1:
                raise ValueError(f"Http2Limits.{name} must be at least 1")
        for name in ("max_continuation_frames", "hpack_table_size", "max_body_bytes"):
            if getattr(self, name) < 0:
                raise ValueError(f"Http2Limits.{name} must not be negative")
        for name in ("rapid_reset_rate", "control_frame_rate", "idle_timeout",
                     "settings_ack_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Http2Limits.{name} must be positive")
