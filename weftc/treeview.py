"""A readable outline of an AST for `weftc parse` (the human format).

One node per line: its class, its `line:col`, and its scalar fields inline;
child nodes and sequences of nodes are indented below under their field
name. The JSON format (`--format json`) is the machine-readable one.
"""

from __future__ import annotations

import dataclasses
from enum import Enum

from weftc.source import Span

# Deeper levels are not indented further (a 100 000-term operator chain would
# otherwise print gigabytes of spaces); their depth is written instead.
MAX_INDENT = 40


def _pad(indent: int) -> str:
    if indent <= MAX_INDENT:
        return "  " * indent
    return "  " * MAX_INDENT + f"[{indent}] "


def _scalar(value: object) -> str | None:
    """The inline rendering of a leaf value, or None if it is a node or a sequence."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value) if value is not None else None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, str | bytes):
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        values = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        if list(values) == ["span", "name"]:  # an identifier: show it inline
            return repr(values["name"])
    return None


def _node_lines(node: object, indent: int, label: str, out: list[str]) -> None:
    pad = _pad(indent)
    head = f"{pad}{label}{type(node).__name__}"
    span = getattr(node, "span", None)
    if isinstance(span, Span):
        head += f" @{span.line}:{span.column}"
    inline: list[str] = []
    nested: list[tuple[str, object]] = []
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        text = _scalar(value)
        if isinstance(value, tuple) and value:
            parts = [_scalar(v) for v in value]
            if all(p is not None for p in parts):
                text = "[" + ", ".join(p for p in parts if p is not None) + "]"
        if text is not None:
            if value is not False and value != ():
                inline.append(f"{f.name}={text}")
        elif value is not None and value != ():
            nested.append((f.name, value))
    out.append(head + ("  " + " ".join(inline) if inline else ""))
    for name, value in nested:
        if isinstance(value, tuple):
            out.append(f"{_pad(indent + 1)}{name}:")
            for element in value:
                _value_lines(element, indent + 2, "", out)
        else:
            _value_lines(value, indent + 1, f"{name}: ", out)


def _value_lines(value: object, indent: int, label: str, out: list[str]) -> None:
    text = _scalar(value)
    if text is not None or not dataclasses.is_dataclass(value):
        out.append(_pad(indent) + label + (text if text is not None else repr(value)))
    else:
        _node_lines(value, indent, label, out)


def render_tree(node: object) -> str:
    """The outline of `node` (normally an `ast.Module`)."""
    out: list[str] = []
    _value_lines(node, 0, "", out)
    return "\n".join(out)
