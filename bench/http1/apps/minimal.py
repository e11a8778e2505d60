"""The Python ceiling: a uvloop `asyncio.Protocol` that answers every request
with canned bytes.

It is not an HTTP server: it does not parse, only counts request ends
(`\\r\\n\\r\\n`; the benchmark sends GETs without bodies) and writes one canned
response per request, all responses for one read in a single write. The
response carries the peers' headers (date, server, content-type,
content-length; `date` rebuilt once a second), so the bytes on the wire are
comparable. Nothing written in Python on uvloop answers faster; a server's
distance to this row is its own overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
from typing import cast

import uvloop

BODY = b"Hello, World!"


def _response() -> bytes:
    date = email.utils.formatdate(usegmt=True).encode()
    return (b"HTTP/1.1 200 OK\r\ndate: " + date + b"\r\nserver: minimal\r\n"
            b"content-type: text/plain\r\ncontent-length: 13\r\n\r\n" + BODY)


class _Canned:
    """The one response, refreshed each second for its `date` header."""

    response = _response()

    @classmethod
    def refresh(cls, loop: asyncio.AbstractEventLoop) -> None:
        cls.response = _response()
        loop.call_later(1.0, cls.refresh, loop)


class MinimalProtocol(asyncio.Protocol):
    __slots__ = ("buffer", "transport")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport implements asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data if self.buffer else data
        count = buf.count(b"\r\n\r\n")
        if count:
            self.buffer = buf[buf.rindex(b"\r\n\r\n") + 4 :]
            assert self.transport is not None
            self.transport.write(_Canned.response * count)
        else:
            self.buffer = buf

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    _Canned.refresh(loop)
    server = await loop.create_server(MinimalProtocol, host, port, backlog=4096)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT")
    args = parser.parse_args()
    host, _, port = str(args.bind).rpartition(":")
    uvloop.run(serve(host, int(port)))


if __name__ == "__main__":
    main()
