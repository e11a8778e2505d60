"""Fixtures for the one-port integration tests: a throw-away PKI and a
weft `Server` (HTTP/1.1 + h2c + TLS/ALPN + WebSocket) on a free port."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = Path(__file__).resolve().parent
for _folder in ("tls", "http2", "websocket"):
    _path = str(_HERE.parent / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)

from int_support import App, make_app  # noqa: E402
from tls_support import Pki, make_pki  # noqa: E402
from weft.server import ServerConfig  # noqa: E402

from tests.weft.helpers import RunningServer  # noqa: E402


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def serve_app() -> Iterator[Callable[..., tuple[RunningServer, App]]]:
    """`serve_app(**config)` starts the test app; every server stops at the end."""
    started: list[RunningServer] = []

    def start(**config: Any) -> tuple[RunningServer, App]:
        config.setdefault("host", "127.0.0.1")
        config.setdefault("port", 0)
        config.setdefault("shutdown_grace", 5.0)
        app = make_app()
        running = RunningServer(app.service, ServerConfig(**config))
        started.append(running)
        return running, app

    yield start
    for running in started:
        running.stop()
