"""`weft-proofs.json`: the build's record of every obligation and how it was discharged.

Written beside the generated package so a reviewer (or CI) can see what was
proven, what was only evaluated, and what is checked at run time instead.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import z3

from weftc.verify.prover import RLIMIT
from weftc.verify.stage import ProofReport

FORMAT_VERSION = 1


def proofs_document(report: ProofReport, program_file: str) -> dict[str, Any]:
    counts = Counter(r.status for r in report.results)
    return {
        "version": FORMAT_VERSION,
        "program": program_file,
        "solver": {"name": "z3", "version": z3.get_version_string(), "rlimit": RLIMIT},
        "summary": {"total": len(report.results), **dict(sorted(counts.items())),
                    "solver_calls": report.solver_calls,
                    "seconds": round(report.seconds, 4)},
        "obligations": [
            {"kind": r.kind, "function": r.function, "file": r.span.file,
             "line": r.span.line, "column": r.span.column,
             "end_line": r.span.end_line, "end_column": r.span.end_column,
             "target": r.target, "predicate": r.predicate, "status": r.status,
             "solver_ms": r.solver_ms, "cached": r.cached, "hash": r.hash}
            for r in report.results
        ],
    }


def render(report: ProofReport, program_file: str) -> str:
    return json.dumps(proofs_document(report, program_file), indent=2) + "\n"
