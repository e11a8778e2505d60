"""Diagnostics are data: every stage appends `Diagnostic`s to a list; one
module renders them (human with caret spans, JSON per ARCHITECTURE.md, SARIF
2.1.0).

Codes: E0xxx syntax, E1xxx names and types, E2xxx refinements, E3xxx effects
and contexts, E4xxx routes, E5xxx supervision; Wxxxx warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from weftc.source import SourceFile, Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Label:
    """A secondary span with a message ("refinement defined here")."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None
    counterexample: Mapping[str, str] | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, message: str, span: Span, *, labels: Iterable[Label] = (),
          notes: Iterable[str] = (), help: str | None = None,
          counterexample: Mapping[str, str] | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, Severity.ERROR, tuple(labels), tuple(notes), help,
                      counterexample)


def warning(code: str, message: str, span: Span, *, labels: Iterable[Label] = (),
            notes: Iterable[str] = (), help: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, Severity.WARNING, tuple(labels), tuple(notes), help)


@dataclass(slots=True)
class DiagnosticSink:
    """The list a stage appends to; `has_errors` gates the next stage."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.span.file, d.span.start, d.span.end, d.code)


# ---------------------------------------------------------------- human


def _snippet(src: SourceFile | None, span: Span, label: str = "") -> list[str]:
    if src is None or span.file != src.name:
        return []
    text = src.line_text(span.line)
    gutter = str(span.end_line if span.end_line > span.line else span.line)
    pad = " " * len(gutter)
    width = (span.end_column - span.column) if span.end_line == span.line else len(text) - span.column + 1
    carets = "^" * max(1, width)
    out = [f"{pad} |", f"{str(span.line).rjust(len(gutter))} | {text}",
           f"{pad} | {' ' * (span.column - 1)}{carets}{' ' + label if label else ''}"]
    return out


def render_human(diags: Sequence[Diagnostic], sources: Mapping[str, SourceFile]) -> str:
    lines: list[str] = []
    for d in sorted(diags, key=sort_key):
        src = sources.get(d.span.file)
        lines.append(f"{d.span.file}:{d.span.line}:{d.span.column}: {d.severity.value}[{d.code}]: {d.message}")
        lines.extend(_snippet(src, d.span))
        for lab in d.labels:
            lines.append(f"  --> {lab.span.file}:{lab.span.line}:{lab.span.column}: {lab.message}")
            lines.extend("  " + s for s in _snippet(sources.get(lab.span.file), lab.span))
        if d.counterexample:
            shown = ", ".join(f"{k} = {v}" for k, v in d.counterexample.items())
            lines.append(f"  = counterexample: {shown}")
        for n in d.notes:
            lines.append(f"  = note: {n}")
        if d.help:
            lines.append(f"  = help: {d.help}")
        lines.append("")
    errors = sum(1 for d in diags if d.is_error)
    warnings = sum(1 for d in diags if d.severity is Severity.WARNING)
    if diags:
        lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


# ---------------------------------------------------------------- JSON


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "code": d.code, "severity": d.severity.value, "message": d.message,
        "file": d.span.file, "line": d.span.line, "column": d.span.column,
        "end_line": d.span.end_line, "end_column": d.span.end_column,
        "labels": [{"file": lab.span.file, "line": lab.span.line, "column": lab.span.column,
                    "end_line": lab.span.end_line, "end_column": lab.span.end_column,
                    "message": lab.message} for lab in d.labels],
        "notes": list(d.notes),
    }
    if d.help:
        obj["help"] = d.help
    if d.counterexample is not None:
        obj["counterexample"] = dict(d.counterexample)
    return obj


def render_json(file: str, diags: Sequence[Diagnostic]) -> str:
    ordered = sorted(diags, key=sort_key)
    return json.dumps({"version": 1, "file": file, "ok": not any(d.is_error for d in diags),
                       "diagnostics": [diagnostic_json(d) for d in ordered]}, indent=2)


# ---------------------------------------------------------------- SARIF 2.1.0

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _sarif_region(span: Span) -> dict[str, Any]:
    return {"startLine": span.line, "startColumn": span.column,
            "endLine": span.end_line, "endColumn": max(span.end_column, span.column)}


def _sarif_location(span: Span, message: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": span.file},
                                                "region": _sarif_region(span)}}
    if message:
        loc["message"] = {"text": message}
    return loc


def render_sarif(diags: Sequence[Diagnostic], tool_version: str) -> str:
    ordered = sorted(diags, key=sort_key)
    rules = sorted({d.code for d in ordered})
    results = []
    for d in ordered:
        text = d.message
        if d.counterexample:
            text += " (counterexample: " + ", ".join(f"{k} = {v}" for k, v in d.counterexample.items()) + ")"
        res: dict[str, Any] = {
            "ruleId": d.code, "ruleIndex": rules.index(d.code), "level": _SARIF_LEVEL[d.severity],
            "message": {"text": text}, "locations": [_sarif_location(d.span)],
        }
        if d.labels:
            res["relatedLocations"] = [
                {"id": i, **_sarif_location(lab.span, lab.message)} for i, lab in enumerate(d.labels)]
        props: dict[str, Any] = {}
        if d.notes:
            props["notes"] = list(d.notes)
        if d.counterexample is not None:
            props["counterexample"] = dict(d.counterexample)
        if props:
            res["properties"] = props
        results.append(res)
    doc = {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "weftc", "version": tool_version,
                                      "informationUri": "https://github.com/verum-lang/verum",
                                      "rules": [{"id": r} for r in rules]}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2)
