"""HTTP/1.1 response bytes, with everything that repeats precomputed.

A response head is `status line + handler headers + date + framing + CRLF`.
The first two are cached together per distinct (status, headers) pair, so a
handler that returns the same header list every time pays one dict lookup;
the `Date` line is rebuilt at most once a second by `DateClock`; framing
(`content-length`, `transfer-encoding`, `connection`) is always ours: the
handler's own framing headers are dropped, except a `content-length` on a
streamed response (then the stream is sent identity-coded and must match),
and `connection: close`, which is honoured.

Header names and values are checked once, when a pair enters the cache: a
CR, LF or NUL (response splitting) raises `ValueError`.

`encode` has a C twin (`_native.c`, see `weft.accel`) that the class uses when it
is built; the Python method (`py_encode`) stays its specification.
"""

from __future__ import annotations

import re
from email.utils import formatdate
from http import HTTPStatus
from types import ModuleType
from typing import Final, final

from weft.accel import native_module
from weft.http_types import Response

_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_STRIPPED: Final = frozenset({"content-length", "transfer-encoding", "connection"})
_CACHE_MAX: Final = 512

CONTINUE_100: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_CLOSE: Final = b"connection: close\r\n"
_KEEP_ALIVE: Final = b"connection: keep-alive\r\n"
_CHUNKED: Final = b"transfer-encoding: chunked\r\n"
LAST_CHUNK: Final = b"0\r\n\r\n"


def status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode("ascii")


_STATUS_LINES: Final = {int(s): status_line(int(s)) for s in HTTPStatus}


def no_body_status(status: int) -> bool:
    """1xx, 204 and 304 responses never carry a body (RFC 9112 6.3)."""
    return status < 200 or status == 204 or status == 304


@final
class DateClock:
    """The `date:` header line, refreshed by whoever owns a timer (`tick`)."""

    __slots__ = ("_second", "line")

    def __init__(self) -> None:
        self._second = -1
        self.line = b""

    def tick(self, now: float) -> None:
        """Refresh from a wall-clock time (seconds since the epoch)."""
        second = int(now)
        if second != self._second:
            self._second = second
            self.line = b"date: " + formatdate(second, usegmt=True).encode("ascii") + b"\r\n"


@final
class _Block:
    """A cached status line plus validated handler headers, and that block
    joined with the current `date:` line (rebuilt when the clock ticks)."""

    __slots__ = ("bodiless", "close", "data", "date", "has_date", "length", "prefix")

    def __init__(self, data: bytes, close: bool, has_date: bool, length: int | None,
                 bodiless: bool) -> None:
        self.data = data
        self.close = close
        #: the status never carries a body (decided once per cached block)
        self.bodiless = bodiless
        self.has_date = has_date
        self.length = length
        self.date = b""
        self.prefix = data

    def dated(self, line: bytes) -> bytes:
        """`data` plus the date line `line` (unless the handler set its own)."""
        if self.has_date:
            return self.data
        if self.date is not line:
            self.date = line
            self.prefix = self.data + line
        return self.prefix


@final
class ResponseSerializer:
    """Encodes responses; one per server, shared by its connections."""

    __slots__ = ("_cache", "_lengths", "clock")

    def __init__(self, clock: DateClock) -> None:
        self.clock = clock
        self._cache: dict[tuple[int, tuple[tuple[str, str], ...]], _Block] = {}
        self._lengths: dict[int, bytes] = {}

    def _block(self, status: int, headers: list[tuple[str, str]]) -> _Block:
        key = (status, tuple(headers))
        block = self._cache.get(key)
        if block is None:
            block = _build_block(status, headers)
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[key] = block
        return block

    def encode(self, response: Response, head_only: bool, keep_alive: bool,
               http10: bool) -> tuple[bytes, bool]:
        """Head and body of a non-streamed response, and whether the
        connection may stay open afterwards."""
        status = response.status
        block = self._cache.get((status, tuple(response.headers)))
        if block is None:
            block = self._block(status, response.headers)
        if block.close:
            keep_alive = False
        line = self.clock.line
        prefix = block.prefix if block.date is line else block.dated(line)
        if block.bodiless:
            conn = (_KEEP_ALIVE if http10 else b"") if keep_alive else _CLOSE
            return prefix + conn + b"\r\n", keep_alive
        body = response.body
        n = len(body)
        length = self._lengths.get(n)
        if length is None:
            length = b"content-length: %d\r\n\r\n" % n
            if n < 4096:
                self._lengths[n] = length
        if keep_alive and not http10:
            if head_only or not n:
                return prefix + length, True
            return b"".join((prefix, length, body)), True
        conn = (_KEEP_ALIVE if http10 else b"") if keep_alive else _CLOSE
        if head_only or not n:
            return prefix + conn + length, keep_alive
        return b"".join((prefix, conn, length, body)), keep_alive

    def encode_stream_head(self, response: Response, head_only: bool, keep_alive: bool,
                           http10: bool) -> tuple[bytes, bool, int | None]:
        """Head of a streamed response: (bytes, keep_alive, declared length).

        A declared length (the handler's `content-length`) means identity
        coding; no length means chunked on HTTP/1.1 and close-delimited on
        HTTP/1.0 (which forces the connection closed)."""
        status = response.status
        block = self._block(status, response.headers)
        if block.close:
            keep_alive = False
        prefix = block.dated(self.clock.line)
        length = block.length
        if no_body_status(status):
            framing = b""
        elif length is not None:
            framing = b"content-length: %d\r\n" % length
        elif head_only:
            framing = b""
        elif http10:
            framing = b""
            keep_alive = False
        else:
            framing = _CHUNKED
        conn = (_KEEP_ALIVE if http10 else b"") if keep_alive else _CLOSE
        return prefix + framing + conn + b"\r\n", keep_alive, length


def encode_chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def _build_block(status: int, headers: list[tuple[str, str]]) -> _Block:
    if not 100 <= status <= 999:
        raise ValueError(f"invalid status code {status!r}")
    line = _STATUS_LINES.get(status) or status_line(status)
    parts = [line]
    close = has_date = False
    length: int | None = None
    for name, value in headers:
        if _TOKEN.fullmatch(name) is None:
            raise ValueError(f"invalid response header name {name!r}")
        if _BAD_VALUE.search(value) is not None:
            raise ValueError(f"invalid character in response header {name!r}")
        lname = name.lower()
        if lname in _STRIPPED:
            if lname == "connection":
                close = close or "close" in {t.strip().lower() for t in value.split(",")}
            elif lname == "content-length":
                value = value.strip()
                if not (value.isascii() and value.isdigit()):
                    raise ValueError(f"invalid content-length {value!r}")
                length = int(value)
            continue
        if lname == "date":
            has_date = True
        parts.append(f"{name}: {value.strip()}\r\n".encode("latin-1"))
    return _Block(b"".join(parts), close, has_date, length, no_body_status(status))


#: the pure-Python `encode`: the specification the C twin is tested against
py_encode: Final = ResponseSerializer.encode


def _load_native() -> ModuleType | None:
    """Install the C `encode` on the class, if it is built and not switched off."""
    native = native_module("weft.protocols.http1._native")
    if native is None:
        return None
    native.bind_encoder(ResponseSerializer, _Block, DateClock, Response, py_encode)
    # setattr: replacing a method on a final class is this module's own choice
    setattr(ResponseSerializer, "encode", native.encode_method)  # noqa: B010
    return native


#: the C accelerator in use, or None when the pure-Python code serves
NATIVE: Final = _load_native()
