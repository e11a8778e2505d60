"""`weft.server.Server`: binding (IPv4, IPv6, SO_REUSEPORT, given socket),
real clients (httpx, curl), the connection limit, ticket release on every
exit path, two-phase shutdown, `serve()` under signals, and the reactor."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable

import httpx
import pytest
from weft import reactor
from weft.http_types import Request, Response
from weft.protocols.http1 import Http1Limits
from weft.server import Server, ServerConfig

from tests.weft.helpers import ResponseReader, RunningServer, connect, exchange

Start = Callable[..., RunningServer]


async def hello(req: Request) -> Response:
    if req.path == "/slow":
        await asyncio.sleep(0.3)
    if req.path == "/hang":
        await asyncio.sleep(3600)
    if req.path == "/boom":
        raise RuntimeError("boom")
    return Response(200, [("content-type", "text/plain")], b"hello " + req.body)


def test_port_zero_binds_an_ephemeral_port_and_serves_httpx(weft_server: Start) -> None:
    srv = weft_server(hello)
    assert srv.port > 0 and srv.server.sockets
    with httpx.Client(base_url=f"http://127.0.0.1:{srv.port}", timeout=5) as client:
        for _ in range(3):
            r = client.post("/x", content=b"world")
            assert r.status_code == 200 and r.text == "hello world"
            assert r.headers["content-length"] == "11" and "date" in r.headers
    assert srv.stats.requests_total == 3
    assert srv.wait_for(lambda: srv.stats.connections_open == 0)
    assert srv.stats.bytes_in > 0 and srv.stats.bytes_out > 0


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_keepalive_chunked_upload_and_head(weft_server: Start, tmp_path: object) -> None:
    srv = weft_server(hello)
    url = f"http://127.0.0.1:{srv.port}/"
    out = subprocess.run(["curl", "-s", "--max-time", "10", url, url], capture_output=True, check=True)
    assert out.stdout == b"hello hello "
    out = subprocess.run(["curl", "-s", "--max-time", "10", "-H", "Transfer-Encoding: chunked",
                          "--data-binary", "chunky", url], capture_output=True, check=True)
    assert out.stdout == b"hello chunky"
    out = subprocess.run(["curl", "-s", "--max-time", "10", "-I", url], capture_output=True, check=True)
    assert out.stdout.startswith(b"HTTP/1.1 200") and b"content-length: 6" in out.stdout
    out = subprocess.run(["curl", "-s", "--max-time", "10", "--http1.0", url],
                         capture_output=True, check=True)
    assert out.stdout == b"hello "


def _has_ipv6() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback on this machine")
def test_ipv6(weft_server: Start) -> None:
    srv = weft_server(hello, host="::1")
    with connect(srv.port, host="::1") as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n")
        assert ResponseReader(s).read().body == b"hello "


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT")
def test_reuse_port_two_servers_one_port(weft_server: Start) -> None:
    a = weft_server(hello, reuse_port=True)
    b = weft_server(hello, reuse_port=True, port=a.port)
    assert a.port == b.port
    for _ in range(40):
        assert exchange(a.port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").endswith(b"hello ")
    assert a.stats.requests_total + b.stats.requests_total == 40
    # Both still serve once the other stops.
    a.stop()
    assert exchange(b.port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").endswith(b"hello ")


def test_given_socket() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = RunningServer(hello, ServerConfig(), sock=sock)
    try:
        assert srv.port == sock.getsockname()[1]
        assert exchange(srv.port, b"GET / HTTP/1.0\r\n\r\n").endswith(b"hello ")
    finally:
        srv.stop()


def test_over_the_connection_limit_gets_503_and_close(weft_server: Start) -> None:
    srv = weft_server(hello, max_connections=2)
    held = [connect(srv.port), connect(srv.port)]
    try:
        assert srv.wait_for(lambda: srv.stats.connections_open == 2)
        with connect(srv.port) as extra:
            r = ResponseReader(extra)
            reply = r.read()
            assert reply.status == 503 and reply.header("connection") == "close"
            assert r.closed()
        assert srv.stats.connections_rejected == 1
        for s in held:  # the admitted ones still work
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert ResponseReader(s).read().status == 200
    finally:
        for s in held:
            s.close()
    assert srv.wait_for(lambda: srv.stats.connections_open == 0)
    assert exchange(srv.port, b"GET / HTTP/1.0\r\n\r\n").endswith(b"hello ")


def test_tickets_are_released_on_every_exit_path(weft_server: Start) -> None:
    srv = weft_server(hello, max_connections=3,
                      limits=Http1Limits(header_timeout=0.2, keepalive_timeout=0.2))
    port = srv.port

    def back_to_zero() -> None:
        assert srv.wait_for(lambda: srv.stats.connections_open == 0), srv.stats

    # client closes politely after a response
    exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    back_to_zero()
    # client resets mid-request (RST)
    s = connect(port)
    s.sendall(b"GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
    assert srv.wait_for(lambda: srv.stats.requests_in_flight == 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    back_to_zero()
    # protocol error
    exchange(port, b"BAD\r\n\r\n")
    back_to_zero()
    # header deadline
    exchange(port, b"GET / HTTP/1.1\r\n")
    back_to_zero()
    # idle keep-alive deadline
    exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    back_to_zero()
    # handler exception, then close
    exchange(port, b"GET /boom HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    back_to_zero()
    # never sends anything
    with connect(port) as s:
        assert s.recv(10) == b""
    back_to_zero()
    assert srv.stats.requests_in_flight == 0
    # the limit is intact: three at once are all admitted
    conns = [connect(port) for _ in range(3)]
    for c in conns:
        c.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert ResponseReader(c).read().status == 200
    for c in conns:
        c.close()
    back_to_zero()


def test_graceful_shutdown(weft_server: Start) -> None:
    srv = weft_server(hello)
    port = srv.port
    idle = connect(port)
    idle.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    idle_reader = ResponseReader(idle)
    assert idle_reader.read().status == 200
    busy = connect(port)
    busy.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
    assert srv.wait_for(lambda: srv.stats.requests_in_flight == 1)
    done = srv.submit(srv.server.shutdown(5.0))
    # the idle connection is closed at once
    assert idle_reader.closed()
    # the in-flight request finishes, told to close
    reply = ResponseReader(busy).read()
    assert reply.status == 200 and reply.header("connection") == "close"
    done.result(10)
    # new connections are refused
    with pytest.raises(OSError):
        connect(port, timeout=2).sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n" * 1000)
    assert srv.stats.connections_open == 0
    idle.close()
    busy.close()


def test_shutdown_grace_expiry_cancels_the_nursery(weft_server: Start) -> None:
    cancelled = threading.Event()

    async def stuck(req: Request) -> Response:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Response(200)

    srv = weft_server(stuck)
    s = connect(srv.port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert srv.wait_for(lambda: srv.stats.requests_in_flight == 1)
    srv.call(srv.server.shutdown(0.2))
    assert cancelled.wait(5)
    assert srv.stats.connections_open == 0 and srv.stats.requests_in_flight == 0
    assert ResponseReader(s).closed()
    s.close()


def test_serve_forever_returns_after_shutdown() -> None:
    async def main() -> int:
        server = Server(hello, ServerConfig(port=0))
        runner = asyncio.ensure_future(server.serve_forever())
        await asyncio.sleep(0.05)
        port = server.port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        data = await reader.read()
        writer.close()
        await server.shutdown(1.0)
        await asyncio.wait_for(runner, 5)
        return len(data)

    assert reactor.run(main()) > 0


SERVE_SCRIPT = textwrap.dedent("""
    import sys
    from weft.http_types import Response
    from weft.server import ServerConfig, serve

    async def hello(req):
        return Response(200, [], b"served")

    print("ready", flush=True)
    serve(hello, ServerConfig(port=int(sys.argv[1])))
    print("stopped", flush=True)
