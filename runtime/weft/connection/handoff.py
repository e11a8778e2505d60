"""How a service asks the HTTP/1.1 connection to give its socket to WebSocket.

A WebSocket route is an ordinary GET route (so layers such as auth, rate
limits and tracing run on the handshake like on any request). When the
handshake is valid its endpoint answers `Response(101, stream=WsAccept(route))`;
the HTTP/1.1 connection recognises the `WsAccept` stream, hands the socket
to `weft.connection.websocket.upgrade` and stops touching it. An invalid
handshake is answered with the 426/400 problem that `check_upgrade` builds,
so plain HTTP clients get a clear error.

`WsAccept` is still a valid async iterable so that a connection that cannot
upgrade (HTTP/2 never reaches it: the handshake needs HTTP/1.1) fails loudly
instead of sending an empty 101.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import final

from weft.connection.websocket import WsRoute
from weft.http_types import Request, Response
from weft.protocols.websocket import check_upgrade

__all__ = ["WsAccept", "websocket_endpoint"]


@final
class WsAccept:
    """The stream of a 101 response: "upgrade this connection to `route`"."""

    __slots__ = ("route",)

    def __init__(self, route: WsRoute) -> None:
        self.route = route

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._refuse()

    async def _refuse(self) -> AsyncIterator[bytes]:
        raise RuntimeError("a WebSocket upgrade can only be served by an HTTP/1.1 connection")
        yield b""  # pragma: no cover - makes this an async generator

    def __repr__(self) -> str:
        return f"<WsAccept {self.route.path}>"


def websocket_endpoint(route: WsRoute) -> Callable[[Request], Awaitable[Response]]:
    """The GET handler a router registers for `route`."""

    async def endpoint(request: Request) -> Response:
        checked = check_upgrade(request, route.config)
        if type(checked) is Response:
            return checked
        return Response(101, stream=WsAccept(route))

    endpoint.__name__ = endpoint.__qualname__ = f"websocket {route.path}"
    return endpoint
