"""The peers' app: `GET /` -> 200 `Hello, World!` as raw ASGI (no framework),
so hypercorn and granian are measured, not a framework on top of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

_START = {"type": "http.response.start", "status": 200,
          "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                      (b"content-length", b"13")]}
_BODY = {"type": "http.response.body", "body": b"Hello, World!"}


async def app(scope: Scope, receive: Callable[[], Awaitable[Message]],
              send: Callable[[Message], Awaitable[None]]) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await send(_START)
        await send(_BODY)
