"""Composing services and layers (L4).

Order, as in Verum's `core.net.weft.service.ServiceBuilder`: each `.layer(l)`
wraps everything built so far, immediately. So

    ServiceBuilder(app).layer(a).layer(b).build()  ==  b.wrap(a.wrap(app))

and the LAST layer added is the OUTERMOST: a request passes `b`, then `a`,
then `app`. (tower's Rust `ServiceBuilder` is the other way round; the
compiler targets Verum's semantics, so this module keeps them.)
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import final

from weft.http_types import Request, Response
from weft.types import Layer, Service

__all__ = ["Identity", "LayerFn", "ServiceBuilder", "layer_fn", "middleware_fn", "service_fn"]

Next = Callable[[Request], Awaitable[Response]]


@final
class ServiceBuilder:
    """Fluent composition of layers around a root service (last added = outermost)."""

    __slots__ = ("_inner",)

    def __init__(self, service: Service) -> None:
        self._inner = service

    @classmethod
    def new(cls, service: Service) -> ServiceBuilder:
        """Verum spelling of the constructor."""
        return cls(service)

    def layer(self, layer: Layer) -> ServiceBuilder:
        """Wrap the service built so far in `layer` (it becomes the outermost)."""
        wrapped = layer.wrap(self._inner)
        if not callable(wrapped):
            raise TypeError(f"{type(layer).__name__}.wrap() returned {type(wrapped).__name__}, "
                            "not a service")
        self._inner = wrapped
        return self

    def build(self) -> Service:
        return self._inner


@final
class Identity:
    """The layer that changes nothing; handy for conditional composition."""

    __slots__ = ()

    @classmethod
    def new(cls) -> Identity:
        return cls()

    def wrap(self, inner: Service) -> Service:
        return inner


@final
class LayerFn:
    """A layer made from a plain `service -> service` function."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[[Service], Service]) -> None:
        self._fn = fn

    def wrap(self, inner: Service) -> Service:
        return self._fn(inner)


def service_fn(fn: Callable[[Request], Awaitable[Response]]) -> Service:
    """Adopt an `async def (Request) -> Response` as a service, checking its shape once."""
    if not (inspect.iscoroutinefunction(fn)
            or inspect.iscoroutinefunction(getattr(fn, "__call__", None))):  # noqa: B004
        raise TypeError(f"service_fn() needs an async function, got {fn!r}")
    return fn


def layer_fn(fn: Callable[[Service], Service]) -> LayerFn:
    """A layer from a function that wraps a service (must be pure composition)."""
    return LayerFn(fn)


def middleware_fn(fn: Callable[[Request, Next], Awaitable[Response]]) -> LayerFn:
    """A layer from `async def mw(request, next) -> Response`; `next` calls the inner service."""
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"middleware_fn() needs an async function, got {fn!r}")

    def wrap(inner: Service) -> Service:
        async def call(req: Request) -> Response:
            return await fn(req, inner)
        return call

    return LayerFn(wrap)
