"""Stage 6a: effect inference over hand-built call graphs, the checks, the
explanation, and the `tests/compiler/effects/` corpus (stages 1-6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from effects_corpus import CORPUS, EFFECTS, EXPECT, PROVIDES, describe, effect_line, run

from weftc.effects import (
    CallEdge,
    CallGraph,
    EdgeKind,
    Effect,
    EffectSet,
    FnNode,
    LocalEffect,
    NodeKind,
    ProtocolBound,
    Via,
    check_effects,
    explain_effects,
    infer_effects,
)
from weftc.effects.solve import components
from weftc.source import Span

IO, ASYNC, MUT = Effect.IO, Effect.ASYNC, Effect.MUTATES


def sp(line: int, col: int = 1) -> Span:
    return Span("t.vr", line * 100 + col, line * 100 + col + 3, line, col, line, col + 3)


def fn(graph: CallGraph, name: str, line: int, *, body: bool = True,
       declared: EffectSet | None = None, local: tuple[LocalEffect, ...] = (),
       kind: NodeKind = NodeKind.FN, bound: ProtocolBound | None = None) -> str:
    graph.add_node(FnNode(name, name, kind, sp(line), body, declared, local, protocol_bound=bound))
    return name


def call(graph: CallGraph, a: str, b: str, line: int, **kw: object) -> None:
    graph.add_edge(CallEdge(a, b, sp(line, 5), **kw))  # type: ignore[arg-type]


def test_effect_set_render_and_bounds() -> None:
    s = EffectSet.of(IO, ASYNC, Effect.FALLIBLE)
    assert s.render() == "Async, Fallible, IO"
    assert EffectSet().render() == "Pure" and EffectSet().is_pure
    assert s.exceeding(EffectSet.of(IO)) == EffectSet.of(ASYNC)
    assert EffectSet.of(Effect.DIVERGENT, Effect.FALLIBLE).exceeding(EffectSet()).is_pure


def test_bottom_up_through_a_chain_with_reasons() -> None:
    g = CallGraph()
    fn(g, "print", 1, body=False, declared=EffectSet.of(IO))
    fn(g, "trace", 2)
    fn(g, "step", 3)
    call(g, "trace", "print", 2)
    call(g, "step", "trace", 3)
    report = infer_effects(g)
    assert report.of("step") == EffectSet.of(IO)
    reasons = report.chain("step", IO)
    assert [r.edge.callee for r in reasons if isinstance(r, Via)] == ["trace", "print"]


def test_recursion_reaches_a_fixpoint() -> None:
    g = CallGraph()
    fn(g, "print", 1, body=False, declared=EffectSet.of(IO))
    fn(g, "even", 2)
    fn(g, "odd", 3)
    fn(g, "self_loop", 4, local=(LocalEffect(MUT, sp(4), "assigns"),))
    call(g, "even", "odd", 2)
    call(g, "odd", "even", 3)
    call(g, "odd", "print", 3)
    call(g, "self_loop", "self_loop", 4)
    report = infer_effects(g)
    assert report.of("even") == report.of("odd") == EffectSet.of(IO)
    assert report.of("self_loop") == EffectSet.of(MUT)
    comps = [sorted(c) for c in components(g)]
    assert ["even", "odd"] in comps
    assert comps.index(["print"]) < comps.index(["even", "odd"])


def test_async_crosses_only_awaited_calls() -> None:
    g = CallGraph()
    fn(g, "find", 1, body=False, declared=EffectSet.of(ASYNC, IO), kind=NodeKind.CTX_OP)
    fn(g, "quick", 2)  # an async fn that never awaits
    fn(g, "awaits", 3)
    fn(g, "awaits_quick", 4)
    fn(g, "builds_future", 5)
    fn(g, "closure_awaits", 6, kind=NodeKind.CLOSURE)
    fn(g, "makes_closure", 7)
    call(g, "awaits", "find", 3, awaited=True)
    call(g, "awaits_quick", "quick", 4, awaited=True)
    call(g, "builds_future", "find", 5)
    call(g, "closure_awaits", "find", 6, awaited=True)
    call(g, "makes_closure", "closure_awaits", 7, kind=EdgeKind.CLOSURE)
    report = infer_effects(g)
    assert report.of("awaits") == EffectSet.of(ASYNC, IO)
    assert report.of("awaits_quick").is_pure
    assert report.of("builds_future") == EffectSet.of(IO)
    assert report.of("makes_closure") == EffectSet.of(IO)


def test_mutates_stays_in_the_frame_for_owned_receivers_and_refs_carry_nothing() -> None:
    g = CallGraph()
    fn(g, "push", 1, body=False, declared=EffectSet.of(MUT))
    fn(g, "local_push", 2)
    fn(g, "param_push", 3)
    fn(g, "registers", 4)
    call(g, "local_push", "push", 2, local_receiver=True)
    call(g, "param_push", "push", 3)
    call(g, "registers", "param_push", 4, kind=EdgeKind.REF)
    report = infer_effects(g)
    assert report.of("local_push").is_pure
    assert report.of("param_push") == EffectSet.of(MUT)
    assert report.of("registers").is_pure


def test_e3001_groups_effects_by_the_offending_call() -> None:
    g = CallGraph()
    fn(g, "find", 1, body=False, declared=EffectSet.of(ASYNC, IO))
    fn(g, "pure_fn", 2, declared=EffectSet())
    call(g, "pure_fn", "find", 3, awaited=True)
    diags = check_effects(infer_effects(g))
    assert [d.code for d in diags] == ["E3001"]
    assert diags[0].message == "`pure_fn` is declared pure but calls `find` (Async, IO)"
    assert diags[0].span == sp(3, 5)


def test_e3002_layer_wrap_and_bodiless_declarations_are_not_checked() -> None:
    g = CallGraph()
    fn(g, "db", 1, body=False, declared=EffectSet.of(IO), kind=NodeKind.CTX_OP)
    fn(g, "L.wrap", 2, kind=NodeKind.METHOD,
       bound=ProtocolBound("Layer.wrap", "core.net.weft.service.Layer", EffectSet(), True))
    call(g, "L.wrap", "db", 3)
    diags = check_effects(infer_effects(g))
    assert [d.code for d in diags] == ["E3002"]
    assert "calls `db` (IO)" in diags[0].message


def test_explain_effects_lines() -> None:
    g = CallGraph()
    fn(g, "find", 1, body=False, declared=EffectSet.of(ASYNC, IO))
    fn(g, "get_user", 2, local=(LocalEffect(Effect.FALLIBLE, sp(2), "uses `?`"),))
    fn(g, "hello", 3)
    call(g, "get_user", "find", 2, awaited=True)
    text = explain_effects(infer_effects(g))
    assert text.splitlines() == ["get_user: Async, Fallible, IO (via find)", "hello: Pure"]


def test_graph_rejects_dangling_edges() -> None:
    g = CallGraph()
    fn(g, "a", 1)
    with pytest.raises(KeyError):
        call(g, "a", "missing", 1)
    with pytest.raises(ValueError):
        fn(g, "a", 2)


# ---------------------------------------------------------------- corpus


def test_corpus_size() -> None:
    assert len(CORPUS) >= 15
    assert sum(1 for p in CORPUS if "// expect: ok" not in p.read_text()) >= 15


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus(path: Path) -> None:
    text = path.read_text()
    m = EXPECT.search(text)
    assert m, f"{path.name}: needs an `// expect:` header"
    outcome = run(path)
    assert outcome.report is not None and outcome.plan is not None, \
        f"{path.name} must pass stages 1-4:\n{describe(outcome.before)}"
    if m.group(1):
        errors = [d for d in outcome.stage6 if d.is_error]
        assert not errors, f"{path.name} should pass stage 6:\n{describe(errors)}"
    else:
        code, line, col = m.group(2), int(m.group(3)), int(m.group(4))
        assert any(d.code == code and (d.span.line, d.span.column) == (line, col)
                   for d in outcome.stage6), \
            f"{path.name}: expected {code} at {line}:{col}, got:\n{describe(outcome.stage6)}"
    for name, want in EFFECTS.findall(text):
        assert effect_line(outcome.report, name) == f"{name}: {want}"
    for ctx, kind in PROVIDES.findall(text):
        assert any(p.context.rsplit(".", 1)[-1] == ctx and p.kind == kind
                   for p in outcome.plan.providers), f"no {kind} provider of {ctx}"


def test_seed_chain_labels_name_every_step() -> None:
    outcome = run(next(p for p in CORPUS if p.name == "ctx_missing_using_chain.vr"))
    (diag,) = [d for d in outcome.stage6 if d.code == "E3101"]
    assert "Database" in diag.message
    steps = [lab.message for lab in diag.labels]
    assert "`lookup` calls `load` here" in steps
    assert "`load` calls `Database.find` here" in steps
    assert diag.notes == ("call chain: get_user → lookup → load → Database.find",)


def test_layer_rejection_names_the_call() -> None:
    outcome = run(next(p for p in CORPUS if p.name == "layer_wrap_calls_database.vr"))
    (diag,) = [d for d in outcome.stage6 if d.code == "E3002"]
    assert "`Database.find_sync`" in diag.message


def test_codegen_query_is_async() -> None:
    outcome = run(next(p for p in CORPUS if p.name == "handler_without_await_is_sync.vr"))
    report = outcome.report
    assert report is not None
    nodes = {n.name: n for n in report.graph.nodes.values()}
    hello, main = nodes["hello"].decl, nodes["main"].decl
    assert hello is not None and main is not None
    assert not report.is_async(hello)
    assert report.is_async(main)
