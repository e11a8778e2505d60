"""Hello, World! on the weft runtime, written directly in Python.

    python examples/python/hello.py --bind 127.0.0.1:8000 --workers 2
    python examples/python/hello.py --tls-cert cert.pem --tls-key key.pem

`GET /` answers `Hello, World!`; `GET /hello/{name}` answers `Hello, {name}!`;
`/ws/echo` is a WebSocket that sends every message back. One port serves
HTTP/1.1, HTTP/2 (prior knowledge on cleartext, ALPN with TLS) and
WebSocket. SIGTERM or Ctrl-C stops it gracefully: requests in flight finish
first, HTTP/2 clients get GOAWAY, WebSocket clients a 1001 close.
"""

from __future__ import annotations

import argparse
import logging
import sys

from weft.app import WeftApp
from weft.connection.websocket import WsSession
from weft.http_types import Request
from weft.router import Router
from weft.transport import TlsConfigError


async def hello(req: Request) -> str:
    return "Hello, World!"


async def hello_name(req: Request) -> str:
    return f"Hello, {req.path_params['name']}!"


async def echo(session: WsSession) -> None:
    async for message in session:
        if isinstance(message, str):
            await session.send_text(message)
        else:
            await session.send_bytes(message)


def make_app() -> WeftApp:
    router = Router().get("/", hello).get("/hello/:name", hello_name).ws("/ws/echo", echo)
    return WeftApp.new(router)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT or [V6]:PORT")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--tls-cert", help="PEM certificate (chain): serve HTTPS and HTTP/2")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s: %(message)s")
    app = make_app().bind(args.bind).workers(args.workers)
    if args.tls_cert is not None:
        app = app.tls(args.tls_cert, args.tls_key)
    try:
        return app.serve()
    except TlsConfigError as exc:
        print(f"hello: TLS: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
