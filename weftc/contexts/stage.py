"""Stage 6 as one call: effects, then contexts, over one call graph."""

from __future__ import annotations

from dataclasses import dataclass

from weftc.contexts.check import check_contexts
from weftc.contexts.needs import NeedsReport, infer_needs
from weftc.contexts.plan import ContextPlan, plan_contexts
from weftc.diagnostics import Diagnostic, sort_key
from weftc.effects.build import build_graph
from weftc.effects.check import check_effects
from weftc.effects.infer import EffectReport, infer_effects
from weftc.modules import Program
from weftc.modules.bindings import python_target
from weftc.syntax import ast
from weftc.typecheck.checked import CheckedProgram


@dataclass(frozen=True, slots=True)
class DeclaredContexts:
    names: list[str]
    bindings: dict[str, str | None]


def declared_contexts(program: Program) -> DeclaredContexts:
    names: list[str] = []
    bindings: dict[str, str | None] = {}
    for module, info in program.modules.items():
        for item in info.items:
            if isinstance(item, ast.ContextDecl):
                names.append(item.name.name)
                bindings[f"{module}.{item.name.name}"] = python_target(item.attributes)
    return DeclaredContexts(names, bindings)


def run_effects_and_contexts(checked: CheckedProgram
                             ) -> tuple[EffectReport, ContextPlan, list[Diagnostic]]:
    """Infer effects and contexts, check them, plan the providers (E3001-E3104)."""
    graph = build_graph(checked)
    effects = infer_effects(graph)
    needs: NeedsReport = infer_needs(graph)
    declared = declared_contexts(checked.program)
    diags = check_effects(effects)
    diags += check_contexts(needs, effects, declared.names)
    plan, missing = plan_contexts(needs, declared.bindings)
    diags += missing
    diags.sort(key=sort_key)
    return effects, plan, diags
