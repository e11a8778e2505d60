"""The compiler pipeline: one ordered list of stages from source text onward.

A stage takes the `Compilation` so far and returns it with its own product
and diagnostics added. `check` runs the stages in order and stops after the
first stage that reports an error, so no stage ever sees a broken
predecessor's output: syntax → modules → typecheck (resolve + types) →
verify (refinement proofs) → effects and contexts → routes.

Heavy stage modules are imported inside their stage functions so that
`weftc parse` and `weftc fmt` start fast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from weftc.diagnostics import Diagnostic, error
from weftc.source import SourceDecodeError, SourceFile
from weftc.syntax import ast
from weftc.syntax.parser import parse

if TYPE_CHECKING:
    from weftc.contexts import ContextPlan
    from weftc.effects import EffectReport
    from weftc.modules import Program
    from weftc.typecheck.checked import CheckedProgram
    from weftc.verify import ProofReport


@dataclass(frozen=True, slots=True)
class Compilation:
    """Everything known about one file so far; each stage fills one field."""

    source: SourceFile
    module: ast.Module | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    stages_run: tuple[str, ...] = ()
    program: Program | None = None
    checked: CheckedProgram | None = None
    effects: EffectReport | None = None
    contexts: ContextPlan | None = None
    proofs: ProofReport | None = None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def sources(self) -> Mapping[str, SourceFile]:
        """Every file a diagnostic may point into (mounted modules, stdlib)."""
        if self.program is not None:
            return {**self.program.sources, self.source.name: self.source}
        return {self.source.name: self.source}


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    run: Callable[[Compilation], Compilation]


def syntax_stage(comp: Compilation) -> Compilation:
    result = parse(comp.source)
    return dataclasses.replace(comp, module=result.module,
                               diagnostics=comp.diagnostics + tuple(result.diagnostics))


def modules_stage(comp: Compilation) -> Compilation:
    from weftc.modules import load_program

    assert comp.module is not None
    program, diags = load_program(comp.source, parsed=comp.module)
    return dataclasses.replace(comp, program=program,
                               diagnostics=comp.diagnostics + tuple(diags))


def typecheck_stage(comp: Compilation) -> Compilation:
    from weftc.typecheck.check import check_types

    assert comp.program is not None
    checked, diags = check_types(comp.program)
    return dataclasses.replace(comp, checked=checked,
                               diagnostics=comp.diagnostics + tuple(diags))


def verify_stage(comp: Compilation) -> Compilation:
    from weftc.verify import cache_dir_for, rlimit_from_env, run_verify

    assert comp.checked is not None
    report, diags = run_verify(comp.checked, cache_dir_for(comp.source.name),
                               rlimit=rlimit_from_env())
    return dataclasses.replace(comp, proofs=report,
                               diagnostics=comp.diagnostics + tuple(diags))


def effects_stage(comp: Compilation) -> Compilation:
    from weftc.contexts import run_effects_and_contexts

    assert comp.checked is not None
    report, plan, diags = run_effects_and_contexts(comp.checked)
    return dataclasses.replace(comp, effects=report, contexts=plan,
                               diagnostics=comp.diagnostics + tuple(diags))


def routes_stage(comp: Compilation) -> Compilation:
    from weftc.routes import check_routes

    assert comp.checked is not None
    _, diags = check_routes(comp.checked)
    return dataclasses.replace(comp, diagnostics=comp.diagnostics + tuple(diags))


STAGES: tuple[Stage, ...] = (
    Stage("syntax", syntax_stage),
    Stage("modules", modules_stage),
    Stage("typecheck", typecheck_stage),
    Stage("verify", verify_stage),
    Stage("effects", effects_stage),
    Stage("routes", routes_stage),
)


def run_stages(comp: Compilation, stages: tuple[Stage, ...] = STAGES) -> Compilation:
    """Run `stages` in order, stopping after the first one that adds an error."""
    for stage in stages:
        if not comp.ok:
            break
        comp = stage.run(comp)
        comp = dataclasses.replace(comp, stages_run=(*comp.stages_run, stage.name))
    return comp


def undecodable(path: str, raw: bytes, exc: SourceDecodeError) -> Compilation:
    """An E0010 compilation for bytes that are not UTF-8.

    The text is decoded with replacement characters only so that the
    diagnostic can show the offending line; no stage runs on it.
    """
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    prefix_chars = len(raw[bom:exc.offset].decode("utf-8", errors="replace"))
    text = raw[bom:].decode("utf-8", errors="replace")
    source = SourceFile.from_text(path, text)
    bad = raw[exc.offset:exc.offset + 1]
    span = source.span(prefix_chars, min(prefix_chars + 1, len(text)))
    diag = error("E0010", f"file is not valid UTF-8: byte 0x{bad.hex()} at offset {exc.offset}",
                 span, help="save the file as UTF-8")
    return Compilation(source, diagnostics=(diag,))


def load(path: str | Path) -> Compilation:
    """Read a file into a fresh `Compilation`; OSError propagates (a usage error)."""
    try:
        return Compilation(SourceFile.read(path))
    except SourceDecodeError as exc:
        return undecodable(str(path), Path(path).read_bytes(), exc)


def load_bytes(name: str, raw: bytes) -> Compilation:
    """Like `load`, for bytes already in memory (editors, tests)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return undecodable(name, raw, SourceDecodeError(name, exc.start, exc.reason))
    return Compilation(SourceFile.from_text(name, text.removeprefix("\ufeff")))


def check_source(source: SourceFile) -> Compilation:
    return run_stages(Compilation(source))


def check_file(path: str | Path) -> Compilation:
    """Load and check one file with every stage that exists."""
    return run_stages(load(path))


def parse_file(path: str | Path) -> Compilation:
    """Load one file and run only the syntax stage (for `weftc parse` and `fmt`)."""
    return run_stages(load(path), STAGES[:1])
