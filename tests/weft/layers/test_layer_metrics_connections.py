"""The metrics layer's open-connection gauge reads the live servers'
counters at scrape time: a held keep-alive connection shows up, and the
gauge is back to zero once it closes."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from weft.connection.context import open_connections
from weft.http_types import Request, Response
from weft.layers import MetricsLayer

from tests.weft.helpers import RunningServer


def _connections_open(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        if family.name == "weft_connections_open":
            return float(family.samples[0].value)
    raise AssertionError("weft_connections_open not exposed:\n" + text)


def test_open_connections_gauge_follows_real_connections(
        weft_server: Callable[..., RunningServer]) -> None:
    async def hello(req: Request) -> Response:
        return Response(200, [("content-type", "text/plain")], b"hi")

    running = weft_server(MetricsLayer().wrap(hello))
    port = running.port
    held = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        held.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert held.recv(4096).startswith(b"HTTP/1.1 200")
        # The held connection plus the scrape's own connection.
        assert _connections_open(port) >= 2
    finally:
        held.close()
    deadline = time.monotonic() + 10
    seen: Any = None
    while time.monotonic() < deadline:
        seen = running.sync(lambda: running.stats.connections_open)
        if seen == 0:
            break
        time.sleep(0.05)
    assert seen == 0
    # Only the scrape's own connection is left open while it is served. The
    # gauge sums every live server in this process: servers of earlier tests
    # may still hold connections that are closing, and those only go down.
    others = open_connections() - running.sync(lambda: running.stats.connections_open)
    assert 1 <= _connections_open(port) <= 1 + others
