"""Effect inference: the effect set of every node of the call graph.

A body's own effects come from the graph (`FnNode.local`: `.await` on a
future of unknown origin, `?`, returning `Result`, `spawn`, a write outside
the frame). A bodiless declaration has exactly its declared set. Callees'
effects cross edges by these rules:

* `CALL`: every effect, except Async unless the call is awaited (calling an
  async function without awaiting only builds a future), and Mutates when
  the receiver is owned by the caller's frame;
* `CLOSURE`: every effect except Async (an await inside a closure suspends
  the closure, not its creator);
* `REF`: nothing.

So `.await` on a call costs Async only if the callee really suspends: an
`async fn` with no awaits is not Async, and codegen emits it as a plain
`def` and the `.await` on it as a plain call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from weftc.effects.graph import CallEdge, CallGraph, EdgeKind, FnId
from weftc.effects.model import PURE, Effect, EffectSet
from weftc.effects.solve import Local, Reason, chain, solve
from weftc.syntax import ast


def crosses(edge: CallEdge, effect: Effect) -> bool:
    if edge.kind is EdgeKind.REF:
        return False
    if effect is Effect.ASYNC:
        return edge.kind is EdgeKind.CALL and edge.awaited
    if effect is Effect.MUTATES and edge.local_receiver:
        return False
    return True


def own_effects(graph: CallGraph) -> dict[FnId, dict[Effect, Local]]:
    seed: dict[FnId, dict[Effect, Local]] = {}
    for node in graph.nodes.values():
        mine: dict[Effect, Local] = {}
        if node.has_body:
            for loc in node.local:
                mine.setdefault(loc.effect, Local(loc.span, loc.reason))
        else:
            for effect in node.declared or PURE:
                mine[effect] = Local(node.span, "declared")
        seed[node.id] = mine
    return seed


@dataclass(frozen=True, slots=True)
class EffectReport:
    """Inferred effects per node, with the reason each effect is there."""

    graph: CallGraph
    effects: Mapping[FnId, EffectSet]
    reasons: Mapping[FnId, Mapping[Effect, Reason]]

    def of(self, fn: FnId) -> EffectSet:
        return self.effects[fn]

    def of_decl(self, decl: ast.FnDecl | ast.Closure) -> EffectSet | None:
        """The effects of a declaration (None if it is not in the graph)."""
        node = self.graph.node_of(decl)
        return None if node is None else self.effects[node.id]

    def is_async(self, decl: ast.FnDecl | ast.Closure) -> bool:
        """Whether codegen must emit `async def` (True when unknown, to stay safe)."""
        found = self.of_decl(decl)
        return True if found is None else found.is_async

    def chain(self, fn: FnId, effect: Effect) -> list[Reason]:
        return chain(self.reasons, fn, effect)


def infer_effects(graph: CallGraph) -> EffectReport:
    """Bottom-up inference over strongly connected components (fixpoint for recursion)."""
    facts = solve(graph, own_effects(graph), crosses)
    effects = {fn: EffectSet(frozenset(found)) for fn, found in facts.items()}
    return EffectReport(graph, effects, facts)
