"""`WeftApp` in-process: binding, serving hello.py's app, supervision, graceful stop."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from weft.app import BindAddress, WeftApp, parse_bind, serve_tree_async
from weft.http_types import Request
from weft.router import Router
from weft.server import ServerConfig
from weft.supervisor import ChildSpec, Supervisor, SupervisorConfig

HELLO = Path(__file__).resolve().parents[3] / "examples" / "python" / "hello.py"


def _load_hello() -> ModuleType:
    spec = importlib.util.spec_from_file_location("weft_example_hello", HELLO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("text", "host", "port", "shown"),
    [
        ("127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080"),
        ("0.0.0.0:0", "0.0.0.0", 0, "0.0.0.0:0"),
        ("[::1]:8080", "::1", 8080, "[::1]:8080"),
        ("[::]:443", "::", 443, "[::]:443"),
        (":9000", "0.0.0.0", 9000, "0.0.0.0:9000"),
        ("localhost:65535", "localhost", 65535, "localhost:65535"),
    ],
)
def test_parse_bind_accepts_host_port_forms(text: str, host: str, port: int, shown: str) -> None:
    where = parse_bind(text)
    assert where == BindAddress(host, port)
    assert str(where) == shown


@pytest.mark.parametrize("text", ["8080", "::1:8080", "[::1]8080", "[::1", "host:", "host:65536", "h:-1"])
def test_parse_bind_rejects_malformed_addresses(text: str) -> None:
    with pytest.raises(ValueError, match="bad bind address"):
        parse_bind(text)


def test_builder_chains_and_keeps_config() -> None:
    app = WeftApp.new(Router()).with_config(ServerConfig(shutdown_grace=2.0))
    assert app.bind("[::1]:8081").workers(3) is app
    assert (app.config.host, app.config.port, app.config.shutdown_grace) == ("::1", 8081, 2.0)
    with pytest.raises(ValueError, match="workers"):
        app.workers(0)
    assert app.child_spec().name == "http"
    assert app.child_spec().shutdown == 7.0


def test_serves_the_hello_example_on_an_ephemeral_port() -> None:
    app: WeftApp = _load_hello().make_app().bind("127.0.0.1:0")

    async def main() -> None:
        ready = asyncio.Event()
        async with asyncio.TaskGroup() as tg:
            serving = tg.create_task(app.serve_async(handle_signals=False, on_ready=ready.set))
            await asyncio.wait_for(ready.wait(), 5)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{app.port}") as client:
                r = await client.get("/")
                assert (r.status_code, r.text) == (200, "Hello, World!")
                r = await client.get("/hello/weft")
                assert (r.status_code, r.text) == (200, "Hello, weft!")
                assert (await client.get("/nope")).status_code == 404
            serving.cancel()  # cancellation means: shut down gracefully

    asyncio.run(main())


def test_the_app_as_a_supervised_child_is_restarted_on_the_same_port() -> None:
    app: WeftApp = _load_hello().make_app().bind("127.0.0.1:0")

    async def main() -> None:
        root = Supervisor(SupervisorConfig(intensity=3, period=5.0), name="root")
        root.add_child(app.child_spec("http"))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(root.run())
            async with httpx.AsyncClient(timeout=5) as client:
                port = await _wait_port(app)
                assert (await client.get(f"http://127.0.0.1:{port}/hello/a")).text == "Hello, a!"
                (http_task,) = [t for t in asyncio.all_tasks() if t.get_name() == "root/http"]
                http_task.cancel()  # kill the child from outside: an abnormal exit
                for _ in range(500):
                    if root.restart_count("http") == 1 and root.which_children()[0].running:
                        break
                    await asyncio.sleep(0.01)
                assert root.restart_count("http") == 1
                assert app.port == port
                r = await client.get(f"http://127.0.0.1:{port}/hello/b")
                assert (r.status_code, r.text) == (200, "Hello, b!")
            await root.stop()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    asyncio.run(main())


async def _wait_port(app: WeftApp) -> int:
    for _ in range(500):
        if app.port is not None:
            return app.port
        await asyncio.sleep(0.01)
    raise AssertionError("app never started listening")


def test_sigterm_lets_the_in_flight_request_finish_then_refuses_new_ones() -> None:
    started = asyncio.Event()

    async def slow(req: Request) -> str:
        started.set()
        await asyncio.sleep(0.3)
        return "finished"

    app = WeftApp.new(Router().get("/slow", slow)).bind("127.0.0.1:0")

    async def main() -> None:
        ready = asyncio.Event()
        async with asyncio.TaskGroup() as tg:
            serving = tg.create_task(app.serve_async(on_ready=ready.set))
            await asyncio.wait_for(ready.wait(), 5)
            port = app.port
            async with httpx.AsyncClient(timeout=5) as client:
                request = tg.create_task(client.get(f"http://127.0.0.1:{port}/slow"))
                await asyncio.wait_for(started.wait(), 5)
                os.kill(os.getpid(), signal.SIGTERM)  # handled by the app's loop handler
                response = await request
                assert (response.status_code, response.text) == (200, "finished")
                assert response.headers["connection"] == "close"
            await asyncio.wait_for(serving, 5)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    asyncio.run(main())
    # The handlers are gone again: SIGTERM is back to its default action.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_serve_tree_stops_the_whole_tree_in_order_on_sigterm() -> None:
    app: WeftApp = _load_hello().make_app().bind("127.0.0.1:0")
    journal: list[str] = []

    async def db() -> None:
        journal.append("db up")
        try:
            await asyncio.Event().wait()
        finally:
            journal.append("db down")

    root = Supervisor(name="root")
    root.add_child(ChildSpec.permanent("db").with_start(db))
    root.add_child(app.child_spec("http"))

    async def main() -> None:
        async with asyncio.TaskGroup() as tg:
            tree = tg.create_task(serve_tree_async(root))
            port = await _wait_port(app)
            async with httpx.AsyncClient(timeout=5) as client:
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "Hello, World!"
            assert journal == ["db up"]  # the app started after db
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(tree, 15)
        assert journal == ["db up", "db down"]
        assert not root.running
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    asyncio.run(main())
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
