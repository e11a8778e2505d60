"""Verum's backpressure decisions (`weft.verum_backpressure`) on the layers' own state."""

from __future__ import annotations

import asyncio

import pytest
from weft.http_types import Headers, Request, Response
from weft.layers import CoDelConfig, CoDelLayer, ConcurrencyLimitLayer, RateLimitLayer, rejected_by
from weft.verum_backpressure import LoadShedLayer, WfqLayer, codel_should_drop, try_consume

from tests.weft.layers.backpressure_support import FakeClock, Held, settle


def _request(*headers: tuple[str, str]) -> Request:
    return Request("GET", "/", None, Headers(headers))


async def _ok(request: Request) -> Response:
    return Response(200, [], b"ok")


# -- RateLimitLayer.try_consume ---------------------------------------------


def test_try_consume_draws_on_the_bucket_the_wrapped_service_charges() -> None:
    clock = FakeClock()
    layer = RateLimitLayer(1, 2, clock=clock)
    service = layer.wrap(_ok)

    async def scenario() -> list[object]:
        seen: list[object] = [try_consume(layer), try_consume(layer), try_consume(layer)]
        seen.append((await service(_request())).status)      # bucket empty: 429
        clock.advance(1.0)                                   # one token back
        seen.append((await service(_request())).status)
        seen.append(try_consume(layer))                      # that token is spent
        clock.advance(1.0)
        seen.append(try_consume(layer))
        return seen

    assert asyncio.run(scenario()) == [True, True, False, 429, 200, False, True]


def test_try_consume_refuses_a_per_tenant_layer() -> None:
    layer = RateLimitLayer(5, 5, key=lambda r: r.path)
    with pytest.raises(ValueError, match="one bucket per tenant"):
        try_consume(layer)


# -- CoDelLayer.should_drop -------------------------------------------------


def test_codel_should_drop_judges_milliseconds_with_the_layers_controller() -> None:
    clock = FakeClock(0.0)
    layer = CoDelLayer(CoDelConfig(target=0.005, interval=0.1), clock=clock)
    assert not codel_should_drop(layer, 10)    # above target: the interval starts
    clock.advance(0.05)
    assert not codel_should_drop(layer, 20)
    clock.advance(0.05)
    assert codel_should_drop(layer, 30)        # above target for a whole interval
    assert layer.codel.dropping and layer.codel.drops == 1
    assert not codel_should_drop(layer, 30)    # the next drop is not due yet
    assert not codel_should_drop(layer, 4)     # below target ends the dropping state
    assert not layer.codel.dropping


def test_codel_below_target_never_drops_and_negative_sojourn_is_zero() -> None:
    layer = CoDelLayer.with_target_interval(50, 1000)
    assert layer.codel.target == pytest.approx(0.05)
    assert not any(codel_should_drop(layer, ms) for ms in (-7, 0, 10, 49))
    assert layer.codel.first_above == 0.0


# -- WfqLayer ---------------------------------------------------------------


def test_wfq_admits_when_the_credit_covers_the_cost() -> None:
    layer = WfqLayer.with_quantum_us(1000)
    layer.register_tenant("acme", 1)
    assert [layer.admit("acme", 4000) for _ in range(5)] == [False, False, False, True, False]
    assert layer.deficit("acme") == 1000


def test_wfq_weight_scales_the_credit_and_re_registering_keeps_it() -> None:
    layer = WfqLayer.with_quantum_us(1000)
    layer.register_tenant("acme", 1)
    assert not layer.admit("acme", 4000)       # credit 1000
    layer.register_tenant("acme", 5)
    assert layer.weight("acme") == 5 and layer.deficit("acme") == 1000
    assert layer.admit("acme", 4000)           # 1000 + 5 * 1000 covers 4000
    assert layer.deficit("acme") == 2000


def test_wfq_unknown_tenants_are_charged_as_default_or_admitted() -> None:
    free = WfqLayer.new()
    assert free.quantum_us == 1000
    assert all(free.admit("anyone", 10**9) for _ in range(3))
    layer = WfqLayer.with_quantum_us(1000)
    layer.register_tenant("_default", 1)
    assert not layer.admit("stranger", 1500)   # the default class's credit: 1000
    assert layer.admit("other", 1500)          # the same ledger: 2000
    assert layer.deficit("_default") == 500
    assert layer.deficit("stranger") == 0


def test_wfq_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        WfqLayer.with_quantum_us(0)
    layer = WfqLayer.new()
    with pytest.raises(ValueError):
        layer.register_tenant("acme", 0)
    with pytest.raises(ValueError):
        layer.admit("acme", -1)


def test_wfq_layer_reads_tenant_and_cost_headers_and_refuses_with_503() -> None:
    layer = WfqLayer.with_quantum_us(1000)
    layer.register_tenant("acme", 1)
    calls: list[str] = []

    async def inner(request: Request) -> Response:
        calls.append(request.headers.get("x-weft-tenant") or "-")
        return Response(200, [], b"ok")

    service = layer.wrap(inner)
    costly = (("x-weft-tenant", "acme"), ("x-weft-cost-us", "2000"))

    async def scenario() -> list[tuple[int, str | None]]:
        out = []
        for req in (_request(*costly), _request(*costly), _request(("x-weft-tenant", "acme")),
                    _request(("x-weft-tenant", "acme"), ("x-weft-cost-us", "-5")),
                    _request(("x-weft-cost-us", "99999999"))):
            r = await service(req)
            out.append((r.status, r.header("retry-after") if r.status == 503 else rejected_by(req)))
        return out

    assert asyncio.run(scenario()) == [
        (503, "1"),   # credit 1000 < cost 2000
        (200, None),  # credit 2000 covers it
        (200, None),  # no cost header: one quantum
        (200, None),  # a cost that is not a number: one quantum
        (200, None),  # no tenant header: "_default", not registered, so admitted
    ]
    assert calls == ["acme", "acme", "acme", "-"]


# -- LoadShedLayer ----------------------------------------------------------


def test_load_shed_over_a_plain_service_adds_retry_after_to_its_503s() -> None:
    shared = Response(503, [("content-type", "text/plain")], b"busy")
    answers = [shared, Response(503, [("retry-after", "30")]), Response(200)]

    async def inner(request: Request) -> Response:
        return answers.pop(0)

    service = LoadShedLayer.with_retry_after(7).wrap(inner)

    async def scenario() -> list[Response]:
        return [await service(_request()) for _ in range(3)]

    first, second, third = asyncio.run(scenario())
    assert (first.status, first.header("retry-after"), first.body) == (503, "7", b"busy")
    assert first is not shared and shared.header("retry-after") is None
    assert second.header("retry-after") == "30"
    assert (third.status, third.header("retry-after")) == (200, None)
    assert not hasattr(service, "saturated")


def test_load_shed_over_a_saturable_layer_refuses_at_once() -> None:
    held = Held()
    service = LoadShedLayer.default().wrap(ConcurrencyLimitLayer(1).wrap(held))

    async def call() -> Response:
        return await service(_request())

    async def scenario() -> tuple[int, str | None, int]:
        first = asyncio.create_task(call())
        await settle()
        refused = await service(_request())        # the one permit is taken
        held.release()
        done = await first
        assert done.status == 200
        return refused.status, refused.header("retry-after"), len(held.entered)

    assert asyncio.run(scenario()) == (503, "1", 1)
    assert callable(getattr(service, "saturated", None))


def test_load_shed_refuses_a_negative_retry_after() -> None:
    with pytest.raises(ValueError):
        LoadShedLayer.with_retry_after(-1)
