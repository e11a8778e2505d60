"""The Prometheus registry and MetricsLayer, read back with prometheus_client's parser."""

from __future__ import annotations

import math

import pytest
from layer_support import drive_eagerly, request, routed, run
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from weft.http_types import Request, Response
from weft.layers.metrics import MetricsLayer
from weft.metrics import CONTENT_TYPE, Registry


def parse(text: str) -> dict[str, list[Sample]]:
    return {fam.name: list(fam.samples) for fam in text_string_to_metric_families(text)}


def families(text: str) -> dict[str, tuple[str, str]]:
    return {fam.name: (fam.type, fam.documentation)
            for fam in text_string_to_metric_families(text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


# --------------------------------------------------------------------------- registry

def test_counter_gauge_and_callback_gauge_round_trip() -> None:
    reg = Registry()
    c = reg.counter("jobs_total", "Jobs done.", ("queue",))
    c.labels("fast").inc()
    c.labels("fast").inc(2)
    c.labels("slow").inc(0.5)
    g = reg.gauge("temperature", "Degrees.")
    g.set(21.5)
    g.dec(1.5)
    open_connections = [3]
    reg.gauge_fn("connections_open", "Open connections.", lambda: float(open_connections[0]))
    text = reg.render()
    assert text.startswith("# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\n")
    got = parse(text)
    assert value(got["jobs"], "jobs_total", queue="fast") == 3
    assert value(got["jobs"], "jobs_total", queue="slow") == 0.5
    assert value(got["temperature"], "temperature") == 20
    assert value(got["connections_open"], "connections_open") == 3
    open_connections[0] = 7                # callback gauges are read at scrape time
    assert value(parse(reg.render())["connections_open"], "connections_open") == 7
    assert families(text)["connections_open"] == ("gauge", "Open connections.")


def test_label_value_and_help_escaping() -> None:
    reg = Registry()
    tricky = 'a "quoted" \\ back\nslash'
    reg.counter("odd_total", 'Help with \\ and\nnewline and "quotes".', ("v",)).labels(tricky).inc()
    text = reg.render()
    assert '# HELP odd_total Help with \\\\ and\\nnewline and "quotes".' in text
    assert 'v="a \\"quoted\\" \\\\ back\\nslash"' in text
    [sample] = parse(text)["odd"]
    assert sample.labels == {"v": tricky}
    assert families(text)["odd"][1] == 'Help with \\ and\nnewline and "quotes".'


def test_histogram_buckets_are_cumulative_and_end_at_inf() -> None:
    reg = Registry()
    h = reg.histogram("latency_seconds", "Latency.", ("route",), buckets=(0.1, 0.5, 1.0))
    for v in (0.05, 0.1, 0.3, 0.7, 2.0, 9.0):
        h.labels("/a").observe(v)
    h.labels("/b").observe(0.2)
    samples = parse(reg.render())["latency_seconds"]
    buckets = [(s.labels["le"], s.value) for s in samples
               if s.name == "latency_seconds_bucket" and s.labels["route"] == "/a"]
    assert buckets == [("0.1", 2), ("0.5", 3), ("1.0", 4), ("+Inf", 6)]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    assert value(samples, "latency_seconds_count", route="/a") == 6
    assert value(samples, "latency_seconds_sum", route="/a") == pytest.approx(12.15)
    assert value(samples, "latency_seconds_bucket", route="/b", le="0.1") == 0
    assert value(samples, "latency_seconds_bucket", route="/b", le="0.5") == 1


def test_special_values() -> None:
    reg = Registry()
    reg.gauge("g_nan", "x").set(math.nan)
    reg.gauge("g_inf", "x").set(-math.inf)
    reg.gauge("g_small", "x").set(1e-7)
    got = parse(reg.render())
    assert math.isnan(got["g_nan"][0].value)
    assert got["g_inf"][0].value == -math.inf
    assert got["g_small"][0].value == 1e-7


def test_registry_rules() -> None:
    reg = Registry()
    a = reg.counter("x_total", "x", ("a",))
    assert reg.counter("x_total", "x", ("a",)) is a        # get-or-create
    assert a.labels(1) is a.labels("1")                    # type: ignore[arg-type]
    with pytest.raises(ValueError):
        reg.gauge("x_total", "x", ("a",))                  # other kind
    with pytest.raises(ValueError):
        reg.counter("x_total", "x", ("b",))                # other labels
    with pytest.raises(ValueError):
        a.labels("1", "2")                                 # label count
    with pytest.raises(ValueError):
        a.inc()                                            # labelled family needs labels
    with pytest.raises(ValueError):
        a.labels("1").inc(-1)                              # counters only go up
    for bad in ("1abc", "a-b", ""):
        with pytest.raises(ValueError):
            reg.counter(bad, "x")
    with pytest.raises(ValueError):
        reg.counter("y_total", "x", ("__reserved",))
    with pytest.raises(ValueError):
        reg.histogram("h", "x", ("le",))
    with pytest.raises(ValueError):
        reg.histogram("h2", "x", buckets=(1.0, 0.5))
    reg.gauge_fn("cb", "x", lambda: 1.0)
    with pytest.raises(ValueError):
        reg.gauge_fn("cb", "x", lambda: 2.0)
    reg.unregister("cb")
    assert "cb" not in reg.names()
    assert Registry().render() == ""


# --------------------------------------------------------------------------- MetricsLayer

def scrape(svc: object, path: str = "/metrics") -> str:
    resp = run(svc(request("GET", path)))  # type: ignore[operator]
    assert resp.status == 200
    assert resp.header("content-type") == CONTENT_TYPE
    return str(resp.body.decode())


def test_counts_by_route_template_not_raw_path() -> None:
    layer, reg = MetricsLayer.with_new_registry()
    assert layer.registry is reg
    svc = layer.wrap(routed("/users/:id"))
    for i in range(5):
        run(svc(request("GET", f"/users/{i}")))
    run(svc(request("DELETE", "/users/9")))
    got = parse(scrape(svc))
    reqs = got["http_requests"]
    assert value(reqs, "http_requests_total", method="GET", route="/users/:id", status="200") == 5
    assert value(reqs, "http_requests_total", method="DELETE", route="/users/:id",
                 status="200") == 1
    assert not any("/users/3" in str(s.labels) for ss in got.values() for s in ss)
    hist = got["http_request_duration_seconds"]
    assert value(hist, "http_request_duration_seconds_count", method="GET",
                 route="/users/:id") == 5
    assert value(hist, "http_request_duration_seconds_bucket", method="GET",
                 route="/users/:id", le="+Inf") == 5


def test_unmatched_status_and_odd_methods() -> None:
    async def not_found(req: Request) -> Response:
        return Response(404)

    layer = MetricsLayer()
    svc = layer.wrap(not_found)
    for path in ("/a", "/b", "/c/d"):
        run(svc(request("GET", path)))
    run(svc(request("BREW", "/pot")))
    reqs = parse(layer.registry.render())["http_requests"]
    assert value(reqs, "http_requests_total", method="GET", route="unmatched", status="404") == 3
    assert value(reqs, "http_requests_total", method="other", route="unmatched",
                 status="404") == 1


def test_in_flight_and_exceptions() -> None:
    layer = MetricsLayer(Registry())
    seen: list[float] = []

    async def handler(req: Request) -> Response:
        seen.append(layer.in_flight.labels().value)
        req.extensions["weft.route"] = "/boom"
        raise RuntimeError("boom")

    svc = layer.wrap(handler)
    with pytest.raises(RuntimeError):
        run(svc(request()))
    assert seen == [1.0]
    got = parse(layer.registry.render())
    assert value(got["http_requests_in_flight"], "http_requests_in_flight") == 0
    assert value(got["http_requests"], "http_requests_total", method="GET", route="/boom",
                 status="500") == 1


def test_scrape_endpoint() -> None:
    layer = MetricsLayer(path="/_metrics")
    svc = layer.wrap(routed("/x"))
    run(svc(request("GET", "/x")))
    text = scrape(svc, "/_metrics")
    scrape(svc, "/_metrics")
    reqs = parse(text)["http_requests"]
    assert sum(s.value for s in reqs) == 1            # scrapes are not counted
    head = run(svc(request("HEAD", "/_metrics")))
    assert head.status == 200 and head.body == b""
    assert int(head.header("content-length") or 0) > 0
    post = run(svc(request("POST", "/_metrics")))
    assert post.status == 405 and post.header("allow") == "GET, HEAD"
    assert post.header("content-type") == "application/problem+json"
    # the app's own /metrics path is just a route when the layer scrapes elsewhere
    assert run(svc(request("GET", "/metrics"))).status == 200


def test_layer_shares_a_registry_with_the_app() -> None:
    reg = Registry()
    reg.gauge_fn("weft_connections_open", "Open connections.", lambda: 2.0)
    svc = MetricsLayer.new(reg).wrap(routed("/"))
    got = parse(scrape(svc))
    assert value(got["weft_connections_open"], "weft_connections_open") == 2
    assert families(reg.render())["http_requests"][0] == "counter"


def test_eager_start_outside_any_task() -> None:
    layer = MetricsLayer()
    svc = layer.wrap(routed("/e", suspend=True))

    async def main() -> tuple[int, int]:
        a = await drive_eagerly(svc, request("GET", "/e/1"))
        b = await drive_eagerly(svc, request("GET", "/metrics"))
        return a.status, b.status

    assert run(main()) == (200, 200)
    reqs = parse(layer.registry.render())["http_requests"]
    assert value(reqs, "http_requests_total", method="GET", route="/e", status="200") == 1
