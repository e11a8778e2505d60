"""Sans-IO HTTP/1.1: `Http1Parser` (bytes -> events) and
`ResponseSerializer` (responses -> bytes), with `Http1Limits`."""

from weft.protocols.http1.events import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    Event,
    ParseError,
    RequestReceived,
)
from weft.protocols.http1.limits import Http1Limits
from weft.protocols.http1.parser import Http1Parser
from weft.protocols.http1.serializer import (
    CONTINUE_100,
    LAST_CHUNK,
    DateClock,
    ResponseSerializer,
    encode_chunk,
    no_body_status,
)
from weft.protocols.http1.states import TRANSITIONS, Input, State

__all__ = [
    "CONTINUE_100",
    "END_OF_MESSAGE",
    "LAST_CHUNK",
    "NEED_DATA",
    "PAUSED",
    "TRANSITIONS",
    "Data",
    "DateClock",
    "Event",
    "Http1Limits",
    "Http1Parser",
    "Input",
    "ParseError",
    "RequestReceived",
    "ResponseSerializer",
    "State",
    "encode_chunk",
    "no_body_status",
]
