"""LoadShedLayer: refuse at once, rather than queue, when the inside is full.

How this works:

* The layer sheds (503 problem+json with `Retry-After`, inner service not
  called) whenever one of its saturation signals says so:
  - the wrapped service itself, if it reports `saturated()`: every
    backpressure layer here does (`ConcurrencyLimitLayer`,
    `AdaptiveConcurrencyLayer`, `CoDelLayer`, `FairQueueLayer`), so
    `LoadShedLayer` placed just outside one of them turns its queue into an
    immediate refusal, as tower's `LoadShed` does over a service that is not
    ready;
  - `max_in_flight`: its own count of requests inside;
  - `when`: any callable, e.g. a memory or event-loop-lag monitor.
* Wrapping a service that reports no saturation without `max_in_flight` or
  `when` is a configuration error (`TypeError` at wrap time): such a layer
  could never shed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, final

from weft.http_types import Request, Response
from weft.layers.rejection import Refusal
from weft.types import Service

__all__ = ["LoadShedLayer"]

LAYER_NAME: Final = "loadshed"


@final
class LoadShedLayer:
    """Refuse with 503 + `Retry-After` while the inner service is saturated."""

    __slots__ = ("max_in_flight", "refusal", "when")

    def __init__(self, *, max_in_flight: int | None = None,
                 when: Callable[[], bool] | None = None, retry_after: int = 1) -> None:
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self.when = when
        self.refusal = Refusal(LAYER_NAME, "the server is overloaded; retry later", retry_after)

    @classmethod
    def default(cls) -> LoadShedLayer:
        """Shed whenever the wrapped service reports saturation."""
        return cls()

    def wrap(self, inner: Service) -> Service:
        probe = getattr(inner, "saturated", None)
        if probe is not None and not callable(probe):
            probe = None
        if probe is None and self.max_in_flight is None and self.when is None:
            raise TypeError(
                "LoadShedLayer has nothing to watch: wrap a service that reports saturation "
                "(ConcurrencyLimitLayer, AdaptiveConcurrencyLayer, CoDelLayer, FairQueueLayer) "
                "or pass max_in_flight= or when=")
        return SheddingService(inner, probe, self.when, self.max_in_flight, self.refusal)


@final
class SheddingService:
    """`inner`, refused while any signal reports saturation."""

    __slots__ = ("_in_flight", "_inner", "_max", "_probe", "_refusal", "_when")

    def __init__(self, inner: Service, probe: Callable[[], bool] | None,
                 when: Callable[[], bool] | None, max_in_flight: int | None,
                 refusal: Refusal) -> None:
        self._inner = inner
        self._probe = probe
        self._when = when
        self._max = max_in_flight
        self._refusal = refusal
        self._in_flight = 0

    def saturated(self) -> bool:
        if self._max is not None and self._in_flight >= self._max:
            return True
        if self._probe is not None and self._probe():
            return True
        return self._when is not None and self._when()

    async def __call__(self, request: Request) -> Response:
        if self.saturated():
            return self._refusal.respond(request)
        self._in_flight += 1
        try:
            return await self._inner(request)
        finally:
            self._in_flight -= 1
