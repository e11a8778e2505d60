"""`weftc check --explain-effects`: one line per function, in source order.

    get_user: Async, Fallible, IO (via Database.find)
    hello: Pure

`via` names the callees that brought effects in (the first step of each
effect's chain); effects the body has by itself are not attributed.
"""

from __future__ import annotations

from weftc.effects.graph import NodeKind
from weftc.effects.infer import EffectReport
from weftc.effects.solve import Via


def explain_line(report: EffectReport, fn: str) -> str:
    graph = report.graph
    found = report.of(fn)
    via: list[str] = []
    for effect in found:
        reason = report.reasons[fn][effect]
        if isinstance(reason, Via):
            name = graph.nodes[reason.edge.callee].name
            if name not in via:
                via.append(name)
    tail = f" (via {', '.join(via)})" if via else ""
    return f"{graph.nodes[fn].name}: {found.render()}{tail}"


def explain_effects(report: EffectReport, *, closures: bool = False) -> str:
    """Every user function with a body (closures too if asked), one line each."""
    nodes = [n for n in report.graph.nodes.values()
             if n.has_body and not n.is_stdlib and (closures or n.kind is not NodeKind.CLOSURE)]
    nodes.sort(key=lambda n: (n.span.file, n.span.start))
    return "\n".join(explain_line(report, n.id) for n in nodes)
