"""Stage 6b: context needs, `using` coverage, negative contexts and the
provider plan, on hand-built graphs and through the whole pipeline."""

from __future__ import annotations

from effects_corpus import CORPUS, run

from weftc.contexts import check_contexts, infer_needs, is_root, plan_contexts
from weftc.effects import (
    CallEdge,
    CallGraph,
    EdgeKind,
    FnNode,
    NodeKind,
    RouteSite,
    StartClosure,
    UsingItem,
    infer_effects,
)
from weftc.source import Span

DB = "app.Database"
CFG = "app.Config"


def sp(line: int, col: int = 1) -> Span:
    return Span("t.vr", line * 100 + col, line * 100 + col + 3, line, col, line, col + 3)


def node(g: CallGraph, name: str, line: int, *, using: tuple[str, ...] = (),
         forbid: tuple[str, ...] = (), kind: NodeKind = NodeKind.FN,
         context: str | None = None, clause: bool | None = None) -> str:
    items = tuple(UsingItem(u.rsplit(".", 1)[-1], False, sp(line, 40), "context", u)
                  for u in using)
    items += tuple(UsingItem(u.rsplit(".", 1)[-1], True, sp(line, 50), "context", u)
                   for u in forbid)
    body = kind not in (NodeKind.CTX_OP, NodeKind.CTX_CONST)
    g.add_node(FnNode(name, name, kind, sp(line), body, None, (), items,
                      bool(items) if clause is None else clause, context))
    return name


def op(g: CallGraph, name: str, ctx: str, line: int) -> str:
    return node(g, name, line, kind=NodeKind.CTX_OP, context=ctx)


def edge(g: CallGraph, a: str, b: str, line: int, kind: EdgeKind = EdgeKind.CALL,
         provided: frozenset[str] = frozenset()) -> None:
    g.add_edge(CallEdge(a, b, sp(line, 5), kind, provided=provided))


def diagnostics(g: CallGraph) -> list[tuple[str, str]]:
    needs = infer_needs(g)
    diags = check_contexts(needs, infer_effects(g), ["Database", "Config"])
    return [(d.code, d.message) for d in diags]


def test_needs_pass_through_undeclared_functions_and_stop_at_clauses() -> None:
    g = CallGraph()
    op(g, "Database.find", DB, 1)
    node(g, "load", 2)
    node(g, "handler", 3, using=(DB,))
    node(g, "outer", 4)
    edge(g, "load", "Database.find", 2)
    edge(g, "handler", "load", 3)
    edge(g, "outer", "handler", 4)
    needs = infer_needs(g)
    assert needs.of("load") == {DB}
    assert needs.of("outer") == {DB}
    assert [code for code, _ in diagnostics(g)] == ["E3101"]  # only `outer`, the chain's top
    assert "`outer` reaches context `Database`" in diagnostics(g)[0][1]


def test_clause_hides_what_it_misses_from_callers() -> None:
    g = CallGraph()
    op(g, "Config.url", CFG, 1)
    op(g, "Database.find", DB, 2)
    node(g, "half", 3, using=(DB,))
    node(g, "caller", 4, using=(DB,))
    edge(g, "half", "Database.find", 3)
    edge(g, "half", "Config.url", 3)
    edge(g, "caller", "half", 4)
    found = diagnostics(g)
    assert len(found) == 1 and "`half` reaches context `Config`" in found[0][1]


def test_provide_in_scope_covers_a_call() -> None:
    g = CallGraph()
    op(g, "Database.find", DB, 1)
    node(g, "h", 2, using=(DB,))
    node(g, "main", 3)
    g.entry = "main"
    edge(g, "h", "Database.find", 2)
    edge(g, "main", "h", 3, provided=frozenset({DB}))
    assert diagnostics(g) == []
    g2 = CallGraph()
    op(g2, "Database.find", DB, 1)
    node(g2, "h", 2, using=(DB,))
    node(g2, "main", 3)
    g2.entry = "main"
    edge(g2, "h", "Database.find", 2)
    edge(g2, "main", "h", 3)
    assert [c for c, _ in diagnostics(g2)] == ["E3101"]


def test_closures_carry_needs_except_a_supervised_start() -> None:
    g = CallGraph()
    op(g, "Database.connect", DB, 1)
    node(g, "Config.url", 2, kind=NodeKind.CTX_CONST, context=CFG)
    node(g, "main", 3, using=(CFG,))
    node(g, "start", 4, kind=NodeKind.CLOSURE)
    g.entry = "main"
    edge(g, "start", "Database.connect", 4)
    edge(g, "start", "Config.url", 4)
    edge(g, "main", "start", 4, EdgeKind.CLOSURE)
    g.start_closures.append(StartClosure("start", "db", sp(4)))
    assert diagnostics(g) == []
    assert infer_needs(g).of("main") == {CFG}
    g.start_closures.clear()
    assert [c for c, _ in diagnostics(g)] == ["E3101"]


