"""The request-side state machine of an HTTP/1.1 connection, as a table.

Invariants:
- The parser is in exactly one state; only the transitions below happen.
- HEAD is the only state in which a new request may begin; CLOSED and ERROR
  are terminal (no byte fed afterwards is ever interpreted).
- A request whose framing says "no body" goes HEAD -> HEAD (or CLOSED) in one
  step; every other request passes through BODY_DONE, which emits
  END_OF_MESSAGE exactly once.
- Every state may go to ERROR (one ParseError is returned, then PAUSED).
"""

from __future__ import annotations

from enum import Enum
from typing import Final


class State(Enum):
    HEAD = "head"                # waiting for / reading a request head
    BODY_LENGTH = "body_length"  # reading a Content-Length body
    CHUNK_SIZE = "chunk_size"    # expecting a chunk-size line
    CHUNK_DATA = "chunk_data"    # inside a chunk's data
    CHUNK_CRLF = "chunk_crlf"    # expecting the CRLF that ends chunk data
    TRAILERS = "trailers"        # reading the trailer section
    BODY_DONE = "body_done"      # body complete; END_OF_MESSAGE is next
    CLOSED = "closed"            # the last request on this connection ended
    ERROR = "error"              # a ParseError was returned


class Input(Enum):
    HEAD_NO_BODY = "head_no_body"
    HEAD_NO_BODY_CLOSE = "head_no_body_close"
    HEAD_LENGTH = "head_length"
    HEAD_CHUNKED = "head_chunked"
    DATA = "data"
    LAST_DATA = "last_data"
    CHUNK_HEADER = "chunk_header"
    LAST_CHUNK = "last_chunk"
    CHUNK_END = "chunk_end"
    TRAILER_FIELD = "trailer_field"
    TRAILERS_END = "trailers_end"
    END = "end"
    END_CLOSE = "end_close"
    BAD_INPUT = "bad_input"


S, In = State, Input

TRANSITIONS: Final[dict[tuple[State, Input], State]] = {
    (S.HEAD, In.HEAD_NO_BODY): S.HEAD,
    (S.HEAD, In.HEAD_NO_BODY_CLOSE): S.CLOSED,
    (S.HEAD, In.HEAD_LENGTH): S.BODY_LENGTH,
    (S.HEAD, In.HEAD_CHUNKED): S.CHUNK_SIZE,
    (S.BODY_LENGTH, In.DATA): S.BODY_LENGTH,
    (S.BODY_LENGTH, In.LAST_DATA): S.BODY_DONE,
    (S.CHUNK_SIZE, In.CHUNK_HEADER): S.CHUNK_DATA,
    (S.CHUNK_SIZE, In.LAST_CHUNK): S.TRAILERS,
    (S.CHUNK_DATA, In.DATA): S.CHUNK_DATA,
    (S.CHUNK_DATA, In.LAST_DATA): S.CHUNK_CRLF,
    (S.CHUNK_CRLF, In.CHUNK_END): S.CHUNK_SIZE,
    (S.TRAILERS, In.TRAILER_FIELD): S.TRAILERS,
    (S.TRAILERS, In.TRAILERS_END): S.BODY_DONE,
    (S.BODY_DONE, In.END): S.HEAD,
    (S.BODY_DONE, In.END_CLOSE): S.CLOSED,
    **{(s, In.BAD_INPUT): S.ERROR for s in State if s not in (S.CLOSED, S.ERROR)},
}

del S, In
