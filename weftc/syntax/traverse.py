"""Generic traversal of the AST: every node directly under a node.

Stages that look for one kind of node anywhere (calls, assignments, route
chains) walk with this instead of each re-reading the dataclass fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from weftc.syntax.ast import Node


def child_nodes(node: object) -> Iterator[Node]:
    """The nodes held by `node`'s fields (directly or in a tuple), spans excluded."""
    if not isinstance(node, Node) or not dataclasses.is_dataclass(node):
        return
    for f in dataclasses.fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            for v in value:
                if isinstance(v, Node):
                    yield v
