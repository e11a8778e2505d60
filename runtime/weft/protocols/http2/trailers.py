"""Response trailers without widening `Response`.

A handler that wants trailers returns a streamed response whose `stream` is
a `WithTrailers`: it yields the body chunks, and once they are exhausted the
HTTP/2 adapter reads `trailers` and sends them as the final HEADERS frame.
The trailers may be a list or a callable evaluated after the body (for a
checksum computed while streaming). HTTP/1.1 sends the body and ignores them.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import final


@final
class WithTrailers:
    __slots__ = ("_body", "_trailers")

    def __init__(self, body: AsyncIterable[bytes] | bytes,
                 trailers: list[tuple[str, str]] | Callable[[], list[tuple[str, str]]]) -> None:
        self._body = body
        self._trailers = trailers

    async def __aiter__(self) -> AsyncIterator[bytes]:
        body = self._body
        if isinstance(body, bytes):
            if body:
                yield body
            return
        async for chunk in body:
            yield chunk

    def trailers(self) -> list[tuple[str, str]]:
        """The trailer fields (call after the body is exhausted)."""
        t = self._trailers
        return t() if callable(t) else list(t)
