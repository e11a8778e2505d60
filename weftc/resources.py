"""Where the shipped data lives: `grammar/` and `stdlib/`.

A wheel carries them as `weftc/_data/grammar` and `weftc/_data/stdlib`
(pyproject `force-include`); an editable install or a checkout uses the
repository root's folders. The packaged copy wins when both exist.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parent


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    repo = _REPO_ROOT / name
    if repo.is_dir():
        return repo
    raise FileNotFoundError(f"weftc data folder `{name}` not found (looked in {packaged} and {repo})")


def grammar_path() -> Path:
    """The Verum-subset grammar file `verum.lark`."""
    return _data_dir("grammar") / "verum.lark"


def shipped_tables_dir() -> Path:
    """Parser tables built when the package was installed (hatch_build.py); may be
    missing or for another lark version, which only costs the first run's time."""
    return _PACKAGE_DIR / "_tables"


def stdlib_path() -> Path:
    """The folder holding the `.vr` declarations of `core.*`."""
    return _data_dir("stdlib")
