"""AST -> JSON-able dicts for `weftc parse --format json`.

Every node becomes `{"node": "<ClassName>", "span": {...}, <fields>...}`; tuples
become lists, enums their value, spans `{"file","start","end","line","column",
"end_line","end_column"}`. The walk uses an explicit stack, so arbitrarily deep
trees (long operator chains) cannot hit Python's recursion limit.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from weftc.source import Span
from weftc.syntax.ast import Node


def span_json(span: Span) -> dict[str, Any]:
    return {"file": span.file, "start": span.start, "end": span.end, "line": span.line,
            "column": span.column, "end_line": span.end_line, "end_column": span.end_column}


def _scalar(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def to_json(root: Node) -> dict[str, Any]:
    """Convert a node (normally an `ast.Module`) and everything under it."""
    out: dict[str, Any] = {}
    # work items: (value, container, key) — container[key] receives the converted value
    stack: list[tuple[Any, Any, Any]] = [(root, {"_": None}, "_")]
    holder = stack[0][1]
    while stack:
        value, container, key = stack.pop()
        if isinstance(value, Node):
            obj: dict[str, Any] = {"node": type(value).__name__}
            container[key] = obj
            for f in dataclasses.fields(value):  # type: ignore[arg-type]
                child = getattr(value, f.name)
                if f.name == "span":
                    obj["span"] = span_json(child)
                else:
                    obj[f.name] = None
                    stack.append((child, obj, f.name))
        elif isinstance(value, tuple | list):
            items: list[Any] = [None] * len(value)
            container[key] = items
            for i, child in enumerate(value):
                stack.append((child, items, i))
        elif isinstance(value, Span):
            container[key] = span_json(value)
        else:
            container[key] = _scalar(value)
    out = holder["_"]
    return out
