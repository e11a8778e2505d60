"""Declared effects are upper bounds (E3001); a Layer's `wrap` must be Pure (E3002).

A bound comes from the function itself (`pure`, `@effects(..)`, `async`)
or from the protocol member it implements when that member declares one
(`Layer.wrap` is `pure` in the stdlib, so every layer's composition logic
must be Pure). Fallible and Divergent never exceed a bound (see `model`).
Excess effects are grouped by the first step that brings them in, so one
offending call gives one diagnostic naming every effect it adds, with the
call chain down to where they originate as labels.
"""

from __future__ import annotations

from weftc.diagnostics import Diagnostic, Label, error
from weftc.effects import chains
from weftc.effects.graph import FnNode
from weftc.effects.infer import EffectReport
from weftc.effects.model import Effect, EffectSet
from weftc.effects.solve import Reason
from weftc.source import Span


def _bound_text(bound: EffectSet) -> str:
    return "pure" if bound.is_pure else f"`@effects({bound.render()})`"


def _groups(report: EffectReport, node: FnNode,
            excess: EffectSet) -> list[tuple[Span, list[Effect], list[Reason]]]:
    grouped: dict[tuple[str, int, int], tuple[Span, list[Effect], list[Reason]]] = {}
    for effect in excess:
        reasons = report.chain(node.id, effect)
        site = chains.first_site(reasons)
        key = (site.file, site.start, site.end)
        if key not in grouped:
            grouped[key] = (site, [], reasons)
        grouped[key][1].append(effect)
    return sorted(grouped.values(), key=lambda g: (g[0].file, g[0].start))


def _own_bound(report: EffectReport, node: FnNode) -> list[Diagnostic]:
    assert node.declared is not None
    excess = report.of(node.id).exceeding(node.declared)
    out = []
    for site, effects, reasons in _groups(report, node, excess):
        shown = ", ".join(e.value for e in effects)
        step = chains.first_step(report.graph, reasons)
        out.append(error(
            "E3001", f"`{node.name}` is declared {_bound_text(node.declared)} but {step} ({shown})",
            site, labels=[Label(node.span, f"`{node.name}` declared here"),
                          *chains.labels(report.graph, reasons)],
            notes=[f"effect chain: {chains.summary(report.graph, node.id, reasons)} ({shown})"],
            help=f"remove that call, or widen the bound to "
                 f"`@effects({(node.declared | EffectSet(frozenset(effects))).render()})`"))
    return out


def _protocol_bound(report: EffectReport, node: FnNode, reported: EffectSet) -> list[Diagnostic]:
    pb = node.protocol_bound
    assert pb is not None
    excess = report.of(node.id).exceeding(pb.bound) - reported
    out = []
    for site, effects, reasons in _groups(report, node, excess):
        shown = ", ".join(e.value for e in effects)
        step = chains.first_step(report.graph, reasons)
        notes = [f"effect chain: {chains.summary(report.graph, node.id, reasons)} ({shown})"]
        if pb.is_layer_wrap:
            code = "E3002"
            message = (f"`{node.name}` is a Layer's composition logic and must be Pure, "
                       f"but {step} ({shown})")
            help_ = ("build the wrapped service here and move the call into its request "
                     "path (the service's `call`), which may have effects")
        else:
            code = "E3003"
            message = (f"`{node.name}` implements `{pb.member}`, declared "
                       f"{_bound_text(pb.bound)}, but {step} ({shown})")
            help_ = "an implementation may not have more effects than the protocol member declares"
            notes.append(f"`{pb.protocol}` declares `{pb.member}` with {pb.bound.render()}")
        out.append(error(code, message, site,
                         labels=[Label(node.span, f"`{node.name}` declared here"),
                                 *chains.labels(report.graph, reasons)],
                         notes=notes, help=help_))
    return out


def check_effects(report: EffectReport) -> list[Diagnostic]:
    """E3001 (declared bound exceeded), E3002 (Layer.wrap not Pure), E3003 (protocol bound)."""
    out: list[Diagnostic] = []
    for node in report.graph.nodes.values():
        if not node.has_body:
            continue
        reported = EffectSet()
        if node.declared is not None:
            found = _own_bound(report, node)
            out.extend(found)
            reported = report.of(node.id).exceeding(node.declared)
        if node.protocol_bound is not None:
            out.extend(_protocol_bound(report, node, reported))
    return out

