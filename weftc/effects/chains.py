"""Turning a chain of reasons into diagnostic labels and a one-line summary."""

from __future__ import annotations

from collections.abc import Sequence

from weftc.diagnostics import Label
from weftc.effects.graph import CallGraph, FnId
from weftc.effects.solve import Local, Reason, Via
from weftc.source import Span


def name_of(graph: CallGraph, fn: FnId) -> str:
    return graph.nodes[fn].name


def first_site(reasons: Sequence[Reason]) -> Span:
    head = reasons[0]
    return head.edge.span if isinstance(head, Via) else head.span


def first_step(graph: CallGraph, reasons: Sequence[Reason]) -> str:
    """"calls `g`" or the local reason ("awaits a future")."""
    inside = ""
    for reason in reasons:
        if isinstance(reason, Via) and reason.edge.kind == "closure":
            inside = " in a closure"
            continue
        if isinstance(reason, Via):
            return f"calls `{name_of(graph, reason.edge.callee)}`{inside}"
        return reason.reason + inside
    return "reaches it" + inside


def labels(graph: CallGraph, reasons: Sequence[Reason]) -> list[Label]:
    """A label at every step after the first (the first is the primary span)."""
    out: list[Label] = []
    for reason in reasons[1:]:
        if isinstance(reason, Via):
            e = reason.edge
            verb = "creates a closure" if e.kind == "closure" else f"calls `{name_of(graph, e.callee)}`"
            out.append(Label(e.span, f"`{name_of(graph, e.caller)}` {verb} here"))
        elif isinstance(reason, Local) and reason.reason != "declared":
            out.append(Label(reason.span, reason.reason))
    return out


def summary(graph: CallGraph, fn: FnId, reasons: Sequence[Reason]) -> str:
    """`f → g → Database.find`."""
    names = [name_of(graph, fn)]
    names += [name_of(graph, r.edge.callee) for r in reasons if isinstance(r, Via)]
    return " → ".join(names)
