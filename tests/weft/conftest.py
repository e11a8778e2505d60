"""Fixtures shared by the runtime tests.

`weft_server(service, **config)` starts a `weft.server.Server` on
127.0.0.1 and an ephemeral port in a background thread (its own uvloop) and
returns a `RunningServer` (`.port`, `.stats`, `.call(coro)`); every server a
test starts is shut down when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from weft.server import ServerConfig
from weft.types import Service

from tests.weft.helpers import RunningServer


@pytest.fixture
def weft_server() -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(service: Service, **config: Any) -> RunningServer:
        config.setdefault("host", "127.0.0.1")
        config.setdefault("port", 0)
        running = RunningServer(service, ServerConfig(**config))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
