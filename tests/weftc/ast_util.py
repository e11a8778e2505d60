"""Structural comparison of ASTs: the same tree up to source positions."""

from __future__ import annotations

import dataclasses
import math
from enum import Enum
from typing import Any


def strip_spans(node: object) -> Any:
    """A hashable, comparable picture of `node` without any `span`.

    Dataclass nodes become `(ClassName, ((field, value), ...))`; tuples are
    mapped element-wise; NaN floats compare equal to each other.
    """
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = tuple((f.name, strip_spans(getattr(node, f.name)))
                       for f in dataclasses.fields(node) if f.name != "span")
        return (type(node).__name__, fields)
    if isinstance(node, tuple | list):
        return tuple(strip_spans(x) for x in node)
    if isinstance(node, Enum):
        return (type(node).__name__, node.value)
    if isinstance(node, float) and math.isnan(node):
        return ("nan",)
    return node


def first_difference(a: object, b: object, where: str = "") -> str | None:
    """A path to the first place where two stripped trees differ (for test messages)."""
    if type(a) is not type(b):
        return f"{where or '<root>'}: {a!r:.120} != {b!r:.120}"
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], tuple) \
                and len(b) == 2 and a[0] != b[0]:
            return f"{where or '<root>'}: node {a[0]} != {b[0]}"
        if len(a) != len(b):
            return f"{where or '<root>'}: length {len(a)} != {len(b)}"
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            label = x[0] if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) else k
            diff = first_difference(x, y, f"{where}/{label}")
            if diff:
                return diff
        return None
    return None if a == b else f"{where or '<root>'}: {a!r:.120} != {b!r:.120}"
