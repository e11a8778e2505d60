"""Refusals that a layer produces itself, and how metrics learn who refused.

How this works:

* A layer that refuses a request (quota, deadline, overload) records its
  name in `request.extensions["weft.rejected_by"]`. `MetricsLayer`, which
  sits outside, reads the key only for responses with status >= 400 and
  counts `weft_requests_rejected_total{layer,status}`; a 2xx costs nothing.
* `Refusal` renders one layer's 503 once, at construction, and hands out a
  fresh `Response` per refusal (new header list, shared body bytes), so a
  refusal allocates no JSON and later layers may still append headers.
* `tag_rejections(layer, name)` adapts any layer that does not tag its own
  refusals: a response with status >= 400 that the layer produced without
  its inner service returning one (never called, cancelled by a deadline,
  or raised) is tagged with `name`. The adapter costs one extra coroutine
  frame and one dict store per request, so wrap only layers that refuse.
"""

from __future__ import annotations

import itertools
from typing import Final, final

from weft.errors import problem
from weft.http_types import Request, Response
from weft.types import Layer, Service

__all__ = ["REJECTED_KEY", "Refusal", "TaggedLayer", "rejected_by", "tag_rejections"]

REJECTED_KEY: Final = "weft.rejected_by"
_serial = itertools.count()


def rejected_by(request: Request) -> str | None:
    """The name of the layer that refused `request`, if one did."""
    name = request.extensions.get(REJECTED_KEY)
    return name if isinstance(name, str) else None


@final
class Refusal:
    """A prebuilt problem+json refusal (503 by default) with `Retry-After`."""

    __slots__ = ("_body", "_headers", "layer", "status")

    def __init__(self, layer: str, detail: str, retry_after: int | None = 1,
                 status: int = 503) -> None:
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be a whole number of seconds >= 0")
        extra = [] if retry_after is None else [("retry-after", str(retry_after))]
        template = problem(status, detail=detail, headers=extra)
        self.layer = layer
        self.status = status
        self._headers = tuple(template.headers)
        self._body = template.body

    def respond(self, request: Request) -> Response:
        """Tag `request` as refused by this layer and return a new response."""
        request.extensions[REJECTED_KEY] = self.layer
        return Response(self.status, list(self._headers), self._body)


@final
class TaggedLayer:
    """`layer`, with the refusals it makes itself counted under `name`."""

    __slots__ = ("layer", "name")

    def __init__(self, layer: Layer, name: str) -> None:
        if not name:
            raise ValueError("a rejection tag needs a non-empty layer name")
        self.layer = layer
        self.name = name

    def wrap(self, inner: Service) -> Service:
        name = self.name
        # One key per adapter instance, so nested adapters never see each
        # other's marks.
        reached_key = f"weft.reached.{next(_serial)}"

        async def reached(request: Request) -> Response:
            response = await inner(request)
            request.extensions[reached_key] = True
            return response

        wrapped = self.layer.wrap(reached)

        async def tagged(request: Request) -> Response:
            response = await wrapped(request)
            inner_answered = request.extensions.pop(reached_key, False)
            if response.status >= 400 and not inner_answered:
                request.extensions[REJECTED_KEY] = name
            return response

        return tagged


def tag_rejections(layer: Layer, name: str) -> TaggedLayer:
    """Count the refusals `layer` makes itself as `weft_requests_rejected_total{layer=name}`."""
    return TaggedLayer(layer, name)
