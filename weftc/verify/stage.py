"""Stage 5: walk every user function, prove each goal, report in source terms."""

from __future__ import annotations

import hashlib
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from weftc.diagnostics import Diagnostic, Label, error, warning
from weftc.routes.table import Route, route_table
from weftc.source import Span
from weftc.syntax import ast
from weftc.syntax.traverse import child_nodes
from weftc.typecheck.checked import CheckedProgram, Obligation
from weftc.verify.encode import Universe
from weftc.verify.prover import RLIMIT, Prover, Verdict
from weftc.verify.walk import BodyWalker, Goal, known_state

CACHE_ENV = "WEFTC_CACHE_DIR"
RLIMIT_ENV = "WEFTC_RLIMIT"


@dataclass(frozen=True, slots=True)
class ProofResult:
    """One goal's outcome, as `weft-proofs.json` lists it."""

    kind: str
    function: str
    span: Span
    target: str
    predicate: str
    status: str
    solver_ms: float
    cached: bool
    hash: str
    value_id: int


@dataclass(frozen=True, slots=True)
class ProofReport:
    """Every goal's result, plus what codegen needs: the flows to check at run time."""

    results: tuple[ProofResult, ...]
    runtime_checks: frozenset[int]
    solver_calls: int
    seconds: float


def cache_dir_for(entry_file: str) -> Path:
    """`$WEFTC_CACHE_DIR/proofs`, else `.weft-cache/proofs` beside the entry file."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root) / "proofs"
    return Path(entry_file).resolve().parent / ".weft-cache" / "proofs"


def has_runtime_attr(decl: ast.FnDecl) -> bool:
    """`@verify(runtime)`: undecided flows in this function become run-time checks."""
    for a in decl.attributes:
        if a.name.name == "verify" and a.args:
            if any("runtime" in _attr_text(arg) for arg in a.args):
                return True
    return False


def _attr_text(arg: object) -> str:
    value = getattr(arg, "value", arg)
    if isinstance(value, ast.Name):
        return value.name
    return str(getattr(value, "name", value))


class _Run:
    """One verification run: solves goals function by function."""

    def __init__(self, u: Universe, prover: Prover) -> None:
        self.u = u
        self.prover = prover
        self.results: list[ProofResult] = []
        self.diags: list[Diagnostic] = []
        self.runtime: set[int] = set()
        self.reported: set[tuple[int, str]] = set()

    def solve(self, goals: list[Goal]) -> list[ProofResult]:
        out: list[ProofResult] = []
        for g in goals:
            if g.error is not None:
                out.append(ProofResult(g.kind, g.function, g.span, g.target, g.whole,
                                       "unencodable", 0.0, False, "", g.value_id))
                if (g.value_id, "E2003") not in self.reported:
                    self.reported.add((g.value_id, "E2003"))
                    self.diags.append(_unencodable(g))
                continue
            assert g.part is not None
            verdict = self.prover.prove(g.facts, g.part.term, self.u.axioms, g.shown)
            status = verdict.status
            if status == "unknown" and g.runtime:
                status = "runtime-check"
                self.runtime.add(g.value_id)
            out.append(ProofResult(g.kind, g.function, g.span, g.target, g.part.text, status,
                                   round(verdict.solver_ms, 3), verdict.cached, verdict.key,
                                   g.value_id))
            if status in ("proved", "evaluated") or (g.value_id, g.kind) in self.reported:
                continue
            self.reported.add((g.value_id, g.kind))
            self.diags.append(_diagnose(self.u, g, verdict, status))
        self.results.extend(out)
        return out


def rlimit_from_env() -> int:
    """`$WEFTC_RLIMIT` (Z3 resource units per goal), else the default."""
    raw = os.environ.get(RLIMIT_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else RLIMIT


def run_verify(checked: CheckedProgram, cache_dir: Path | None = None,
               prover: Prover | None = None,
               rlimit: int = 0) -> tuple[ProofReport, list[Diagnostic]]:
    """Prove every flow of the user's modules.

    Two cache levels: a function whose text and whose program context (every
    declaration, signature, contract, pure body and route — see
    `context_digest`) are unchanged, and whose goals all proved last time,
    is not walked at all; otherwise each goal's verdict is looked up by the
    hash of its sliced obligation, so editing a callee's refinement re-solves
    exactly the goals that assumed it.
    """
    started = time.perf_counter()
    program = checked.program
    user_files = {info.source.name for info in program.modules.values() if not info.is_stdlib}
    by_value: dict[int, list[Obligation]] = defaultdict(list)
    for ob in checked.obligations:
        if ob.span.file in user_files:
            by_value[id(ob.value)].append(ob)
    u = Universe(checked)
    u.routes = route_table(checked)
    prover = prover if prover is not None else Prover(cache_dir, rlimit or RLIMIT)
    run = _Run(u, prover)
    context = context_digest(checked, u.routes)
    visited: set[int] = set()
    for sig in checked.checked_functions:
        decl = sig.decl
        if not isinstance(decl, ast.FnDecl) or decl.span.file not in user_files:
            continue
        runtime_ok = has_runtime_attr(decl)
        fn_key = prover.function_key(context, sig.qualified, u.text(decl), runtime_ok)
        hit = prover.function_results(fn_key)
        if hit is not None:
            run.results.extend(_revive(r, decl.span.file) for r in hit)
            visited.update(k for k, obs in by_value.items()
                           if _within(obs[0].span, decl.span))
            continue
        u.scope = sig.qualified
        walker = BodyWalker(u, by_value, visited, sig.qualified, runtime_ok)
        walker.run(sig)
        run.diags.extend(walker.diags)
        solved = run.solve(walker.goals)
        if not walker.diags and all(r.status in ("proved", "evaluated") for r in solved):
            prover.store_function(fn_key, [_freeze(r) for r in solved])
    for key, obs in by_value.items():
        if key not in visited:
            u.scope = f"<{obs[0].function}>"
            walker = BodyWalker(u, by_value, visited, obs[0].function, False)
            walker.expr(obs[0].value)
            run.solve(walker.goals)
    prover.save()
    report = ProofReport(tuple(run.results), frozenset(run.runtime), prover.solver_calls,
                         time.perf_counter() - started)
    return report, run.diags


def context_digest(checked: CheckedProgram, routes: tuple[Route, ...]) -> str:
    """What any function's proofs may depend on besides its own text: every
    user module with the bodies of non-`pure` functions left out, the stdlib
    sources, and the route table."""
    h = hashlib.sha256()
    for name, info in sorted(checked.program.modules.items()):
        text = info.source.text
        if not info.is_stdlib:
            cuts = sorted(_opaque_bodies(info.items))
            pieces, at = [], 0
            for start, end in cuts:
                if start >= at:
                    pieces.append(text[at:start])
                    at = end
            pieces.append(text[at:])
            text = "{}".join(pieces)
        h.update(f"\x00{name}\x00".encode())
        h.update(text.encode())
    for r in routes:
        h.update(f"\x00{r.method} {r.path} {r.handler_name} "
                 f"{[(x.name, str(x.type)) for x in r.extractors or ()]}".encode())
    return h.hexdigest()


def _opaque_bodies(items: tuple[ast.Item, ...]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []

    def visit(node: object) -> None:
        if isinstance(node, ast.FnDecl) and node.body is not None \
                and "pure" not in node.modifiers:
            out.append((node.body.span.start, node.body.span.end))
            return
        if isinstance(node, ast.Item):
            for child in child_nodes(node):
                visit(child)

    for item in items:
        visit(item)
    return out


def _within(inner: Span, outer: Span) -> bool:
    return inner.file == outer.file and outer.start <= inner.start < outer.end


def _freeze(r: ProofResult) -> dict[str, object]:
    s = r.span
    return {"kind": r.kind, "function": r.function, "target": r.target,
            "predicate": r.predicate, "status": r.status, "hash": r.hash,
            "span": [s.start, s.end, s.line, s.column, s.end_line, s.end_column]}


def _revive(d: dict[str, object], file: str) -> ProofResult:
    start, end, line, column, end_line, end_column = (int(x) for x in d["span"])  # type: ignore[attr-defined]
    span = Span(file, start, end, line, column, end_line, end_column)
    return ProofResult(str(d["kind"]), str(d["function"]), span, str(d["target"]),
                       str(d["predicate"]), str(d["status"]), 0.0, True, str(d["hash"]), 0)


# ================================================================ messages


def _counterexample(u: Universe, verdict: Verdict) -> dict[str, str]:
    """Model values by source name: the goal's constants, then the locals the
    flowing value names (`=label` entries), each name once."""
    named: list[tuple[str, str, str]] = []
    for name, raw in verdict.model:
        label = name[1:] if name.startswith("=") else u.labels.get(name, name)
        value = raw
        if name in u.enum_names and raw.lstrip("-").isdigit():
            variants = u.enum_names[name]
            i = int(raw)
            value = variants[i] if 0 <= i < len(variants) else raw
        named.append((name, label, value))
    counts: dict[str, set[str]] = defaultdict(set)
    for name, label, _ in named:
        if not name.startswith("="):
            counts[label].add(name)
    out: dict[str, str] = {}
    for name, label, value in named:
        if name.startswith("="):
            out.setdefault(label, value)
        else:
            out.setdefault(label if len(counts[label]) == 1 else name.split("/", 1)[-1], value)
    return out


def _when(cex: dict[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in cex.items())


def _diagnose(u: Universe, g: Goal, verdict: Verdict, status: str) -> Diagnostic:
    assert g.part is not None
    cex = _counterexample(u, verdict)
    labels = [Label(g.target_span, _defined_here(g))]
    notes: list[str] = []
    if status == "runtime-check":
        return warning("W2002", f"`{g.value_text}` is checked at run time against {g.target}: "
                       f"the solver could not decide `{g.part.text}` ({verdict.reason})",
                       g.span, labels=labels)
    if status == "unknown":
        return error("E2002", f"could not decide whether `{g.value_text}` satisfies "
                     f"{_target(g)}: the solver gave up on `{g.part.text}` ({verdict.reason})",
                     g.span, labels=labels,
                     help="simplify the predicate, add a guard, or mark the function "
                          "`@verify(runtime)` to check this flow at run time instead")
    if g.part.text != g.whole:
        notes.append(f"the part that fails: `{g.part.text}`")
    if cex:
        notes.append(f"fails when {_when(cex)}")
    elif verdict.reason:
        notes.append(f"`{g.value_text}` {verdict.reason}")
    if g.kind == "requires":
        if g.state is not None:
            known = known_state(u, g.facts, g.state)
            notes.insert(0, f"known here: `{_subject(g.part.text)}` is {known}")
        return error("E2004", f"`{g.value_text}` requires `{g.part.text}`, which is not "
                     f"known to hold here", g.span, labels=labels, notes=notes,
                     counterexample=cex,
                     help="check the state first (`if`/`match`), or call what establishes it")
    if g.kind == "link" and g.link is not None:
        k = g.link
        return error("E4006", f"`{k.link}` matches {k.route}, but `{k.shown}` for `:{k.param}` "
                     f"must satisfy {_target(g)}", g.span, labels=labels, notes=notes,
                     counterexample=cex or {k.param: k.shown})
    if g.kind == "ensures":
        return error("E2005", f"`{g.target}` ensures `{g.part.text}`, but this path does not "
                     f"establish it", g.span, labels=labels, notes=notes, counterexample=cex)
    return error("E2001", f"`{g.value_text}` must satisfy {_target(g)}", g.span,
                 labels=labels, notes=notes, counterexample=cex,
                 help="guard the value with an `if`, or change the type it comes from")


def _target(g: Goal) -> str:
    if g.target == g.whole:
        return f"`{g.whole}`"
    return f"{g.target}: {g.whole}"


def _subject(text: str) -> str:
    return text.split("==")[0].strip() if "==" in text else text


def _defined_here(g: Goal) -> str:
    if g.kind in ("requires", "ensures"):
        return f"contract of `{g.target}`"
    return f"refinement `{g.target}` defined here" if g.target != g.whole \
        else "refinement defined here"


def _unencodable(g: Goal) -> Diagnostic:
    return error("E2003", f"cannot verify `{g.value_text}` against {_target(g)}: {g.error} "
                 "cannot be expressed for the solver", g.span,
                 labels=[Label(g.target_span, _defined_here(g))],
                 help="predicates may use arithmetic, comparisons, `&&`/`||`/`!`, `len`, "
                      "text methods, literals, constants and `pure` single-expression functions")
