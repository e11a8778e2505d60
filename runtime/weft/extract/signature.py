"""Turn a handler's signature into a call plan, once, at registration.

Accepted shapes:

* `def h(req)` / `def h(req: Request)` — called with the request;
* `def h()` — called with nothing;
* every parameter annotated with an extractor (`Path[int]`, `Query[str]`,
  `Json[Model]`, `Header[str]`, `Body`, `Text`, `Annotated[T, <marker>]`)
  or with `Request` — each parameter gets a getter, and a request costs one
  getter call per parameter.

`async def` handlers are awaited; plain `def` handlers are called inline
(the compiler emits those for handlers with no Async effect).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, final, get_args, get_origin, get_type_hints

from weft.extract.base import NO_DEFAULT, Getter, ParamInfo
from weft.http_types import Request

__all__ = ["SHAPE_ARGS", "SHAPE_NONE", "SHAPE_REQUEST", "HandlerPlan", "is_async_callable",
           "plan_handler"]

SHAPE_REQUEST = 0
SHAPE_NONE = 1
SHAPE_ARGS = 2


@final
@dataclass(frozen=True, slots=True)
class HandlerPlan:
    """How to call one handler: `fn(req)`, `fn()` or `fn(*(g(req) for g in getters))`."""

    # Any: handlers return any IntoResponse value, or an awaitable of one.
    fn: Callable[..., Any]
    is_async: bool
    shape: int
    getters: tuple[Getter, ...] = ()
    name: str = "<handler>"


def is_async_callable(fn: object) -> bool:
    """`async def` functions, partials of them, and objects with an async `__call__`."""
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(type(fn), "__call__", None)  # noqa: B004
    return not inspect.isfunction(fn) and not inspect.ismethod(fn) and \
        inspect.iscoroutinefunction(call)


def _qualname(fn: object) -> str:
    name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module else str(name)


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    target: object = fn
    if not (inspect.isfunction(fn) or inspect.ismethod(fn)):
        target = getattr(type(fn), "__call__", fn)  # noqa: B004
    try:
        return get_type_hints(target, include_extras=True)
    except Exception:  # unresolvable string annotations: fall back to the raw ones below
        return {}


def _request_marker(ann: object) -> bool:
    return ann is Request or ann == "Request"


def _request_getter(req: Request) -> object:
    return req


def plan_handler(fn: Callable[..., Any], route_params: frozenset[str] | None) -> HandlerPlan:
    """Inspect `fn` once; raise TypeError naming the parameter that cannot be filled."""
    if not callable(fn):
        raise TypeError(f"a handler must be callable, not {type(fn).__name__}")
    name = _qualname(fn)
    is_async = is_async_callable(fn)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot read the signature of handler {name}: {e}") from e
    params = list(sig.parameters.values())
    if not params:
        return HandlerPlan(fn, is_async, SHAPE_NONE, (), name)
    hints = _hints(fn)
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise TypeError(f"{name}: parameter `{p.name}` must be positional (no *args, "
                            "**kwargs or keyword-only parameters in a handler)")
    if len(params) == 1:
        ann = hints.get(params[0].name, params[0].annotation)
        if ann is inspect.Parameter.empty or _request_marker(ann):
            return HandlerPlan(fn, is_async, SHAPE_REQUEST, (), name)
    getters = tuple(_getter(name, p, hints.get(p.name, p.annotation), route_params)
                    for p in params)
    return HandlerPlan(fn, is_async, SHAPE_ARGS, getters, name)


def _getter(handler: str, p: inspect.Parameter, ann: object,
            route_params: frozenset[str] | None) -> Getter:
    if _request_marker(ann):
        return _request_getter
    if get_origin(ann) is Annotated:
        args = get_args(ann)
        metadata: tuple[object, ...] = tuple(ann.__metadata__)  # type: ignore[attr-defined]
        markers = [m for m in metadata if callable(getattr(m, "bind", None))]
        if markers:
            default = NO_DEFAULT if p.default is inspect.Parameter.empty else p.default
            info = ParamInfo(p.name, args[0], metadata, default, route_params, handler)
            getter: Getter = markers[-1].bind(info)  # type: ignore[attr-defined]
            return getter
    if isinstance(ann, str):
        raise TypeError(f"{handler}: cannot resolve the annotation {ann!r} of `{p.name}`; "
                        "define the types it names at module level")
    raise TypeError(f"{handler}: parameter `{p.name}` needs an extractor annotation "
                    "(Path[T], Query[T], Header[T], Json[T], Body, Text, Annotated[T, <marker>]) "
                    "or the type Request")
