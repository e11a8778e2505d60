"""Stage 6b, contexts: `using` coverage, negative contexts, providers for routes.

`run_effects_and_contexts(checked)` is the whole of stage 6: it returns the
`EffectReport`, the `ContextPlan` codegen wires at build time, and the
diagnostics E3001-E3003 (effects) and E3101-E3104 (contexts). The rules are
in docs/contexts.md.
"""

from weftc.contexts.check import check_contexts, is_root
from weftc.contexts.needs import NeedsReport, infer_needs
from weftc.contexts.plan import ContextPlan, Provider, RouteContexts, plan_contexts
from weftc.contexts.stage import run_effects_and_contexts

__all__ = [
    "ContextPlan", "NeedsReport", "Provider", "RouteContexts", "check_contexts", "infer_needs",
    "is_root", "plan_contexts", "run_effects_and_contexts",
]
