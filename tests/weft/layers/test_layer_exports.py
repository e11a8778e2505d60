"""The public surface of weft.layers, and the seed's REST stack composed."""

from __future__ import annotations

import json

import jwt
import weft.layers
from layer_support import request, routed, run
from weft.layers import (
    AuthLayer,
    MetricsLayer,
    RateConfig,
    RateLimitLayer,
    Span,
    TimeoutLayer,
    TracingLayer,
    mint_dev_token,
)
from weft.types import Layer, Service

SECRET = "seed-example-secret-0123456789abcdef"


def test_exports_are_pinned() -> None:
    assert sorted(weft.layers.__all__) == [
        "AdaptiveConcurrencyLayer", "AuthLayer", "CoDel", "CoDelConfig", "CoDelLayer",
        "ConcurrencyLimitLayer", "FairQueueConfig", "FairQueueLayer", "LoadShedLayer",
        "MetricsLayer", "REJECTED_KEY", "RateConfig", "RateLimitLayer", "Span", "SpiffeAuthLayer",
        "TimeoutLayer",
        "TraceContext", "TracingLayer", "VegasConfig", "VegasLimit", "mint_dev_token",
        "rejected_by", "remaining", "tag_rejections",
    ]
    for name in weft.layers.__all__:
        assert getattr(weft.layers, name) is not None


def compose(handler: Service, *layers: Layer) -> Service:
    """Outermost layer first."""
    svc = handler
    for layer in reversed(layers):
        svc = layer.wrap(svc)
    return svc


def test_seed_rest_stack() -> None:
    spans: list[Span] = []
    metrics, registry = MetricsLayer.with_new_registry()
    svc = compose(routed("/users/:id"),
                  metrics,
                  TracingLayer(spans),
                  TimeoutLayer.ms(5000),
                  RateLimitLayer.new(RateConfig(rps=0.001, burst=2)),
                  AuthLayer.jwt(SECRET))
    token = mint_dev_token(SECRET)
    auth = [("authorization", f"Bearer {token}")]
    ok = run(svc(request("GET", "/users/1", auth)))
    assert ok.status == 200 and ok.header("traceparent")
    denied = run(svc(request("GET", "/users/1")))
    assert denied.status == 401 and denied.header("traceparent")
    limited = run(svc(request("GET", "/users/1", auth)))
    assert limited.status == 429
    assert json.loads(limited.body)["status"] == 429
    assert [s.status for s in spans] == [200, 401, 429]
    assert spans[0].name == "GET /users/:id"
    text = registry.render()
    assert 'http_requests_total{method="GET",route="/users/:id",status="200"} 1' in text
    assert 'http_requests_total{method="GET",route="unmatched",status="401"} 1' in text
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["sub"] == "dev"
