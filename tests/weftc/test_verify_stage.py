"""Stage 5 as a CI gate: cache behaviour, solver discipline, JSON/SARIF, weft-proofs.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import z3

from tests.weftc.test_cli import sarif_schema
from weftc.pipeline import STAGES, Compilation, run_stages
from weftc.source import SourceFile
from weftc.typecheck.checked import CheckedProgram
from weftc.verify import run_verify
from weftc.verify.prover import Prover

ROOT = Path(__file__).resolve().parents[2]

CALLEE = """
fn g(x: Int{>= 0}) -> Int{>= 0} { x }
fn uses_g(a: Int{>= 5}) -> Int{>= 0} { g(a) }
fn other(b: Int{>= 1}) -> Int{>= 1} { if b > 10 { b - 5 } else { b } }
fn main() {}
"""


def checked(text: str, name: str = "v.vr") -> CheckedProgram:
    upto = tuple(s for s in STAGES if s.name in ("syntax", "modules", "typecheck"))
    comp = run_stages(Compilation(SourceFile.from_text(name, text)), upto)
    assert comp.ok and comp.checked is not None, comp.diagnostics
    return comp.checked


def test_second_run_makes_no_solver_calls(tmp_path: Path) -> None:
    c = checked(CALLEE)
    first = Prover(tmp_path)
    report, diags = run_verify(c, prover=first)
    assert not diags and first.solver_calls > 0
    assert all(r.status in ("proved", "evaluated") for r in report.results)
    second = Prover(tmp_path)
    again, diags2 = run_verify(checked(CALLEE), prover=second)
    assert not diags2
    assert second.solver_calls == 0
    assert len(again.results) == len(report.results)
    assert all(r.cached for r in again.results)


def test_changing_a_callee_refinement_reruns_exactly_what_assumed_it(tmp_path: Path) -> None:
    run_verify(checked(CALLEE), prover=Prover(tmp_path))
    # `g` now promises `> -1` instead of `>= 0`: g's own return goal changes,
    # and so does `uses_g`'s return goal (it assumes g's result); `uses_g`'s
    # argument goal and everything in `other` are untouched.
    edited = CALLEE.replace("-> Int{>= 0} { x }", "-> Int{> -1} { x }")
    prover = Prover(tmp_path)
    report, diags = run_verify(checked(edited), prover=prover)
    assert not diags
    resolved = sorted((r.function, r.kind) for r in report.results if not r.cached
                      and r.status == "proved")
    assert resolved == [("v.g", "return"), ("v.uses_g", "return")]
    assert prover.solver_calls == 2


def test_literal_goals_need_no_solver(tmp_path: Path) -> None:
    c = checked("fn f(x: Int{> 0}) -> Bool { true }\nfn main() { f(5); }\n")
    prover = Prover(tmp_path)
    report, _ = run_verify(c, prover=prover)
    assert [r.status for r in report.results] == ["evaluated"]
    assert prover.solver_calls == 0


def test_failure_names_the_failing_conjunct_and_counterexample(tmp_path: Path) -> None:
    text = ("type UserId is Int where |n| { n >= 1 && n <= 1_000_000_000 };\n"
            "fn next(id: UserId) -> UserId { id + 1 }\nfn main() {}\n")
    _, diags = run_verify(checked(text), prover=Prover(tmp_path))
    [d] = diags
    assert d.code == "E2001" and (d.span.line, d.span.column) == (2, 33)
    assert "`id + 1` must satisfy UserId" in d.message
    assert any("`n <= 1_000_000_000`" in n for n in d.notes)
    assert d.counterexample == {"id": "1000000000"}


HARD = """
fn cube(x: Int, y: Int, z: Int) -> Int{it != 33} { x * x * x + y * y * y + z * z * z }
@verify(runtime)
fn cube_checked(x: Int, y: Int, z: Int) -> Int{it != 33} { x * x * x + y * y * y + z * z * z }
fn main() {}
"""


def test_undecided_goal_is_an_error_unless_marked_runtime(tmp_path: Path) -> None:
    # A tiny deterministic resource limit makes the solver give up on a
    # nonlinear goal; the result is the same on any machine load.
    report, diags = run_verify(checked(HARD), prover=Prover(tmp_path, rlimit=2_000))
    codes = sorted(d.code for d in diags)
    assert codes == ["E2002", "W2002"]
    statuses = {r.function: r.status for r in report.results}
    assert statuses == {"v.cube": "unknown", "v.cube_checked": "runtime-check"}
    assert len(report.runtime_checks) == 1


def test_prover_key_covers_the_z3_version_and_limits(tmp_path: Path) -> None:
    x = z3.Int("x")
    a, b = Prover(tmp_path, rlimit=1000), Prover(tmp_path, rlimit=2000)
    assert a.key([x > 0], x > 1) != b.key([x > 0], x > 1)
    assert a.key([x > 0], x > 1) == Prover(tmp_path, rlimit=1000).key([x > 0], x > 1)


def _weftc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weftc", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120,
                          env={"WEFTC_CACHE_DIR": str(cwd / "cache"), "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(ROOT)})


def test_check_json_and_sarif_carry_the_counterexample(tmp_path: Path) -> None:
    src = tmp_path / "bad.vr"
    src.write_text("type Pct is Int{>= 0 && <= 100};\nfn half(p: Pct) -> Pct { p * 2 }\n"
                   "fn main() {}\n")
    done = _weftc("check", str(src), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    [diag] = json.loads(done.stdout)["diagnostics"]
    assert diag["code"] == "E2001" and diag["line"] == 2
    assert set(diag["counterexample"]) == {"p"}
    assert 51 <= int(diag["counterexample"]["p"]) <= 100
    sarif = json.loads(_weftc("check", str(src), "--format", "sarif", cwd=tmp_path).stdout)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    assert sarif["runs"][0]["results"][0]["ruleId"] == "E2001"


def test_build_writes_weft_proofs_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _weftc("build", str(ROOT / "examples" / "refined_routes.vr"), "-o", str(out),
                  cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((out / "refined_routes" / "weft-proofs.json").read_text())
    assert doc["solver"]["name"] == "z3" and doc["solver"]["rlimit"] > 0
    obligations = doc["obligations"]
    assert obligations and doc["summary"]["total"] == len(obligations)
    kinds = {o["kind"] for o in obligations}
    assert {"let", "link"} <= kinds
    for o in obligations:
        assert o["status"] in ("proved", "evaluated")
        assert o["line"] >= 1 and o["column"] >= 1 and isinstance(o["solver_ms"], float)
        assert o["status"] == "evaluated" or len(o["hash"]) == 64


def test_generated_code_checks_the_boundary_and_trusts_proofs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _weftc("build", str(ROOT / "examples" / "refined_routes.vr"), "-o", str(out),
                  cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    app = (out / "refined_routes" / "app.py").read_text()
    # Request input is checked where it is extracted, by the predicate's Python...
    assert "PathParam.int('id', refine=refine_UserId" in app
    assert "PathParam.str('version', refine=refine_ValidApiVersion" in app
    # ...while `let next: UserId = id + 1;`, proven under `if id < 1_000_000_000`,
    # carries no check, and neither does the verified link built from it.
    assert "next = (id + 1)\n" in app
    body = app[app.index("def next_user"):app.index("# ----", app.index("def next_user"))]
    assert "refine_" not in body
