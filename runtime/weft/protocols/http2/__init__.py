"""Sans-IO HTTP/2 for the server: `H2Core` (the RFC 9113 connection state
machine, with our stream admission, flood guards and deadlines; HPACK by
`hpack`), `Http2Limits`, `RapidResetGuard`, the frame-header scanner, and
the events the core reports."""

from weft.protocols.http2.core import H2Core
from weft.protocols.http2.events import (
    ConnectionEnded,
    Event,
    RequestData,
    RequestEnded,
    RequestStarted,
    RequestTrailers,
    StreamCancelled,
    WindowOpened,
)
from weft.protocols.http2.frames import PREFACE, FrameScanner, Violation
from weft.protocols.http2.guard import RapidResetGuard, TokenBucket
from weft.protocols.http2.limits import Http2Limits
from weft.protocols.http2.trailers import WithTrailers

__all__ = [
    "PREFACE",
    "ConnectionEnded",
    "Event",
    "FrameScanner",
    "H2Core",
    "Http2Limits",
    "RapidResetGuard",
    "RequestData",
    "RequestEnded",
    "RequestStarted",
    "RequestTrailers",
    "StreamCancelled",
    "TokenBucket",
    "Violation",
    "WindowOpened",
    "WithTrailers",
]
