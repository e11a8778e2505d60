"""Shared runner for `tests/compiler/effects/*.vr` (stages 1-6 on one file).

Headers, in the file's first lines:

* `// expect: E3xxx LINE:COL` — one stage-6 diagnostic with that code at
  that position (other errors may accompany it);
* `// expect: ok` — stages 1-6 report no error;
* `// effects: NAME: LINE` — `explain_line` for the function NAME is LINE;
* `// provides: CTX KIND` — the context plan has a KIND provider of CTX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from weftc.contexts import ContextPlan, run_effects_and_contexts
from weftc.diagnostics import Diagnostic
from weftc.effects import EffectReport, explain_line
from weftc.source import SourceFile
from weftc.typecheck import check_source

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted((ROOT / "tests" / "compiler" / "effects").glob("*.vr"))
EXPECT = re.compile(r"^// expect: (?:(ok)|([EW]\d{4}) (\d+):(\d+))\s*$", re.M)
EFFECTS = re.compile(r"^// effects: ([\w.<> :]+?): (.*)$", re.M)
PROVIDES = re.compile(r"^// provides: (\w+) (\w+)$", re.M)


@dataclass
class Outcome:
    before: list[Diagnostic]
    report: EffectReport | None
    plan: ContextPlan | None
    stage6: list[Diagnostic]


def run(path: Path) -> Outcome:
    checked, diags = check_source(SourceFile.read(path))
    if checked is None or any(d.is_error for d in diags):
        return Outcome(diags, None, None, [])
    report, plan, stage6 = run_effects_and_contexts(checked)
    return Outcome(diags, report, plan, stage6)


def effect_line(report: EffectReport, name: str) -> str | None:
    for node in report.graph.nodes.values():
        if node.name == name and not node.is_stdlib:
            return explain_line(report, node.id)
    return None


def describe(diags: list[Diagnostic]) -> str:
    return "\n".join(f"  {d.code} {d.span.line}:{d.span.column} {d.message}" for d in diags)