""")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_gracefully_on_signals(sig: signal.Signals) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, str(port)],
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": "runtime"})
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        for _ in range(200):
            try:
                data = exchange(port, b"GET / HTTP/1.0\r\n\r\n")
                break
            except OSError:
                threading.Event().wait(0.02)
        assert data.endswith(b"served")
        proc.send_signal(sig)
        assert proc.wait(15) == 0
        assert proc.stdout.read() == b"stopped\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_reactor_loop_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEFT_LOOP", raising=False)
    assert reactor.loop_name() == "uvloop"
    assert reactor.loop_name(prefer_uvloop=False) == "asyncio"
    loop = reactor.new_event_loop()
    assert type(loop).__module__.startswith("uvloop")
    loop.close()
    monkeypatch.setenv("WEFT_LOOP", "asyncio")
    assert reactor.loop_name() == "asyncio"
    loop = reactor.new_event_loop()
    assert isinstance(loop, asyncio.BaseEventLoop)
    loop.close()
    monkeypatch.setenv("WEFT_LOOP", "uvloop")
    assert reactor.loop_name(prefer_uvloop=False) == "uvloop"
    monkeypatch.setenv("WEFT_LOOP", "trio")
    with pytest.raises(ValueError):
        reactor.loop_name()


def test_server_on_the_stdlib_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEFT_LOOP", "asyncio")

    async def main() -> bytes:
        server = Server(hello, ServerConfig(port=0))
        await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = await reader.read()
        writer.close()
        await server.shutdown(1.0)
        return data

    data = reactor.run(main())
    assert data.count(b"HTTP/1.1 200 OK") == 2
