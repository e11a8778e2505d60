"""The syntax corpus: `tests/syntax/accept/*.vr` must parse without errors;
each `tests/syntax/reject/*.vr` must produce the diagnostic its first line names.

A rejected file starts with a header line `// expect: E0001 3:5`: the code and
the 1-based line:column of the primary span. Among the file's diagnostics one
must have exactly that code at exactly that position.

Re-blessing: run `WEFT_BLESS=1 .venv/bin/pytest tests/weftc/test_syntax_corpus.py`
to rewrite every header that disagrees with the parser with the first error
(in source order) the parser reports. Review the diff before committing: a
bless records what the parser does, not what it should do.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from corpus_gaps import cases

from weftc.diagnostics import Diagnostic
from weftc.pipeline import parse_file

ROOT = Path(__file__).resolve().parents[2]
ACCEPT = sorted((ROOT / "tests" / "syntax" / "accept").glob("*.vr"))
REJECT = sorted((ROOT / "tests" / "syntax" / "reject").glob("*.vr"))
HEADER = re.compile(rb"^// expect: ([EW]\d{4}) (\d+):(\d+)[ \t]*\r?\n")
BLESS = os.environ.get("WEFT_BLESS") == "1"



def _describe(diags: tuple[Diagnostic, ...]) -> str:
    return "\n".join(f"  {d.code} {d.span.line}:{d.span.column} {d.message}" for d in diags)


def test_corpus_sizes() -> None:
    assert len(ACCEPT) >= 60
    assert len(REJECT) >= 40


@pytest.mark.parametrize("path", cases(ACCEPT))
def test_accepted(path: Path) -> None:
    comp = parse_file(path)
    errors = tuple(d for d in comp.diagnostics if d.is_error)
    assert not errors, f"{path.name} should parse:\n{_describe(errors)}"
    assert comp.module is not None


@pytest.mark.parametrize("path", cases(REJECT))
def test_rejected(path: Path) -> None:
    raw = path.read_bytes()
    m = HEADER.match(raw)
    assert m, f"{path.name}: first line must be `// expect: CODE LINE:COL`"
    code, line, col = m.group(1).decode(), int(m.group(2)), int(m.group(3))
    comp = parse_file(path)
    errors = tuple(d for d in comp.diagnostics if d.is_error)
    assert errors, f"{path.name} parsed without errors"
    hit = any(d.code == code and (d.span.line, d.span.column) == (line, col)
              for d in comp.diagnostics)
    if hit:
        return
    if BLESS:
        first = min(errors, key=lambda d: (d.span.line, d.span.column))
        header = f"// expect: {first.code} {first.span.line}:{first.span.column}\n".encode()
        path.write_bytes(header + raw[m.end():])
        return
    pytest.fail(f"{path.name}: expected {code} at {line}:{col}, got:\n"
                f"{_describe(comp.diagnostics)}")
