"""L0: which event loop runs the server.

uvloop (libuv) by default because it is roughly twice as fast as the stdlib
loop for socket-heavy work; the stdlib asyncio loop when uvloop is missing
or not wanted. `WEFT_LOOP=asyncio|uvloop` overrides the caller's preference
(for debugging with asyncio's debug mode, or to compare the two).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")

LoopName = Literal["uvloop", "asyncio"]


def _uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name(prefer_uvloop: bool = True) -> LoopName:
    """The loop `new_event_loop` would build, after the `WEFT_LOOP` override."""
    wanted = os.environ.get("WEFT_LOOP", "").strip().lower()
    if wanted == "asyncio":
        return "asyncio"
    if wanted == "uvloop":
        if _uvloop_factory() is None:
            raise RuntimeError("WEFT_LOOP=uvloop but uvloop is not installed")
        return "uvloop"
    if wanted:
        raise ValueError(f"WEFT_LOOP must be 'asyncio' or 'uvloop', not {wanted!r}")
    if prefer_uvloop and _uvloop_factory() is not None:
        return "uvloop"
    return "asyncio"


def new_event_loop(prefer_uvloop: bool = True) -> asyncio.AbstractEventLoop:
    """A fresh event loop of the kind `loop_name` picks."""
    if loop_name(prefer_uvloop) == "uvloop":
        factory = _uvloop_factory()
        assert factory is not None
        return factory()
    return asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T], prefer_uvloop: bool = True) -> T:
    """`asyncio.run` on the chosen loop."""
    with asyncio.Runner(loop_factory=lambda: new_event_loop(prefer_uvloop)) as runner:
        return runner.run(main)
