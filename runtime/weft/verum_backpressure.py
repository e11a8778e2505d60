"""Verum's backpressure surface (`core.net.weft.backpressure`) over `weft.layers`.

Verum declares per-call admission decisions that weft's layers make inside
their own request path. The adapters here expose them on the layer's own
state, so a decision taken by the program and a request served through the
wrapped service draw on one bucket, one controller, one ledger:

* `try_consume(layer)`: one token from a `RateLimitLayer`'s shared bucket,
  the one its wrapped service charges per request.
* `codel_should_drop(layer, sojourn_ms)`: the `CoDelLayer`'s controller (the
  one its queue consults) judges a sojourn given in milliseconds, now.
* `WfqLayer`: Verum's deficit-round-robin tenant admission. Each `admit`
  credits the tenant `quantum_us * weight` and admits when the credit covers
  `cost`, which is then spent; unspent credit carries over, as in Verum. An
  unknown tenant is charged as `_default`, and with no `_default` registered
  it is admitted. As a layer it reads the tenant from `x-weft-tenant` and the
  cost from `x-weft-cost-us` (both client-supplied, so put it behind a proxy
  that sets them), and refuses with 503 + `Retry-After`. It is not
  `FairQueueLayer`, which orders a queue rather than deciding per call.
* `LoadShedLayer`: over a service that reports saturation it is weft's
  shedding layer. Over any other service it is Verum's: a 503 from inside
  gains `Retry-After` (weft's layer refuses that wrapping with `TypeError`,
  since it could never shed).
"""

from __future__ import annotations

from typing import Final, final

from weft.http_types import Request, Response
from weft.layers import CoDelLayer, RateLimitLayer
from weft.layers import LoadShedLayer as _Shedder
from weft.layers.rejection import Refusal
from weft.types import Service

__all__ = ["LoadShedLayer", "WfqLayer", "codel_should_drop", "try_consume"]

DEFAULT_TENANT: Final = "_default"
TENANT_HEADER: Final = "x-weft-tenant"
COST_HEADER: Final = "x-weft-cost-us"
WFQ_LAYER_NAME: Final = "wfq"
# A cost header longer than this is not a cost (and never reaches int()).
_MAX_COST_DIGITS: Final = 18
# `try_take` reads the request only to pick a tenant's bucket; an unkeyed
# layer has one bucket, and this request is never looked at.
_UNKEYED: Final = Request("GET", "/")


def try_consume(layer: RateLimitLayer) -> bool:
    """Verum's `try_consume()`: take one token from the layer's bucket now."""
    if layer.key is not None:
        raise ValueError("this RateLimitLayer keeps one bucket per tenant; "
                         "charge one with try_take(request)")
    return layer.try_take(_UNKEYED) == 0.0


def codel_should_drop(layer: CoDelLayer, sojourn_ms: int) -> bool:
    """Verum's `should_drop(sojourn_ms)`: the layer's controller judges a
    request that waited `sojourn_ms` (negative counts as 0), at the layer's now."""
    return layer.codel.should_drop(max(0, sojourn_ms) / 1000, layer.gate.clock())


@final
class WfqLayer:
    """Tenant-weighted admission by a deficit ledger (Verum's `WfqLayer`)."""

    __slots__ = ("_deficits", "_weights", "quantum_us", "refusal")

    def __init__(self, quantum_us: int = 1000) -> None:
        if quantum_us < 1:
            raise ValueError("WfqLayer quantum_us must be at least 1")
        self.quantum_us = quantum_us
        self._weights: dict[str, int] = {}
        self._deficits: dict[str, int] = {}
        self.refusal = Refusal(WFQ_LAYER_NAME, "this tenant is over its share; retry later")

    @classmethod
    def new(cls) -> WfqLayer:
        return cls()

    @classmethod
    def with_quantum_us(cls, quantum_us: int) -> WfqLayer:
        return cls(quantum_us)

    def register_tenant(self, tenant: str, weight: int) -> None:
        """Set `tenant`'s weight; a re-registration keeps its credit."""
        if weight < 1:
            raise ValueError(f"tenant {tenant!r}: weight must be at least 1")
        self._weights[tenant] = weight
        self._deficits.setdefault(tenant, 0)

    def weight(self, tenant: str) -> int | None:
        return self._weights.get(tenant)

    def deficit(self, tenant: str) -> int:
        """The unspent credit (µs) of `tenant`'s ledger (0 if unregistered)."""
        return self._deficits.get(tenant, 0)

    def admit(self, tenant: str, cost: int) -> bool:
        """Credit the tenant one quantum per unit of weight; admit if that
        covers `cost` microseconds, spending them."""
        if cost < 0:
            raise ValueError("a request's cost must be >= 0")
        name = tenant if tenant in self._weights else DEFAULT_TENANT
        weight = self._weights.get(name)
        if weight is None:
            return True  # no policy for this tenant and no default class
        credit = self._deficits[name] + self.quantum_us * weight
        admitted = credit >= cost
        self._deficits[name] = credit - cost if admitted else credit
        return admitted

    def wrap(self, inner: Service) -> Service:
        admit, quantum, refusal = self.admit, self.quantum_us, self.refusal

        async def wfq_service(request: Request) -> Response:
            headers = request.headers
            tenant = headers.get(TENANT_HEADER)
            cost = _cost(headers.get(COST_HEADER), quantum)
            if not admit(DEFAULT_TENANT if tenant is None else tenant, cost):
                return refusal.respond(request)
            return await inner(request)

        return wfq_service


def _cost(value: str | None, default: int) -> int:
    if value is None:
        return default
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_COST_DIGITS:
        return default
    return int(value)


@final
class LoadShedLayer:
    """Shed while the inner service is saturated; else add `Retry-After` to its 503s."""

    __slots__ = ("_shedder", "retry_after")

    def __init__(self, retry_after: int = 1) -> None:
        self._shedder = _Shedder(retry_after=retry_after)  # validates retry_after
        self.retry_after = retry_after

    @classmethod
    def default(cls) -> LoadShedLayer:
        return cls()

    @classmethod
    def with_retry_after(cls, seconds: int) -> LoadShedLayer:
        return cls(seconds)

    def wrap(self, inner: Service) -> Service:
        if callable(getattr(inner, "saturated", None)):
            return self._shedder.wrap(inner)
        retry = str(self.retry_after)

        async def retry_hint_service(request: Request) -> Response:
            response = await inner(request)
            if response.status != 503 or response.header("retry-after") is not None:
                return response
            # A new response: the handler's may be a shared constant.
            return Response(503, [*response.headers, ("retry-after", retry)], response.body,
                            response.stream)

        return retry_hint_service
