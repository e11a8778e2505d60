"""Where each context comes from (the `ContextPlan`) and E3102.

A context reaches the routes from one of three places, all decided at
build time (docs/contexts.md):

* `entry`: the entry `fn main() using [Config]` lists it: whoever starts
  the program supplies it (the generated package builds it at start-up);
* `provide`: a `provide Ctx = expr` statement: codegen evaluates `expr`
  once where the statement stands and wires the value in;
* `supervised`: a supervisor child's start closure calls one of its
  operations (`ChildSpec.permanent("db").with_start(|| Database.connect(..))`):
  that child establishes it before the routes serve.

A route whose handler needs a context none of these supplies is E3102.
A route registered in the entry itself sees only the `provide`s whose scope
covers the registration; one registered elsewhere sees every `provide` of
the entry (the registration runs inside some call the entry makes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from weftc.contexts.needs import NeedsReport
from weftc.diagnostics import Diagnostic, Label, error
from weftc.effects import chains
from weftc.effects.graph import FnId
from weftc.source import Span
from weftc.syntax import ast


@dataclass(frozen=True, slots=True)
class Provider:
    """One source of a context. `value` is the `provide` expression; `child` the
    supervisor child's name; `python` the context declaration's `@python` binding."""

    context: str
    kind: str
    span: Span
    function: FnId
    value: ast.Expr | None = None
    child: str | None = None
    python: str | None = None


@dataclass(frozen=True, slots=True)
class RouteContexts:
    path: str
    method: str
    handler: FnId
    contexts: frozenset[str]


@dataclass(frozen=True, slots=True)
class ContextPlan:
    """What codegen wires at build time: providers, per-route and per-function needs."""

    providers: tuple[Provider, ...]
    routes: tuple[RouteContexts, ...]
    needs: Mapping[FnId, frozenset[str]]
    bindings: Mapping[str, str | None] = field(default_factory=dict)

    def providers_of(self, context: str) -> tuple[Provider, ...]:
        return tuple(p for p in self.providers if p.context == context)


def collect_providers(needs: NeedsReport, bindings: Mapping[str, str | None]) -> list[Provider]:
    graph = needs.graph
    out: list[Provider] = []
    entry = graph.nodes.get(graph.entry) if graph.entry is not None else None
    if entry is not None:
        for item in entry.using:
            if item.kind == "context" and not item.negated and item.target is not None:
                out.append(Provider(item.target, "entry", item.span, entry.id,
                                    python=bindings.get(item.target)))
    for site in graph.provides:
        if site.resolved:
            out.append(Provider(site.context, "provide", site.span, site.function, site.value,
                                python=bindings.get(site.context)))
    for start in graph.start_closures:
        for ctx in sorted(needs.supervised.get(start.closure, ())):
            out.append(Provider(ctx, "supervised", start.span, start.closure, child=start.child,
                                python=bindings.get(ctx)))
    return out


def plan_contexts(needs: NeedsReport, bindings: Mapping[str, str | None]
                  ) -> tuple[ContextPlan, list[Diagnostic]]:
    """The plan, and E3102 for each (route, context) nothing provides."""
    graph = needs.graph
    providers = collect_providers(needs, bindings)
    program_wide = {p.context for p in providers if p.kind in ("entry", "supervised")}
    entry_provides = {p.context for p in providers
                      if p.kind == "provide" and p.function == graph.entry}
    diags: list[Diagnostic] = []
    routes: list[RouteContexts] = []
    for site in graph.routes:
        handler = graph.nodes[site.handler]
        wanted = handler.declared_contexts | needs.of(site.handler)
        routes.append(RouteContexts(site.path, site.method, site.handler, wanted))
        have = program_wide | site.provided
        if site.function != graph.entry:
            have |= entry_provides
        for ctx in sorted(wanted - have):
            name = ctx.rsplit(".", 1)[-1]
            labels = [Label(u.span, f"`{handler.name}` requires `{name}` here")
                      for u in handler.using if u.target == ctx and not u.negated]
            if not labels and ctx in needs.needs[site.handler]:
                reasons = needs.chain(site.handler, ctx)
                labels = [Label(chains.first_site(reasons),
                                f"`{handler.name}` {chains.first_step(graph, reasons)} here")]
            notes = []
            out_of_scope = [p for p in providers if p.kind == "provide" and p.context == ctx]
            if out_of_scope:
                notes.append(f"a `provide {name}` exists at line {out_of_scope[0].span.line}, "
                             "but its scope does not cover this route's registration")
            diags.append(error(
                "E3102", f"route `{site.method} {site.path}` needs context `{name}` (handler "
                         f"`{handler.name}`), but the program never provides it", site.span,
                labels=labels, notes=notes,
                help=f"list `{name}` in `main`'s `using` clause (supplied at start-up), write "
                     f"`provide {name} = ...;` in `main` before the routes are built, or start "
                     f"it in a supervisor child (`.with_start(|| {name}.connect(...))`)"))
    needs_all = {fn: needs.of(fn) | graph.nodes[fn].declared_contexts for fn in graph.nodes}
    return ContextPlan(tuple(providers), tuple(routes), needs_all, dict(bindings)), diags
