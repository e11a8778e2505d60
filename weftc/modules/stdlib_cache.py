"""The stdlib's parsed files, parsed once per stdlib version and pickled.

Parsing every `stdlib/**.vr` takes about a second; unpickling the result
takes a fraction of that. The cache key is a hash of the stdlib files and
of everything that shapes the AST (the grammar and `weftc/syntax/*.py`),
so editing any of them simply misses the cache. A cache that cannot be
read or written is ignored: it only ever costs time, never correctness.
Set `WEFTC_NO_CACHE=1` to bypass it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weftc.cache_prune import keep_newest
from weftc.diagnostics import Diagnostic, error
from weftc.resources import grammar_path, stdlib_path
from weftc.source import SourceDecodeError, SourceFile
from weftc.syntax import ast, parse

_SYNTAX_DIR = Path(__file__).resolve().parent.parent / "syntax"
_FORMAT = 2
#: parsed stdlibs kept in the user cache (one per stdlib version or checkout)
KEEP = 8
# Per-process memo: ASTs are immutable, so every load_program shares them.
_MEMO: dict[str, dict[str, ParsedFile]] = {}


@dataclass(frozen=True, slots=True)
class ParsedFile:
    source: SourceFile
    module: ast.Module | None
    diagnostics: tuple[Diagnostic, ...]


def stdlib_files(root: Path | None = None) -> dict[str, Path]:
    """Module name → file for every `.vr` under the stdlib (`a/mod.vr` is `a`)."""
    base = root if root is not None else stdlib_path()
    out: dict[str, Path] = {}
    for path in sorted(base.rglob("*.vr")):
        parts = path.relative_to(base).with_suffix("").parts
        if parts[-1] == "mod":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _key(files: dict[str, Path]) -> str:
    h = hashlib.sha256(f"weftc-stdlib-{_FORMAT}".encode())
    shaping = [grammar_path(), *sorted(_SYNTAX_DIR.glob("*.py"))]
    for path in shaping:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for name, path in files.items():
        h.update(name.encode() + b"\0" + str(path).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:24]


def _cache_dir() -> Path:
    base = os.environ.get("WEFTC_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") \
        or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "weftc"


def _parse_one(path: Path) -> ParsedFile:
    try:
        source = SourceFile.read(path)
    except SourceDecodeError as exc:  # pragma: no cover - the shipped stdlib is UTF-8
        text = path.read_bytes().decode("utf-8", errors="replace")
        source = SourceFile.from_text(str(path), text)
        return ParsedFile(source, None, (error("E0010", str(exc), source.span(0, 0)),))
    result = parse(source)
    return ParsedFile(source, result.module, tuple(result.diagnostics))


def load_stdlib(root: Path | None = None) -> dict[str, ParsedFile]:
    """Module name → parsed file for the whole stdlib, from the cache when fresh."""
    files = stdlib_files(root)
    key = _key(files)
    memo = _MEMO.get(key)
    if memo is not None:
        return memo
    target: Path | None = None
    if os.environ.get("WEFTC_NO_CACHE") != "1":
        target = _cache_dir() / f"stdlib-{key}.pickle"
        try:
            with open(target, "rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, dict) and cached.keys() == files.keys():
                _MEMO[key] = cached
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            pass
    parsed = {name: _parse_one(path) for name, path in files.items()}
    if target is not None:
        _write(target, parsed)
    _MEMO[key] = parsed
    return parsed


class _Pickler(pickle.Pickler):
    """Pickles weftc's frozen dataclasses as constructor calls.

    The default route for slotted dataclasses restores each object through
    a Python-level `__setstate__` loop; calling the generated `__init__`
    unpickles the stdlib more than twice as fast.
    """

    # The return type is pickle's reduce-value union (or NotImplemented): Any at this seam.
    def reducer_override(self, obj: object) -> Any:
        cls = type(obj)
        fields = getattr(cls, "__dataclass_fields__", None)
        if fields is not None and cls.__module__.startswith("weftc."):
            return (cls, tuple(getattr(obj, f) for f in fields))
        return NotImplemented


def _write(target: Path, parsed: dict[str, ParsedFile]) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".stdlib-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            _Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL).dump(parsed)
        os.replace(tmp, target)
    except OSError:
        return
    keep_newest(target.parent, "stdlib-*.pickle", KEEP)
