"""E3101 (a context reached but not in `using`), E3103 (`!Ctx` violated),
E3104 (a `using`/`provide` name that is not a context).

E3101 is checked where a function's contexts cannot be inferred by a
caller: it writes a `using` clause, it is the entry, it is taken as a value
(a route handler, a callback) or nothing calls it. The other functions pass
their needs up (see `needs`), so a missing clause is reported once, at the
top of the chain, with a label at every step down to the operation.
"""

from __future__ import annotations

from weftc.contexts.needs import NeedsReport
from weftc.diagnostics import Diagnostic, Label, error
from weftc.effects import chains
from weftc.effects.graph import CallGraph, EdgeKind, FnNode, NodeKind
from weftc.effects.infer import EffectReport
from weftc.effects.model import Effect
from weftc.modules.suggest import closest


def short(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]


def is_root(graph: CallGraph, node: FnNode) -> bool:
    if not node.has_body or node.kind is NodeKind.CLOSURE or node.is_stdlib:
        return False
    if node.has_using or node.id == graph.entry:
        return True
    incoming = graph.incoming(node.id)
    return any(e.kind is EdgeKind.REF for e in incoming) or not any(
        e.kind is EdgeKind.CALL for e in incoming)


def _missing(needs: NeedsReport, node: FnNode) -> list[Diagnostic]:
    graph = needs.graph
    out = []
    forbidden = {u.target for u in node.using if u.negated and u.kind == "context"}
    covered = node.declared_contexts | forbidden  # a forbidden one is E3103's business
    for ctx in sorted(needs.of(node.id) - covered):
        reasons = needs.chain(node.id, ctx)
        name = short(ctx)
        fix = (f"add `{name}` to `{node.name}`'s `using` list" if node.has_using
               else f"add `using [{name}]` to `{node.name}`'s signature")
        out.append(error(
            "E3101", f"`{node.name}` reaches context `{name}` ({chains.first_step(graph, reasons)})"
                     f" but does not declare it in `using`",
            chains.first_site(reasons),
            labels=[Label(node.span, f"`{node.name}` declared here"),
                    *chains.labels(graph, reasons)],
            notes=[f"call chain: {chains.summary(graph, node.id, reasons)}"],
            help=fix))
    return out


def _negative(needs: NeedsReport, effects: EffectReport, node: FnNode) -> list[Diagnostic]:
    graph = needs.graph
    out = []
    for item in node.using:
        if not item.negated or item.target is None:
            continue
        if item.kind == "context" and item.target in needs.needs[node.id]:
            reasons = needs.chain(node.id, item.target)
        elif item.kind == "effect" and Effect(item.target) in effects.of(node.id):
            reasons = effects.chain(node.id, Effect(item.target))
        else:
            continue
        what = "context" if item.kind == "context" else "effect"
        out.append(error(
            "E3103", f"`{node.name}` forbids {what} `{item.written}` (`!{item.written}`) but "
                     f"{chains.first_step(graph, reasons)}, which reaches it",
            chains.first_site(reasons),
            labels=[Label(item.span, "forbidden here"), *chains.labels(graph, reasons)],
            notes=[f"call chain: {chains.summary(graph, node.id, reasons)}"]))
    return out


def _unknown(graph: CallGraph, node: FnNode, contexts: list[str]) -> list[Diagnostic]:
    out = []
    for item in node.using:
        if item.kind not in ("unknown", "not-context"):
            continue
        notes = [item.note] if item.note else []
        guess = closest(item.written, contexts)
        if guess and item.kind == "unknown":
            notes.append(f"did you mean `{guess}`?")
        message = (f"unknown context `{item.written}` in `using`" if item.kind == "unknown"
                   else f"`{item.written}` in `using` is not a context")
        out.append(error("E3104", message, item.span, notes=notes))
    return out


def _unknown_provides(graph: CallGraph, contexts: list[str]) -> list[Diagnostic]:
    out = []
    for site in graph.provides:
        if not site.resolved:
            guess = closest(site.context, contexts)
            out.append(error("E3104", f"`provide {site.context}`: `{site.context}` is not a "
                             "context", site.span,
                             notes=[f"did you mean `{guess}`?"] if guess else []))
    return out


def check_contexts(needs: NeedsReport, effects: EffectReport,
                   context_names: list[str]) -> list[Diagnostic]:
    """Every context diagnostic except E3102 (see `plan`); `context_names` feed suggestions."""
    graph = needs.graph
    names = sorted(set(context_names))
    out: list[Diagnostic] = []
    for node in graph.nodes.values():
        if node.is_stdlib:
            continue
        out.extend(_unknown(graph, node, names))
        if node.has_body:
            out.extend(_negative(needs, effects, node))
        if is_root(graph, node):
            out.extend(_missing(needs, node))
    out.extend(_unknown_provides(graph, names))
    return out
