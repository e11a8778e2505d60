"""Verum's bind-then-serve listener (`weft.verum_listener`) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
from weft.http_types import Request, Response
from weft.result import Err, Ok
from weft.server import ServerConfig
from weft.transport.tls import TlsConfig
from weft.verum_listener import ListenerConfig, VerumServer

from tests.weft.tls.tls_support import make_pki


async def _refused(port: int) -> bool:
    """Whether new connections to `port` are refused, polling a bounded number of times."""
    for _ in range(500):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return True
        writer.close()
        await asyncio.sleep(0.01)
    return False


async def _drain_with_request_in_flight() -> tuple[int, bool, bool, object]:
    """A request is inside the handler when `begin_drain()` is called: the
    listener stops accepting, yet the request still gets its answer, and
    `serve()` returns only after it has."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(req: Request) -> Response:
        entered.set()
        await release.wait()
        return Response(200, body=b"done")

    server = VerumServer.bind("127.0.0.1:0", slow, ListenerConfig.default()).unwrap()
    port = server.port
    serving = asyncio.create_task(server.serve())
    async with httpx.AsyncClient(timeout=10) as client:
        pending = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/"))
        await asyncio.wait_for(entered.wait(), 10)
        server.begin_drain()
        refused = await _refused(port)
        held = not serving.done()
        release.set()
        answer = await asyncio.wait_for(pending, 10)
    result = await asyncio.wait_for(serving, 20)
    return answer.status_code, refused, held, result


def test_begin_drain_lets_the_in_flight_request_finish() -> None:
    assert asyncio.run(_drain_with_request_in_flight()) == (200, True, True, Ok(None))


async def _tls_get(tls: TlsConfig, ca: Path) -> tuple[int, str]:
    async def hello(req: Request) -> Response:
        return Response(200, body=b"over tls")

    server = VerumServer.bind("127.0.0.1:0", hello, ListenerConfig.default()).unwrap()
    serving = asyncio.create_task(server.serve_tls(tls))
    try:
        verify = ssl.create_default_context(cafile=str(ca))
        async with httpx.AsyncClient(verify=verify, timeout=10) as client:
            r = await client.get(f"https://127.0.0.1:{server.port}/")
    finally:
        server.begin_drain()
        await asyncio.wait_for(serving, 20)
    return r.status_code, r.text


def test_serve_tls_on_the_bound_socket(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    tls = TlsConfig(str(pki.server_cert), str(pki.server_key), alpn=("http/1.1",))
    assert asyncio.run(_tls_get(tls, pki.ca_cert)) == (200, "over tls")


async def _serve_twice() -> tuple[object, object]:
    async def ok(req: Request) -> Response:
        return Response(204)

    server = VerumServer.bind("127.0.0.1:0", ok, ListenerConfig.default()).unwrap()
    server.shutdown()  # never served: just closes the socket
    return await server.serve(), server.drain_handle().load()


def test_a_shut_down_listener_does_not_serve() -> None:
    result, draining = asyncio.run(_serve_twice())
    assert isinstance(result, Err) and draining is True
    assert VerumServer.bind("127.0.0.1:notaport", None,  # type: ignore[arg-type]
                            ListenerConfig.default()).is_err()


def test_config_builders() -> None:
    cfg = ListenerConfig.default().with_drain_grace_ms(250).with_reuseport(True)
    assert (cfg.backlog, cfg.drain_grace_ms, cfg.reuseport, cfg.io_uring_accept) \
        == (1024, 250, True, None)
    server = cfg.server_config(ServerConfig(port=0))
    assert (server.backlog, server.reuse_port, server.shutdown_grace, server.port) \
        == (1024, True, 0.25, 0)
