"""Stage 4, typecheck: bidirectional checking of every user body.

`check_types(program)` resolves names (stage 3, `weftc.resolve`) and types
(this package) and returns a `CheckedProgram` plus diagnostics (E1101-E1215,
W1201; see docs/diagnostics.md). `check_source` runs stages 1-4 on one file
for tools and tests that do not go through `weftc.pipeline`.
"""

from __future__ import annotations

from weftc.diagnostics import Diagnostic, sort_key
from weftc.modules import load_program
from weftc.source import SourceFile
from weftc.syntax import parse
from weftc.typecheck.check import check_types
from weftc.typecheck.checked import CheckedProgram, Obligation, ParamSig, Signature

__all__ = ["CheckedProgram", "Obligation", "ParamSig", "Signature", "check_source",
           "check_types"]


def check_source(source: SourceFile) -> tuple[CheckedProgram | None, list[Diagnostic]]:
    """Parse, load mounts and type-check one entry file; stops early on errors."""
    parsed = parse(source)
    diags = list(parsed.diagnostics)
    if parsed.module is None:
        return None, diags
    program, more = load_program(source, parsed=parsed.module)
    diags.extend(more)
    if any(d.is_error for d in diags):
        return None, sorted(diags, key=sort_key)
    checked, found = check_types(program)
    return checked, sorted(diags + found, key=sort_key)
