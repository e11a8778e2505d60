"""Shared test helpers for the runtime: a server on a background thread,
raw-socket clients, and a small strict HTTP/1.1 response reader."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from weft import reactor
from weft.protocols.http1 import Http1Limits
from weft.server import Server, ServerConfig
from weft.types import Service

T = TypeVar("T")


class RunningServer:
    """A `Server` serving on its own event loop in a daemon thread."""

    def __init__(self, service: Service, config: ServerConfig, *,
                 sock: socket.socket | None = None) -> None:
        self.loop = reactor.new_event_loop()
        self.server = Server(service, config, sock=sock)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.call(self.server.start())
        self.host = config.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def stats(self) -> Any:
        return self.server.stats

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run `coro` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def sync(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Call `fn` on the loop thread (to read loop-owned state safely)."""
        async def run() -> T:
            return fn()
        return self.call(run(), timeout)

    def stop(self, grace: float = 2.0) -> None:
        if self.loop.is_closed():
            return
        try:
            self.call(self.server.shutdown(grace), timeout=grace + 10)
        finally:
            async def leftovers() -> None:
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            asyncio.run_coroutine_threadsafe(leftovers(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll `predicate` on the loop thread until true (bounded)."""
        async def poll() -> bool:
            deadline = asyncio.get_running_loop().time() + timeout
            while asyncio.get_running_loop().time() < deadline:
                if predicate():
                    return True
                await asyncio.sleep(0.01)
            return predicate()
        return self.call(poll(), timeout + 5)


def connect(port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def read_until_close(s: socket.socket, limit: int = 64 * 1024 * 1024) -> bytes:
    """Everything the peer sends until it closes (socket timeout applies)."""
    chunks = []
    total = 0
    while total < limit:
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
        total += len(data)
    return b"".join(chunks)


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, half-close nothing, and read until the server closes."""
    with connect(port, timeout=timeout) as s:
        s.sendall(data)
        return read_until_close(s)


@dataclass
class Reply:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    trailers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name.lower():
                return v
        return None


class ResponseReader:
    """Reads HTTP/1.1 responses off a socket (strictly: CRLF, known framing)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read(self, head_only: bool = False) -> Reply:
        version, status, reason = self._line().decode("latin-1").split(" ", 2)
        assert version == "HTTP/1.1", version
        headers = []
        while (line := self._line()):
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.lower(), value.strip()))
        reply = Reply(int(status), reason, headers, b"")
        code = int(status)
        if head_only or code < 200 or code in (204, 304):
            return reply
        if reply.header("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while (line := self._line()):
                        n, _, v = line.decode("latin-1").partition(":")
                        reply.trailers.append((n.lower(), v.strip()))
                    break
                parts.append(self._exact(size))
                assert self._exact(2) == b"\r\n"
            reply.body = b"".join(parts)
        elif (length := reply.header("content-length")) is not None:
            reply.body = self._exact(int(length))
        else:
            while True:
                try:
                    self._fill()
                except EOFError:
                    break
            reply.body, self.buf = self.buf, b""
        return reply

    def closed(self) -> bool:
        """True if the peer closes with nothing more to read."""
        if self.buf:
            return False
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def get(port: int, path: str = "/", extra: bytes = b"") -> bytes:
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n"


def small_limits(**overrides: Any) -> Http1Limits:
    return Http1Limits(**overrides)


Handler = Callable[[Any], Awaitable[Any]]
