"""`weftc build` and the cache behind `weftc run`.

`build(path, out)` checks the program, generates its package into `out/`
and copies the Python modules it binds to (`@python` on user declarations,
found beside the `.vr` file) next to it. A stamp in `out/` records the
build key (a hash over the program's folder of `.vr`/`.py` files, the
stdlib, and weftc's version and code generator), so an unchanged program
is not rebuilt. `weftc run` builds into `.weft-cache/<key>/`.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from weftc.resources import stdlib_path

if TYPE_CHECKING:  # the warm path (nothing changed) must not import the compiler
    from weftc.diagnostics import Diagnostic
    from weftc.pipeline import Compilation
    from weftc.source import SourceFile

CACHE_DIR = ".weft-cache"
STAMP = ".weftc-build"
PROOFS = "weft-proofs.json"
_CODEGEN_DIR = Path(__file__).resolve().parent / "codegen"
_VERIFY_DIR = Path(__file__).resolve().parent / "verify"


@dataclass(frozen=True, slots=True)
class BuildResult:
    """`package` is None when diagnostics stopped the build; `reused` when the stamp matched."""

    package: str | None
    out: Path
    diagnostics: tuple[Diagnostic, ...]
    compilation: Compilation | None
    reused: bool = False
    sources: Mapping[str, SourceFile] = field(default_factory=dict)


def build_key(path: Path, version: str) -> str:
    """Hash of everything a build reads: the program's folder, the stdlib, weftc itself."""
    h = hashlib.sha256(f"weftc {version}\n".encode())
    folder = path.resolve().parent
    mine = sorted(list(folder.rglob("*.vr")) + list(folder.glob("*.py")))
    owned = sorted(_CODEGEN_DIR.rglob("*.py")) + sorted(_CODEGEN_DIR.rglob("*.j2")) \
        + sorted(_VERIFY_DIR.rglob("*.py"))
    for f in [path.resolve(), *mine, *owned, *sorted(stdlib_path().rglob("*.vr"))]:
        if f.is_file():
            h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:24]


def package_name(path: Path) -> str:
    return path.stem if path.stem.isidentifier() else "main"


def build(path: str | Path, out: str | Path, version: str) -> BuildResult:
    src = Path(path)
    out_dir = Path(out)
    key = build_key(src, version)
    stamp = out_dir / STAMP
    if stamp.is_file():
        recorded = stamp.read_text().split()
        if len(recorded) == 2 and recorded[0] == key and (out_dir / recorded[1]).is_dir():
            return BuildResult(recorded[1], out_dir, (), None, reused=True)
    from weftc.pipeline import check_file

    comp = check_file(src)
    if not comp.ok:
        return BuildResult(None, out_dir, comp.diagnostics, comp, sources=comp.sources)
    from weftc.codegen import generate

    program, effects = comp.program, comp.effects
    assert program is not None and effects is not None  # every stage ran: comp.ok
    runtime_checks = comp.proofs.runtime_checks if comp.proofs is not None else frozenset()
    pkg, gen_diags = generate(program, version, is_async=lambda _q, fn: effects.is_async(fn),
                              checked=comp.checked, runtime_checks=runtime_checks)
    if pkg is None:
        return BuildResult(None, out_dir, tuple(gen_diags), comp, sources=program.sources)
    target = out_dir / pkg.name
    if target.exists():
        shutil.rmtree(target)
    for rel, text in pkg.files.items():
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    folder = src.resolve().parent
    for mod in sorted(pkg.python_modules):
        if (folder / f"{mod}.py").is_file():
            shutil.copy2(folder / f"{mod}.py", out_dir / f"{mod}.py")
        elif (folder / mod).is_dir():
            shutil.copytree(folder / mod, out_dir / mod, dirs_exist_ok=True)
    if comp.proofs is not None:
        from weftc.verify.proofs_json import render

        (target / PROOFS).write_text(render(comp.proofs, str(src)), encoding="utf-8")
    stamp.write_text(f"{key} {pkg.name}\n")
    return BuildResult(pkg.name, out_dir, comp.diagnostics, comp, sources=comp.sources)


def cache_dir(path: str | Path, version: str, root: Path | None = None) -> Path:
    return (root or Path.cwd()) / CACHE_DIR / build_key(Path(path), version)
