"""The app every integration test serves, and small client helpers.

Routes: `GET /` ("hello"), `GET /hello/:name`, `GET /whoami` (protocol,
scheme and client certificate as JSON), `GET /slow` (waits for `App.gate`),
WebSockets `/ws/echo`, `/ws/rooms/:room` and `/private/ws`. The service
wraps the router in a guard that suspends (an `await`) and demands a bearer
token for `/private/...`, like an auth layer would.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest
from weft.connection.websocket import WsSession
from weft.http_types import Request, Response
from weft.router import Router
from weft.transport import PEER_CERT_KEY, PeerCert
from weft.types import Service


@dataclass
class App:
    service: Service
    #: set on the server's loop (`RunningServer.call(app.open_gate())`)
    gate: list[asyncio.Event] = field(default_factory=list)

    def event(self) -> asyncio.Event:
        if not self.gate:
            self.gate.append(asyncio.Event())
        return self.gate[0]

    async def open_gate(self) -> None:
        self.event().set()


def make_app() -> App:
    gate: list[asyncio.Event] = []

    def event() -> asyncio.Event:
        if not gate:
            gate.append(asyncio.Event())
        return gate[0]

    async def hello(req: Request) -> str:
        return "hello"

    async def hello_name(req: Request) -> str:
        return f"hello {req.path_params['name']}"

    async def whoami(req: Request) -> Response:
        cert = req.extensions.get(PEER_CERT_KEY)
        doc = {"version": req.http_version, "scheme": req.scheme,
               "cn": cert.common_name if isinstance(cert, PeerCert) else None}
        return Response(200, [("content-type", "application/json")], json.dumps(doc).encode())

    async def slow(req: Request) -> str:
        await event().wait()
        return "done"

    async def echo(session: WsSession) -> None:
        async for message in session:
            if isinstance(message, str):
                await session.send_text(message)
            else:
                await session.send_bytes(message)

    async def room(session: WsSession) -> None:
        await session.send_text(f"room {session.request.path_params['room']}")
        await echo(session)

    router = (Router().get("/", hello).get("/hello/:name", hello_name).get("/whoami", whoami)
              .get("/slow", slow).ws("/ws/echo", echo).ws("/ws/rooms/:room", room)
              .ws("/private/ws", echo))

    async def guarded(req: Request) -> Response:
        if req.path.startswith("/private/"):
            await asyncio.sleep(0.01)  # the dispatch suspends, as behind an async layer
            if req.headers.get("authorization") != "Bearer ok":
                return Response(401, [("www-authenticate", "Bearer")], b"no token")
        return await router(req)

    return App(guarded, gate)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


def run_tool(*args: str, timeout: float = 20.0, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    need(args[0])
    done = subprocess.run(args, input=stdin.decode(), capture_output=True, text=True, encoding="latin-1",
                          timeout=timeout, check=False)
    return done
