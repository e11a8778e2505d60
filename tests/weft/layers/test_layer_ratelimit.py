"""RateLimitLayer: token bucket with a fake clock, Retry-After, tenants, LRU bound."""

from __future__ import annotations

import json

import pytest
from layer_support import drive_eagerly, ok, request, routed, run
from weft.http_types import Request, Response
from weft.layers.ratelimit import RateConfig, RateLimitLayer, TokenBucket
from weft.types import Service


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def statuses(svc: Service, n: int, req: Request | None = None) -> list[int]:
    return [run(svc(req or request())).status for _ in range(n)]


def test_config_validation() -> None:
    assert RateConfig(rps=1000, burst=100) == RateConfig(1000, 100)
    with pytest.raises(ValueError):
        RateConfig(rps=0, burst=1)
    with pytest.raises(ValueError):
        RateConfig(rps=1, burst=0)
    with pytest.raises(ValueError):
        RateLimitLayer(1, 1, max_keys=0)
    layer = RateLimitLayer.new(RateConfig(rps=1000, burst=100))
    assert (layer.rps, layer.burst) == (1000.0, 100)


def test_burst_then_refusal_with_problem() -> None:
    clock = FakeClock()
    svc = RateLimitLayer(1, 3, clock=clock).wrap(ok)
    assert statuses(svc, 5) == [200, 200, 200, 429, 429]
    resp = run(svc(request()))
    assert resp.header("content-type") == "application/problem+json"
    assert json.loads(resp.body)["status"] == 429
    assert resp.header("retry-after") == "1"


def test_refill_is_continuous_and_capped_at_burst() -> None:
    clock = FakeClock()
    svc = RateLimitLayer(10, 2, clock=clock).wrap(ok)
    assert statuses(svc, 3) == [200, 200, 429]
    clock.advance(0.05)                      # half a token
    assert statuses(svc, 1) == [429]
    clock.advance(0.05)                      # now a whole one
    assert statuses(svc, 2) == [200, 429]
    clock.advance(3600)                      # a long idle refills only to `burst`
    assert statuses(svc, 3) == [200, 200, 429]


@pytest.mark.parametrize(("rps", "idle", "expected"), [
    (2.0, 0.0, "1"),      # 0.5 s to go: rounds up to the 1 s minimum
    (0.25, 0.0, "4"),     # a token every 4 s
    (0.1, 3.0, "7"),      # 0.3 of a token back, 7 s to go
    (0.3, 0.0, "4"),      # 3.33 s rounds up
])
def test_retry_after_is_the_whole_seconds_until_a_token(rps: float, idle: float,
                                                        expected: str) -> None:
    clock = FakeClock()
    svc = RateLimitLayer(rps, 1, clock=clock).wrap(ok)
    assert run(svc(request())).status == 200
    clock.advance(idle)
    resp = run(svc(request()))
    assert resp.status == 429
    assert resp.header("retry-after") == expected
    # honouring Retry-After gets the client in
    clock.advance(int(expected))
    assert run(svc(request())).status == 200


def test_refused_requests_do_not_reach_the_handler() -> None:
    calls = 0

    async def counting(req: Request) -> Response:
        nonlocal calls
        calls += 1
        return Response(200)

    svc = RateLimitLayer(1, 2, clock=FakeClock()).wrap(counting)
    statuses(svc, 6)
    assert calls == 2


def tenant(req: Request) -> str:
    return req.headers.get("x-tenant") or "anonymous"


def test_tenants_have_separate_buckets() -> None:
    clock = FakeClock()
    svc = RateLimitLayer(1, 2, key=tenant, clock=clock).wrap(ok)
    a = request(headers=[("x-tenant", "a")])
    b = request(headers=[("x-tenant", "b")])
    assert statuses(svc, 3, a) == [200, 200, 429]
    assert statuses(svc, 2, b) == [200, 200]
    assert statuses(svc, 1, a) == [429]


def test_tenant_buckets_are_lru_bounded() -> None:
    clock = FakeClock()
    layer = RateLimitLayer(1, 1, key=tenant, clock=clock, max_keys=3)
    svc = layer.wrap(ok)

    def call(name: str) -> int:
        return run(svc(request(headers=[("x-tenant", name)]))).status

    assert [call(n) for n in "abc"] == [200, 200, 200]
    assert call("a") == 429            # touches a: b is now least recent
    assert call("d") == 200            # evicts b
    assert layer.tracked_keys() == 3
    assert call("a") == 429            # a kept its (empty) bucket
    assert call("b") == 200            # b was forgotten: a fresh bucket
    for i in range(500):
        call(f"flood-{i}")
    assert layer.tracked_keys() == 3


def test_token_bucket_direct() -> None:
    bucket = TokenBucket(rate=4.0, capacity=2, now=0.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(0.25)
    assert bucket.take(0.25) == 0.0
    # a clock that steps backwards neither adds nor removes tokens
    assert bucket.take(0.1) == pytest.approx(0.25)


def test_eager_start_outside_any_task() -> None:
    clock = FakeClock()
    svc = RateLimitLayer(1, 1, clock=clock).wrap(routed("/r", suspend=True))

    async def main() -> list[int]:
        return [(await drive_eagerly(svc, request())).status for _ in range(2)]

    assert run(main()) == [200, 429]
