"""Stage 6a, effects: what every function may do, inferred over the call graph.

`build_graph(checked)` turns stage 4's `CheckedProgram` into a `CallGraph`;
`infer_effects(graph)` gives an `EffectReport` (an `EffectSet` per node,
with the reason for each effect); `check_effects(report)` reports declared
bounds that are exceeded (E3001), Layer `wrap`s that are not Pure (E3002)
and protocol bounds (E3003); `explain_effects(report)` renders
`weftc check --explain-effects`. Codegen asks `report.is_async(decl)` to
choose between `def` and `async def`.
"""

from weftc.effects.build import build_graph
from weftc.effects.check import check_effects
from weftc.effects.explain import explain_effects, explain_line
from weftc.effects.graph import (
    CallEdge,
    CallGraph,
    EdgeKind,
    FnId,
    FnNode,
    LocalEffect,
    NodeKind,
    ProtocolBound,
    ProvideSite,
    RouteSite,
    StartClosure,
    UsingItem,
)
from weftc.effects.infer import EffectReport, infer_effects
from weftc.effects.model import BENIGN, PURE, Effect, EffectSet
from weftc.effects.solve import Local, Reason, Via
from weftc.typecheck.checked import CheckedProgram

__all__ = [
    "BENIGN", "PURE", "CallEdge", "CallGraph", "EdgeKind", "Effect", "EffectReport", "EffectSet",
    "FnId", "FnNode", "Local", "LocalEffect", "NodeKind", "ProtocolBound", "ProvideSite",
    "Reason", "RouteSite", "StartClosure", "UsingItem", "Via", "build_graph", "check_effects",
    "effects_of", "explain_effects", "explain_line", "infer_effects",
]


def effects_of(checked: CheckedProgram) -> EffectReport:
    """Build the call graph of a checked program and infer every effect set."""
    return infer_effects(build_graph(checked))
