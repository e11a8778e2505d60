"""Cheaper construction of frozen, slotted dataclasses.

Why: a frozen dataclass's generated `__init__` stores each field with
`object.__setattr__(self, name, value)`, which looks the attribute up by name
on every call; a parse builds hundreds of thousands of nodes and spans, and
those calls were a third of its time. Each slot's member descriptor can store
the value directly, about twice as fast.

`fast_init` swaps a class's `__init__` for one that does that, with the same
signature (names, order, defaults), so the class stays the same frozen
dataclass: equality, hashing, `repr`, `dataclasses.replace` and immutability
after construction are unchanged. `maker` builds a plain function that does
the same for a class whose `__init__` this package does not own (`Span`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _source(cls: type, fn: str, head: str, obj: str, prelude: str, tail: str) -> tuple[str, dict[str, Any]]:
    if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
            and "__slots__" in cls.__dict__):
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass")
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params: list[str] = []
    body = [prelude] if prelude else []
    for i, f in enumerate(dataclasses.fields(cls)):
        if not f.init or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: only plain fields are supported")
        # the descriptor of the slot that holds this field
        scope[f"_set{i}"] = cls.__dict__[f.name].__set__
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            scope[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        body.append(f"    _set{i}({obj}, {f.name})")
    if tail:
        body.append(tail)
    if len(body) == 0:
        body.append("    pass")
    sig = ", ".join(([head] if head else []) + params)
    return f"def {fn}({sig}):\n" + "\n".join(body) + "\n", scope


def fast_init(cls: type[T]) -> type[T]:
    """Give `cls` an `__init__` that stores fields through the slot descriptors (decorator)."""
    src, scope = _source(cls, "__init__", "self", "self", "", "")
    exec(compile(src, f"<fast_init {cls.__name__}>", "exec"), scope)  # built from field names only
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010  # mypy rejects assigning to a method
    return cls


def maker(cls: type[T]) -> Callable[..., T]:
    """A function that builds a `cls` instance from its fields, positionally, without `__init__`."""
    src, scope = _source(cls, "make", "", "o", "    o = _new(_cls)", "    return o")
    exec(compile(src, f"<maker {cls.__name__}>", "exec"), scope)  # built from field names only
    made: Callable[..., T] = scope["make"]
    return made
