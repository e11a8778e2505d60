"""Bottom-up facts over the call graph, with a reason for every fact.

Both effect inference and context inference are the same problem: each
function starts with facts of its own (an `.await`, a context operation)
and inherits its callees' facts across edges that let them through. The
strongly connected components (Tarjan) are solved callees first, and each
component is iterated to a fixpoint, so recursion terminates: facts only
grow and the key space is finite.

Every fact keeps the first reason it was added for: `Local` (the body
itself) or `Via` (an edge whose callee had it earlier). Reasons therefore
point strictly back in time and `chain` can follow them without cycles.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar, final

from weftc.effects.graph import CallEdge, CallGraph, FnId
from weftc.source import Span

K = TypeVar("K", bound=Hashable)


@final
@dataclass(frozen=True, slots=True)
class Local:
    span: Span
    reason: str


@final
@dataclass(frozen=True, slots=True)
class Via:
    edge: CallEdge


Reason = Local | Via


def components(graph: CallGraph) -> list[list[FnId]]:
    """Strongly connected components, each after every component it calls."""
    index: dict[FnId, int] = {}
    low: dict[FnId, int] = {}
    on_stack: set[FnId] = set()
    stack: list[FnId] = []
    out: list[list[FnId]] = []
    counter = 0
    for root in graph.nodes:
        if root in index:
            continue
        work: list[tuple[FnId, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = graph.out(node)
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i].callee
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp: list[FnId] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                out.append(comp)
    return out


def solve(graph: CallGraph, seed: Mapping[FnId, Mapping[K, Local]],
          flows: Callable[[CallEdge, K], bool],
          exported: Callable[[FnId, Mapping[K, Reason]], Iterable[K]] | None = None,
          ) -> dict[FnId, dict[K, Reason]]:
    """Facts per node: its seed plus whatever its callees export across edges.

    `flows(edge, key)` says whether a callee's fact crosses that edge;
    `exported(callee, facts)` is what a callee shows its callers (default:
    all its facts).
    """
    facts: dict[FnId, dict[K, Reason]] = {n: dict(seed.get(n, {})) for n in graph.nodes}

    def export(fn: FnId) -> Iterable[K]:
        return facts[fn].keys() if exported is None else exported(fn, facts[fn])

    for comp in components(graph):
        changed = True
        while changed:
            changed = False
            for node in comp:
                mine = facts[node]
                for edge in graph.out(node):
                    for key in list(export(edge.callee)):
                        if key not in mine and flows(edge, key):
                            mine[key] = Via(edge)
                            changed = True
    return facts


def chain(facts: Mapping[FnId, Mapping[K, Reason]], fn: FnId, key: K) -> list[Reason]:
    """The reasons from `fn` down to where `key` originates (at least one)."""
    out: list[Reason] = []
    current: FnId | None = fn
    seen: set[FnId] = set()
    while current is not None and current not in seen:
        seen.add(current)
        reason = facts.get(current, {}).get(key)
        if reason is None:
            break
        out.append(reason)
        current = reason.edge.callee if isinstance(reason, Via) else None
    return out
