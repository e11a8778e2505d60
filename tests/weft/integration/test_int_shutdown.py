"""Two-phase shutdown reaches every connection kind on the shared port: an
HTTP/2 connection with an open stream gets GOAWAY and finishes that stream,
a WebSocket session is closed with 1001, and the tickets all come back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import websockets
from h2_support import RawClient, ended, goaway, status_of
from int_support import App, need

from tests.weft.helpers import RunningServer

Serve = Callable[..., tuple[RunningServer, App]]


def test_goaway_for_h2_and_1001_for_websocket(serve_app: Serve) -> None:
    nghttp = need("nghttp")
    running, app = serve_app(shutdown_grace=8.0)

    async def scenario() -> str:
        proc = await asyncio.create_subprocess_exec(
            nghttp, "-v", f"http://127.0.0.1:{running.port}/slow",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        ws = await websockets.connect(f"ws://127.0.0.1:{running.port}/ws/echo")
        await ws.send("before")
        assert await ws.recv() == "before"
        assert running.wait_for(lambda: running.stats.requests_in_flight == 1)
        assert running.server.connections == 2

        stopping = asyncio.wrap_future(running.submit(running.server.shutdown(8.0)))
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 1001
        await asyncio.sleep(0.2)
        assert not stopping.done()  # the open h2 stream holds the server in phase 2
        assert running.server.connections == 1

        await asyncio.wrap_future(running.submit(app.open_gate()))
        out, _ = await asyncio.wait_for(proc.communicate(), 10)
        await asyncio.wait_for(stopping, 5)
        return out.decode("latin-1")

    out = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert "recv GOAWAY" in out and "error_code=NO_ERROR" in out, out
    assert ":status: 200" in out and "\ndone" in out, out
    assert out.index("recv GOAWAY") < out.index(":status: 200")
    assert running.server.connections == 0
    assert running.stats.connections_open == 0


def test_phase_two_aborts_what_is_left(serve_app: Serve) -> None:
    running, _ = serve_app()

    async def scenario() -> None:
        client = await RawClient.connect(running.port)
        sid = client.get("/slow")  # never released
        assert running.wait_for(lambda: running.stats.requests_in_flight == 1)
        await asyncio.wrap_future(running.submit(running.server.shutdown(0.3)))
        events = await client.pump(lambda evs: client.closed or ended(sid)(evs))
        assert goaway(events)
        assert status_of(events, sid) is None
        await client.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert running.server.connections == 0
    assert running.stats.requests_in_flight == 0
