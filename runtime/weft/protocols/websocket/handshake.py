"""The server side of the WebSocket opening handshake, as pure functions.

`check_upgrade(request, config)` either returns the `Handshake` to complete
(chosen subprotocol and extensions, and for HTTP/1.1 the accept token and
the 101 response bytes) or the error `Response` to send instead: 426 when
the request is not a WebSocket upgrade or asks for another protocol version,
400 when it is one but malformed (method, key, HTTP version).

Two ways in, one check. RFC 6455 over HTTP/1.1: `GET` with `Upgrade`,
`Connection` and `Sec-WebSocket-Key`. RFC 8441 over HTTP/2: an extended
CONNECT, which the HTTP/2 adapter presents to the router as a `GET` carrying
`request.extensions[TUNNEL_PROTOCOL_KEY]` (the `:protocol` value), so the same
`Router.ws` route and the same layers see both; there is no key and no
accept token, and success is a 200 on the stream.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from wsproto.extensions import Extension
from wsproto.handshake import server_extensions_handshake
from wsproto.utilities import generate_accept_token

from weft.errors import problem
from weft.http_types import Request, Response
from weft.protocols.websocket.config import WsConfig
from weft.protocols.websocket.extensions import BoundedDeflate, FrameLimits

#: set by the HTTP/2 adapter on a request that arrived as an extended CONNECT;
#: the value is its `:protocol` (only the server can set it, never the wire)
TUNNEL_PROTOCOL_KEY = "tunnel_protocol"


@dataclass(frozen=True, slots=True)
class Handshake:
    """A valid opening handshake, ready to be answered (101, or 200 on HTTP/2)."""

    #: Sec-WebSocket-Accept (empty over HTTP/2, which has none)
    accept: str
    subprotocol: str | None
    #: the negotiated extensions plus our limits, for the frame protocol
    extensions: tuple[Extension, ...]
    #: the whole HTTP/1.1 101 response (empty over HTTP/2)
    response: bytes
    #: negotiated response fields (lower-case), for the HTTP/2 200
    fields: tuple[tuple[str, str], ...] = ()


def _tokens(value: str | None) -> list[str]:
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


def _upgrade_required(detail: str) -> Response:
    return problem(426, detail=detail, headers=[("upgrade", "websocket"),
                                                ("connection", "upgrade"),
                                                ("sec-websocket-version", "13")])


def check_upgrade(request: Request, config: WsConfig) -> Handshake | Response:
    """Validate `request` as a WebSocket opening handshake (see module doc)."""
    if request.http_version == "2" and TUNNEL_PROTOCOL_KEY in request.extensions:
        return _check_extended_connect(request, config)
    headers = request.headers
    if "websocket" not in _tokens(headers.get("upgrade")):
        return _upgrade_required("this resource needs a WebSocket upgrade")
    if "upgrade" not in _tokens(headers.get("connection")):
        return problem(400, detail="connection header must contain 'upgrade'")
    if request.method != "GET":
        return problem(400, detail="a WebSocket handshake must use GET")
    if request.http_version != "1.1":
        return problem(400, detail="a WebSocket handshake needs HTTP/1.1")
    if (headers.get("sec-websocket-version") or "").strip() != "13":
        return _upgrade_required("only WebSocket version 13 is supported")
    key = (headers.get("sec-websocket-key") or "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError(key)
    except (ValueError, binascii.Error):
        return problem(400, detail="sec-websocket-key must be 16 bytes in base64")
    accept = generate_accept_token(key.encode("ascii")).decode("ascii")
    subprotocol, extensions, fields = _negotiate(request, config)
    head = [b"HTTP/1.1 101 Switching Protocols", b"upgrade: websocket",
            b"connection: Upgrade", b"sec-websocket-accept: " + accept.encode("ascii")]
    head.extend(f"{name}: {value}".encode("latin-1") for name, value in fields)
    return Handshake(accept, subprotocol, extensions, b"\r\n".join(head) + b"\r\n\r\n",
                     fields)


def _check_extended_connect(request: Request, config: WsConfig) -> Handshake | Response:
    """RFC 8441 §4-5: `:protocol websocket` and version 13; no key, no accept."""
    protocol = str(request.extensions[TUNNEL_PROTOCOL_KEY])
    if protocol.lower() != "websocket":
        return problem(501, detail=f"extended CONNECT for {protocol!r} is not supported")
    if (request.headers.get("sec-websocket-version") or "").strip() != "13":
        return problem(426, detail="only WebSocket version 13 is supported",
                       headers=[("sec-websocket-version", "13")])
    subprotocol, extensions, fields = _negotiate(request, config)
    return Handshake("", subprotocol, extensions, b"", fields)


def _negotiate(request: Request, config: WsConfig
               ) -> tuple[str | None, tuple[Extension, ...], tuple[tuple[str, str], ...]]:
    """Subprotocol and extensions, as for both handshakes (RFC 6455 §4.2.2)."""
    headers = request.headers
    offered = [p.strip() for v in headers.get_all("sec-websocket-protocol")
               for p in v.split(",") if p.strip()]
    subprotocol = next((p for p in config.subprotocols if p in offered), None)
    extensions: list[Extension] = []
    fields: list[tuple[str, str]] = []
    if subprotocol is not None:
        fields.append(("sec-websocket-protocol", subprotocol))
    if config.compression:
        offers = [o.strip() for v in headers.get_all("sec-websocket-extensions")
                  for o in v.split(",") if o.strip()]
        deflate = BoundedDeflate(config.max_message_bytes)
        ext_header = server_extensions_handshake(offers, [deflate])
        if deflate.enabled():
            extensions.append(deflate)
        if ext_header:
            fields.append(("sec-websocket-extensions", ext_header.decode("latin-1")))
    extensions.append(FrameLimits(config.max_frame_bytes, config.max_message_bytes))
    return subprotocol, tuple(extensions), tuple(fields)
