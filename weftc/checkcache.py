"""`weftc check` of an unchanged program answers from its last clean result.

Like `cargo check`'s fresh units: when the program's folder, the stdlib,
the grammar and weftc's own code are byte-for-byte what they were when the
check last passed with no diagnostic at all, the same output is printed
again without running a stage. Anything less than a clean pass is never
stored, so errors and warnings are always recomputed; a program that
changed goes through every stage, where the proof cache
(`weftc.verify.prover`) re-solves only the goals whose obligations moved.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from weftc.resources import grammar_path, stdlib_path

_WEFTC = Path(__file__).resolve().parent
FORMAT = 1


def _z3_version() -> str:
    try:
        return version("z3-solver")
    except PackageNotFoundError:
        return "unknown"


def check_key(path: Path, fmt: str, explain: bool) -> str:
    """Hash of everything a check reads, and of how its output was asked for."""
    h = hashlib.sha256(f"check {FORMAT} {fmt} {explain} z3 {_z3_version()}\n".encode())
    folder = path.resolve().parent
    mine = sorted(list(folder.rglob("*.vr")) + list(folder.glob("*.py")))
    compiler = sorted(_WEFTC.rglob("*.py"))
    grammar = grammar_path()
    grammars = sorted(grammar.parent.rglob("*.lark")) if grammar.exists() else []
    for f in [path.resolve(), *mine, *compiler, *grammars, *sorted(stdlib_path().rglob("*.vr"))]:
        if f.is_file():
            h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _file(path: Path, key: str) -> Path:
    """`$WEFTC_CACHE_DIR/checks`, else `.weft-cache/checks` beside the program
    (where the proof cache lives too)."""
    root = os.environ.get("WEFTC_CACHE_DIR")
    base = Path(root) if root else path.resolve().parent / ".weft-cache"
    return base / "checks" / f"{key}.json"


def lookup(path: Path, key: str) -> tuple[str, str] | None:
    """The stdout and stderr of the stored clean check, if there is one."""
    try:
        data = json.loads(_file(path, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("out"), str) \
            and isinstance(data.get("err"), str):
        return data["out"], data["err"]
    return None


def store(path: Path, key: str, out: str, err: str) -> None:
    """Record a clean check (atomically; a failure only costs the next check)."""
    target = _file(path, key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"out": out, "err": err}), encoding="utf-8")
        tmp.replace(target)
    except OSError:
        return
