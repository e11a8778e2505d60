"""One OTLP/HTTP POST over a fresh connection, with h11 as the parser.

Why a connection per push: pushes are seconds apart, so keep-alive saves
little, while a fresh connection cannot inherit a half-broken stream from a
collector that restarted. The whole exchange runs under one deadline.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import final
from urllib.parse import urlsplit

import h11

__all__ = ["HttpAnswer", "post"]

_READ_CHUNK = 65536
_MAX_ANSWER = 4 * 1024 * 1024


@final
@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


async def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float,
               ssl_context: ssl.SSLContext | None = None) -> HttpAnswer:
    """POST `body` to `url`; raises `OSError` (a `TimeoutError` past `timeout`)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    tls = (ssl_context or ssl.create_default_context()) if secure else None
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port, ssl=tls)
        try:
            return await _exchange(reader, writer, parts.netloc, target, body, headers)
        except h11.ProtocolError as exc:
            raise OSError(f"OTLP collector spoke broken HTTP: {exc}") from None
        finally:
            writer.close()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, authority: str,
                    target: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
    conn = h11.Connection(h11.CLIENT)
    fields = [("host", authority), ("content-length", str(len(body))),
              ("connection", "close"), *headers.items()]
    writer.write(conn.send(h11.Request(method="POST", target=target, headers=fields)) or b"")
    writer.write(conn.send(h11.Data(data=body)) or b"")
    writer.write(conn.send(h11.EndOfMessage()) or b"")
    await writer.drain()
    status = 0
    answer_headers: tuple[tuple[str, str], ...] = ()
    chunks: list[bytes] = []
    size = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(_READ_CHUNK))
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            answer_headers = tuple((k.decode("latin-1"), v.decode("latin-1"))
                                   for k, v in event.headers)
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > _MAX_ANSWER:
                raise OSError("OTLP collector answer is too large")
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            if not status:
                raise OSError("OTLP collector closed the connection without answering")
            return HttpAnswer(status, answer_headers, b"".join(chunks))
