"""The events an `Http1Parser` returns.

They are immutable by convention but not frozen dataclasses: a frozen
dataclass pays one `object.__setattr__` per field in `__init__`, and the
parser builds one `RequestReceived` per request on the hot path.
`END_OF_MESSAGE` and `NEED_DATA`/`PAUSED` are singletons (no allocation).
"""

from __future__ import annotations

from typing import Final, final

from weft.http_types import Request


@final
class RequestReceived:
    """A complete, validated request head.

    `complete` is True when the request has no body: no `Data` and no
    `END_OF_MESSAGE` follow for it. `keep_alive` is the framing verdict
    (HTTP/1.0 without `keep-alive`, or `Connection: close`, make it False).
    """

    __slots__ = ("complete", "expect_continue", "keep_alive", "request")

    def __init__(self, request: Request, keep_alive: bool, complete: bool,
                 expect_continue: bool) -> None:
        self.request = request
        self.keep_alive = keep_alive
        self.complete = complete
        self.expect_continue = expect_continue

    def __repr__(self) -> str:
        return (f"RequestReceived({self.request!r}, keep_alive={self.keep_alive}, "
                f"complete={self.complete}, expect_continue={self.expect_continue})")


@final
class Data:
    """A piece of the current request's body (already de-chunked)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"Data({len(self.data)} bytes)"


@final
class ParseError:
    """The input is not acceptable HTTP/1.1. Answer `status`, then close:
    the parser accepts no further input after it."""

    __slots__ = ("reason", "status")

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason

    def __repr__(self) -> str:
        return f"ParseError({self.status}, {self.reason!r})"


@final
class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: the current request's body is complete
END_OF_MESSAGE: Final = _Marker("END_OF_MESSAGE")
#: feed more bytes before asking again
NEED_DATA: Final = _Marker("NEED_DATA")
#: the connection must not carry more requests (close requested, or error)
PAUSED: Final = _Marker("PAUSED")

Event = RequestReceived | Data | ParseError | _Marker
