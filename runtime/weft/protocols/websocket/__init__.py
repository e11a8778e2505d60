"""Sans-IO WebSocket (RFC 6455) for the server: the opening handshake as a
pure check (`check_upgrade`), `WsCore` over wsproto's frame protocol, and the
limit-enforcing extensions."""

from weft.protocols.websocket.config import WsConfig
from weft.protocols.websocket.core import (
    Closed,
    MessageReceived,
    PingReceived,
    PongReceived,
    WsCore,
    WsEvent,
)
from weft.protocols.websocket.extensions import BoundedDeflate, FrameLimits
from weft.protocols.websocket.handshake import Handshake, check_upgrade

__all__ = [
    "BoundedDeflate",
    "Closed",
    "FrameLimits",
    "Handshake",
    "MessageReceived",
    "PingReceived",
    "PongReceived",
    "WsConfig",
    "WsCore",
    "WsEvent",
    "check_upgrade",
]