def test_roots() -> None:
    g = CallGraph()
    node(g, "called", 1)
    node(g, "handler", 2)
    node(g, "orphan", 3)
    node(g, "main", 4)
    edge(g, "main", "called", 4)
    edge(g, "main", "handler", 4, EdgeKind.REF)
    g.entry = "main"
    roots = {n for n in g.nodes if is_root(g, g.nodes[n])}
    assert roots == {"handler", "orphan", "main"}


def test_negative_context_is_e3103_not_e3101() -> None:
    g = CallGraph()
    op(g, "Database.find", DB, 1)
    node(g, "total", 2, using=(DB,))
    node(g, "report", 3, forbid=(DB,))
    edge(g, "total", "Database.find", 2)
    edge(g, "report", "total", 3)
    assert [c for c, _ in diagnostics(g)] == ["E3103"]


def test_plan_and_e3102() -> None:
    g = CallGraph()
    op(g, "Database.find", DB, 1)
    node(g, "get_user", 2, using=(DB,))
    node(g, "main", 3, using=(CFG,))
    g.entry = "main"
    edge(g, "get_user", "Database.find", 2)
    edge(g, "main", "get_user", 3, EdgeKind.REF)
    g.routes.append(RouteSite("/users/:id", "GET", "get_user", sp(3, 30), "main"))
    needs = infer_needs(g)
    plan, diags = plan_contexts(needs, {DB: None, CFG: "app.cfg:load"})
    assert [d.code for d in diags] == ["E3102"]
    assert diags[0].message.startswith("route `GET /users/:id` needs context `Database`")
    assert [(p.context, p.kind, p.python) for p in plan.providers] == [(CFG, "entry", "app.cfg:load")]
    assert plan.routes[0].contexts == {DB}


def test_supervised_child_provides_for_routes() -> None:
    g = CallGraph()
    op(g, "Database.find", DB, 1)
    op(g, "Database.connect", DB, 2)
    node(g, "get_user", 3, using=(DB,))
    node(g, "main", 4)
    node(g, "start", 5, kind=NodeKind.CLOSURE)
    g.entry = "main"
    edge(g, "get_user", "Database.find", 3)
    edge(g, "main", "get_user", 4, EdgeKind.REF)
    edge(g, "start", "Database.connect", 5)
    edge(g, "main", "start", 5, EdgeKind.CLOSURE)
    g.start_closures.append(StartClosure("start", "db", sp(5)))
    g.routes.append(RouteSite("/u", "GET", "get_user", sp(4, 30), "main"))
    plan, diags = plan_contexts(infer_needs(g), {})
    assert diags == []
    assert [(p.context, p.kind, p.child) for p in plan.providers] == [(DB, "supervised", "db")]


# ---------------------------------------------------------------- whole pipeline


def test_seed_rest_example_plan() -> None:
    outcome = run(next(p for p in CORPUS if p.name == "seed_rest_api.vr"))
    assert outcome.plan is not None
    assert not [d for d in outcome.stage6 if d.is_error]
    kinds = {(p.context.rsplit(".", 1)[-1], p.kind, p.child) for p in outcome.plan.providers}
    assert kinds == {("Config", "entry", None), ("Database", "supervised", "db")}
    assert {(r.method, r.path) for r in outcome.plan.routes} == {
        ("GET", "/users/:id"), ("POST", "/users")}


def test_provide_plan_keeps_the_expression() -> None:
    outcome = run(next(p for p in CORPUS if p.name == "provide_covers_routes.vr"))
    assert outcome.plan is not None
    (prov,) = outcome.plan.providers
    assert prov.kind == "provide" and prov.value is not None and prov.function.endswith("main")


def test_out_of_scope_provide_is_named_in_a_note() -> None:
    outcome = run(next(p for p in CORPUS if p.name == "provide_scope_does_not_cover_route.vr"))
    (diag,) = [d for d in outcome.stage6 if d.code == "E3102"]
    assert any("scope does not cover" in n for n in diag.notes)


def test_unknown_context_suggests_the_closest() -> None:
    outcome = run(next(p for p in CORPUS if p.name == "unknown_context.vr"))
    (diag,) = [d for d in outcome.stage6 if d.code == "E3104"]
    assert "did you mean `Database`?" in diag.notes
