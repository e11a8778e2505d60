"""The server side of the RFC 6455 opening handshake, as pure functions.

`check_upgrade(request, config)` either returns the `Handshake` to complete
(accept token, chosen subprotocol and extensions, the 101 response bytes) or
the error `Response` to send instead: 426 when the request is not a
WebSocket upgrade or asks for another protocol version, 400 when it is one
but malformed (method, key, HTTP version).
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


@dataclass(frozen=True, slots=True)
class Handshake:
    """A valid upgrade request, ready to be answered with 101."""

    accept: str
    subprotocol: str | None
    #: the negotiated extensions plus our limits, for the frame protocol
    extensions: tuple[Extension, ...]
    response: bytes


def _tokens(value: str | None) -> list[str]:
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


def _upgrade_required(detail: str) -> Response:
    return problem(426, detail=detail, headers=[("upgrade", "websocket"),
                                                ("connection", "upgrade"),
                                                ("sec-websocket-version", "13")])


def check_upgrade(request: Request, config: WsConfig) -> Handshake | Response:
    """Validate `request` as a WebSocket opening handshake (see module doc)."""
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
    offered = [p.strip() for v in headers.get_all("sec-websocket-protocol")
               for p in v.split(",") if p.strip()]
    subprotocol = next((p for p in config.subprotocols if p in offered), None)
    extensions: list[Extension] = []
    ext_header: bytes | None = None
    if config.compression:
        offers = [o.strip() for v in headers.get_all("sec-websocket-extensions")
                  for o in v.split(",") if o.strip()]
        deflate = BoundedDeflate(config.max_message_bytes)
        ext_header = server_extensions_handshake(offers, [deflate])
        if deflate.enabled():
            extensions.append(deflate)
    extensions.append(FrameLimits(config.max_frame_bytes, config.max_message_bytes))
    head = [b"HTTP/1.1 101 Switching Protocols", b"upgrade: websocket",
            b"connection: Upgrade", b"sec-websocket-accept: " + accept.encode("ascii")]
    if subprotocol is not None:
        head.append(b"sec-websocket-protocol: " + subprotocol.encode("latin-1"))
    if ext_header:
        head.append(b"sec-websocket-extensions: " + ext_header)
    return Handshake(accept, subprotocol, tuple(extensions), b"\r\n".join(head) + b"\r\n\r\n")
