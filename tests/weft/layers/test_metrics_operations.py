"""The operations metrics after real requests to a real server, read back
with prometheus_client's parser: request totals and latency by route
template, in-flight, open connections, bytes in and out, refusals by layer,
and supervisor restarts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from weft.layers import (
    ConcurrencyLimitLayer,
    LoadShedLayer,
    MetricsLayer,
    RateLimitLayer,
    TimeoutLayer,
    tag_rejections,
)
from weft.metrics import Registry
from weft.router import Router
from weft.supervisor import ChildSpec, Supervisor, SupervisorConfig
from weft.types import Layer, Service

from tests.weft.helpers import RunningServer, connect

Start = Callable[..., RunningServer]


def scrape_text(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def parse(text: str) -> dict[str, tuple[str, list[Sample]]]:
    return {f.name: (f.type, list(f.samples)) for f in text_string_to_metric_families(text)}


def value(fams: dict[str, tuple[str, list[Sample]]], family: str, sample: str | None = None,
          **labels: str) -> float:
    found = [s.value for s in fams[family][1]
             if s.name == (sample or family) and s.labels == labels]
    assert len(found) == 1, (family, labels, fams[family])
    return found[0]


def compose(service: Service, *layers: Layer) -> Service:
    """Outermost layer first."""
    for layer in reversed(layers):
        service = layer.wrap(service)
    return service


class Hold:
    def __init__(self) -> None:
        self.event: asyncio.Event | None = None
        self.inside = 0

    async def __call__(self) -> str:
        if self.event is None:
            self.event = asyncio.Event()
        self.inside += 1
        try:
            await self.event.wait()
        finally:
            self.inside -= 1
        return "released"

    def open(self, server: RunningServer) -> None:
        def set_it() -> None:
            if self.event is None:
                self.event = asyncio.Event()
            self.event.set()
        server.loop.call_soon_threadsafe(set_it)


def test_request_metrics_and_refusals_by_layer(weft_server: Start) -> None:
    hold = Hold()
    shedding = [False]

    async def hang() -> str:
        await asyncio.sleep(3600)
        return "never"

    router = Router()
    router.get("/hang", hang)
    router.layer(tag_rejections(TimeoutLayer(0.05), "timeout"))   # only /hang has a deadline
    router.get("/users/:id", lambda req: f"user {req.path_params['id']}")
    router.get("/held", hold)
    metrics, _ = MetricsLayer.with_new_registry()
    service = compose(
        router,
        metrics,
        tag_rejections(RateLimitLayer(0.001, 2, key=lambda r: r.headers.get("x-client") or "-"),
                       "ratelimit"),
        ConcurrencyLimitLayer(2, max_queue=0),
        LoadShedLayer(when=lambda: shedding[0]),
    )
    running = weft_server(service)
    base = f"http://127.0.0.1:{running.port}"
    with httpx.Client(base_url=base, timeout=10) as client:
        for i in range(1, 4):
            r = client.get(f"/users/{i}", headers={"x-client": f"c{i}"})
            assert r.status_code == 200 and r.text == f"user {i}"
        assert client.get("/nowhere", headers={"x-client": "c9"}).status_code == 404
        assert [client.get("/users/7", headers={"x-client": "greedy"}).status_code
                for _ in range(3)] == [200, 200, 429]
        assert client.get("/hang", headers={"x-client": "c5"}).status_code == 504
        shedding[0] = True
        assert client.get("/users/8", headers={"x-client": "c6"}).status_code == 503
        shedding[0] = False

    async def held_pair() -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=10) as aclient:
            held = [asyncio.ensure_future(aclient.get("/held", headers={"x-client": f"h{i}"}))
                    for i in range(2)]
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(
                None, lambda: running.wait_for(lambda: hold.inside == 2))
            third = await aclient.get("/held", headers={"x-client": "h3"})
            during = parse(await loop.run_in_executor(None, scrape_text, running.port))
            assert value(during, "http_requests_in_flight") == 2
            hold.open(running)
            return [third.status_code, *[(await t).status_code for t in held]]

    assert asyncio.run(asyncio.wait_for(held_pair(), 30)) == [503, 200, 200]

    fams = parse(scrape_text(running.port))
    assert fams["http_requests"][0] == "counter"
    assert value(fams, "http_requests", "http_requests_total",
                 method="GET", route="/users/:id", status="200") == 5
    assert not any("/users/1" in s.labels.get("route", "") for s in fams["http_requests"][1])
    assert value(fams, "http_requests", "http_requests_total",
                 method="GET", route="unmatched", status="404") == 1
    assert value(fams, "http_request_duration_seconds", "http_request_duration_seconds_count",
                 method="GET", route="/users/:id") == 5
    assert value(fams, "http_request_duration_seconds", "http_request_duration_seconds_bucket",
                 method="GET", route="/hang", le="+Inf") == 1
    assert value(fams, "http_requests_in_flight") == 0
    assert fams["weft_requests_rejected"][0] == "counter"
    rejected = {(s.labels["layer"], s.labels["status"]): s.value
                for s in fams["weft_requests_rejected"][1] if s.name.endswith("_total")}
    assert rejected == {("ratelimit", "429"): 1, ("timeout", "504"): 1,
                        ("loadshed", "503"): 1, ("concurrency", "503"): 1}
    # A refusal still counts as a request, under the route it was aimed at
    # when the router never ran, that is `unmatched`.
    assert value(fams, "http_requests", "http_requests_total",
                 method="GET", route="unmatched", status="429") == 1


def raw_exchange(sock: socket.socket, data: bytes) -> bytes:
    """Send one request and return the raw response bytes (content-length framed)."""
    sock.sendall(data)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-response"
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    assert len(rest) == length
    return head + b"\r\n\r\n" + rest


def body_of(raw: bytes) -> str:
    return raw.partition(b"\r\n\r\n")[2].decode()


def test_bytes_and_open_connections_match_the_wire_exactly(weft_server: Start) -> None:
    router = Router()
    router.get("/echo", lambda: "x" * 1000)
    metrics, _ = MetricsLayer.with_new_registry()
    running = weft_server(metrics.wrap(router))
    scrape_req = b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"
    echo_req = b"GET /echo HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 300 + b"\r\n\r\n"
    idle = [connect(running.port) for _ in range(3)]
    try:
        with connect(running.port) as sock:
            assert running.wait_for(lambda: running.stats.connections_open == 4)
            first = raw_exchange(sock, scrape_req)
            echoed = raw_exchange(sock, echo_req)
            second = raw_exchange(sock, scrape_req)
    finally:
        for s in idle:
            s.close()
    before, after = parse(body_of(first)), parse(body_of(second))
    assert before["weft_connections_open"][0] == "gauge"
    assert value(before, "weft_connections_open") == 4
    assert before["weft_bytes_received"][0] == "counter"
    received = (value(after, "weft_bytes_received", "weft_bytes_received_total")
                - value(before, "weft_bytes_received", "weft_bytes_received_total"))
    sent = (value(after, "weft_bytes_sent", "weft_bytes_sent_total")
            - value(before, "weft_bytes_sent", "weft_bytes_sent_total"))
    # Each scrape's request is read before it renders; its response is written after.
    assert received == len(echo_req) + len(scrape_req)
    assert sent == len(first) + len(echoed)


def test_supervisor_restarts_are_exposed(weft_server: Start) -> None:
    attempts = [0]

    async def flaky() -> None:
        attempts[0] += 1
        if attempts[0] <= 2:
            raise RuntimeError("crash")
        await asyncio.sleep(3600)

    sup = Supervisor(SupervisorConfig(intensity=5, period=60.0), name="workers")
    sup.add_child(ChildSpec.permanent("flaky").with_start(flaky))
    registry = Registry()
    metrics = MetricsLayer(registry).track_supervisor(sup).track_supervisor(sup)
    running = weft_server(metrics.wrap(Router()))
    job = running.submit(sup.run())
    try:
        assert running.wait_for(lambda: sup.restarts_total == 2 and sup.running)
        fams = parse(scrape_text(running.port))
        assert fams["weft_supervisor_restarts"][0] == "counter"
        assert value(fams, "weft_supervisor_restarts", "weft_supervisor_restarts_total",
                     supervisor="workers") == 2
        assert value(fams, "weft_supervisor_gave_up", "weft_supervisor_gave_up_total",
                     supervisor="workers") == 0
        assert value(fams, "weft_supervisor_children_running", supervisor="workers") == 1
    finally:
        running.call(sup.stop())
        job.result(10)
