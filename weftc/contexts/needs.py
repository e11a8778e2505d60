"""Which contexts every function reaches, with the call chain to each.

A context operation (`Database.find`) or constant (`Config.db_url`) needs
its context. A caller inherits what its callees need across `CALL` and
`CLOSURE` edges, minus what a `provide` in scope at the call covers; a
closure given to `ChildSpec.with_start` does not pass on the contexts whose
operations it calls itself (that child establishes them). A callee with a
written `using` clause shows its callers exactly its positive entries: what
it reaches beyond them is its own error (E3101), not theirs. Functions
without a clause pass on what they reach, so the error surfaces where the
chain starts, naming every step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from weftc.effects.graph import CallEdge, CallGraph, EdgeKind, FnId, NodeKind
from weftc.effects.solve import Local, Reason, chain, solve


def start_provides(graph: CallGraph) -> dict[FnId, frozenset[str]]:
    """For each supervisor start closure, the contexts whose operations it calls."""
    out: dict[FnId, frozenset[str]] = {}
    for start in graph.start_closures:
        found = set()
        for e in graph.out(start.closure):
            callee = graph.nodes[e.callee]
            if e.kind is EdgeKind.CALL and callee.kind is NodeKind.CTX_OP and callee.context:
                found.add(callee.context)
        out[start.closure] = frozenset(found)
    return out


@dataclass(frozen=True, slots=True)
class NeedsReport:
    graph: CallGraph
    needs: Mapping[FnId, Mapping[str, Reason]]
    supervised: Mapping[FnId, frozenset[str]]

    def of(self, fn: FnId) -> frozenset[str]:
        return frozenset(self.needs[fn])

    def chain(self, fn: FnId, context: str) -> list[Reason]:
        return chain(self.needs, fn, context)


def infer_needs(graph: CallGraph) -> NeedsReport:
    supervised = start_provides(graph)
    seed: dict[FnId, dict[str, Local]] = {}
    for node in graph.nodes.values():
        if node.kind in (NodeKind.CTX_OP, NodeKind.CTX_CONST) and node.context is not None:
            what = "operation" if node.kind is NodeKind.CTX_OP else "constant"
            seed[node.id] = {node.context: Local(
                node.span, f"`{node.name}` is an {what} of context `{node.context.rsplit('.', 1)[-1]}`")}

    def flows(edge: CallEdge, ctx: str) -> bool:
        if edge.kind is EdgeKind.REF or ctx in edge.provided:
            return False
        return not (edge.kind is EdgeKind.CLOSURE and ctx in supervised.get(edge.callee, ()))

    def exported(fn: FnId, facts: Mapping[str, Reason]) -> Iterable[str]:
        node = graph.nodes[fn]
        return node.declared_contexts if node.has_using else facts.keys()

    return NeedsReport(graph, solve(graph, seed, flows, exported), supervised)
