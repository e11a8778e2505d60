"""Stages 5 (verify) and 7 (routes): the verification corpus, written from
docs/verification.md and verum-subset.md §3-4, §10-12.

`pass/*.vr` (each starts with `// proves: …`) are programs whose every
refinement obligation, contract and route link is provable: they must check
clean, run the verify stage and report at least one proof result, every one
`proved` or `evaluated`.

`fail/*.vr` each fail in exactly one place. The first line is

    // expect: CODE LINE:COL [name=value ...]

`weftc check FILE --format json` (run in-process through `weftc.cli.main`, the
public contract) must report exactly one error, with that code at that
1-based position. Each `name=value` must be an entry of the diagnostic's
`counterexample` object: `value` is in Verum syntax (`5`, `-1`, `"v4"`,
`false`, `0.0`, `WsState.Closed`) when the failing value is forced, or `*`
when only the name must appear.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from weftc import cli
from weftc.pipeline import check_file

pytestmark = pytest.mark.timeout(60)

HERE = Path(__file__).resolve().parent
PASS = sorted((HERE / "pass").glob("*.vr"))
FAIL = sorted((HERE / "fail").glob("*.vr"))

PROVES = re.compile(r"^// proves: \S[^\n]*\n")
EXPECT = re.compile(r"^// expect: (?P<code>[EW]\d{4}) (?P<line>\d+):(?P<col>\d+)(?P<rest>[^\n]*)\n")
ENTRY = re.compile(r'\s+(?P<name>[A-Za-z_][A-Za-z0-9_.]*)=(?P<value>"(?:[^"\\]|\\.)*"|[^\s"]+)')
DISCHARGED = frozenset({"proved", "evaluated"})


@pytest.fixture(autouse=True)
def _private_proof_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep proof caches out of the source tree and independent between tests."""
    monkeypatch.setenv("WEFTC_CACHE_DIR", str(tmp_path / "weft-cache"))


def _expectation(path: Path) -> tuple[str, int, int, dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    m = EXPECT.match(text)
    assert m, f"{path.name}: first line must be `// expect: CODE LINE:COL [name=value ...]`"
    entries: dict[str, str] = {}
    rest = m.group("rest").rstrip()
    pos = 0
    while pos < len(rest):
        e = ENTRY.match(rest, pos)
        assert e, f"{path.name}: cannot read counterexample entries {rest[pos:]!r}"
        entries[e.group("name")] = e.group("value")
        pos = e.end()
    line, col = int(m.group("line")), int(m.group("col"))
    lines = text.splitlines()
    assert 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]), \
        f"{path.name}: {line}:{col} is outside the file"
    return m.group("code"), line, col, entries


def _check_json(path: Path) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["check", str(path), "--format", "json"])
    assert out.getvalue(), f"{path.name}: no JSON on stdout (exit {status}); stderr:\n{err.getvalue()}"
    doc = json.loads(out.getvalue())
    assert isinstance(doc, dict)
    return status, doc, err.getvalue()


def _describe(diags: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {d['code']} {d['line']}:{d['column']} {d['message']}"
                     f" counterexample={d.get('counterexample')}" for d in diags) or "  (none)"


def test_corpus_size() -> None:
    assert len(PASS) >= 40
    assert len(FAIL) >= 60


def test_names_are_distinct() -> None:
    assert not {p.stem for p in PASS} & {p.stem for p in FAIL}


# Provable programs the verifier does not prove yet (same rule as KNOWN_GAPS below).
KNOWN_PASS_GAPS: dict[str, str] = {}


@pytest.mark.parametrize("path", PASS, ids=lambda p: p.stem)
def test_proved(path: Path, request: pytest.FixtureRequest) -> None:
    if path.stem in KNOWN_PASS_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_PASS_GAPS[path.stem], strict=True))
    text = path.read_text(encoding="utf-8")
    assert PROVES.match(text), f"{path.name}: first line must be `// proves: …`"
    comp = check_file(path)
    errors = [d for d in comp.diagnostics if d.is_error]
    assert comp.ok, f"{path.name}:\n" + "\n".join(
        f"  {d.code} {d.span.line}:{d.span.column} {d.message} counterexample={d.counterexample}"
        for d in errors)
    assert "verify" in comp.stages_run, comp.stages_run
    if 'route#"' in text:
        assert "routes" in comp.stages_run, comp.stages_run
    report = comp.proofs
    assert report is not None, f"{path.name}: no proof report"
    assert report.results, f"{path.name}: the verifier reported no obligation"
    undischarged = [(r.kind, r.span.line, r.span.column, r.status) for r in report.results
                    if r.status not in DISCHARGED]
    assert not undischarged, f"{path.name}: {undischarged}"


# Known gaps of the verifier, each an open item in the issue note. strict:
# a gap that closes turns its xfail into a failure, so this list only shrinks.
KNOWN_GAPS: dict[str, str] = {}


@pytest.mark.parametrize("path", FAIL, ids=lambda p: p.stem)
def test_refuted(path: Path, request: pytest.FixtureRequest) -> None:
    if path.stem in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[path.stem], strict=True))
    code, line, col, entries = _expectation(path)
    status, doc, stderr = _check_json(path)
    errors = [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert status == cli.EXIT_DIAGNOSTICS and doc["ok"] is False, \
        f"{path.name}: expected {code} at {line}:{col}, got exit {status}:\n{_describe(errors)}\n{stderr}"
    assert len(errors) == 1, f"{path.name}: expected one error, {code} at {line}:{col}; got:\n{_describe(errors)}"
    d = errors[0]
    assert (d["code"], d["line"], d["column"]) == (code, line, col), \
        f"{path.name}: expected {code} at {line}:{col}; got:\n{_describe(errors)}"
    assert Path(d["file"]).name == path.name
    if not entries:
        return
    shown = d.get("counterexample")
    assert isinstance(shown, dict), f"{path.name}: {code} has no counterexample; expected {entries}"
    for name, value in entries.items():
        assert name in shown, f"{path.name}: counterexample {shown} lacks `{name}`"
        if value != "*":
            assert shown[name] == value, \
                f"{path.name}: counterexample `{name}` = {shown[name]}, expected {value} (forced)"
