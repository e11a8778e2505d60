"""Hello world as a bare RSGI app, granian's native interface."""

from __future__ import annotations

from typing import Any

BODY = b"Hello, World!"
HEADERS = [("content-type", "text/plain")]


# granian passes its own Scope and HTTPProtocol objects; Any is the seam.
async def app(scope: Any, protocol: Any) -> None:
    """Answer every request with the same 13 bytes (granian adds content-length)."""
    protocol.response_bytes(200, HEADERS, BODY)
