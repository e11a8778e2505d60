"""What `H2Core.receive` reports to the adapter: requests arriving on
streams, stream cancellations, send windows opening, and the connection's
end. Header names are lower-case `str`, values latin-1 `str`, as in
`weft.http_types`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestStarted:
    """A complete request head on a new stream (pseudo-headers split out);
    `RequestEnded` follows, in the same batch when there is no body."""

    stream_id: int
    method: str
    path: str
    raw_query: str | None
    scheme: str
    authority: str | None
    headers: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class TunnelRequested:
    """An RFC 8441 extended CONNECT (`:method CONNECT` with `:protocol`): the
    stream stays open both ways once answered with 2xx; no `RequestEnded`."""

    stream_id: int
    protocol: str
    path: str
    raw_query: str | None
    scheme: str
    authority: str | None
    headers: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class RequestData:
    stream_id: int
    data: bytes


@dataclass(frozen=True, slots=True)
class RequestEnded:
    stream_id: int


@dataclass(frozen=True, slots=True)
class RequestTrailers:
    """Trailer fields; the request ends with them."""

    stream_id: int
    headers: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class StreamCancelled:
    """The stream is gone (client RST_STREAM, or refused by us)."""

    stream_id: int
    error_code: int


@dataclass(frozen=True, slots=True)
class WindowOpened:
    """More may be sent; `stream_id` 0 means every stream may have room."""

    stream_id: int


@dataclass(frozen=True, slots=True)
class ConnectionEnded:
    """GOAWAY was sent (`by_peer` False) or received. With error code 0 the
    streams up to `last_stream_id` may still finish; otherwise close now."""

    error_code: int
    reason: str
    by_peer: bool
    last_stream_id: int


Event = (RequestStarted | RequestData | RequestEnded | RequestTrailers | StreamCancelled
         | WindowOpened | ConnectionEnded | TunnelRequested)
