"""Finds weft's optional C accelerators (the `_native.c` modules), unless switched off.

They are built by hatch_build.py when a C compiler is present, and each
function in them has a pure-Python twin that is its specification (tests
compare the two). `WEFT_NATIVE=off` in the environment keeps the Python
code: for debugging, and for running the suites against the twins.
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from types import ModuleType


def native_module(name: str) -> ModuleType | None:
    """The compiled module `name`, or None when it is missing or switched off."""
    if os.environ.get("WEFT_NATIVE") == "off":
        return None
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    _warn_if_stale(module)
    return module


def _warn_if_stale(module: ModuleType) -> None:
    """In a source checkout, say so when a C source changed after its build
    (the tests would otherwise exercise the old code without a word)."""
    built = Path(module.__file__ or "")
    source = built.with_name(built.name.split(".", 1)[0] + ".c")
    try:
        stale = source.stat().st_mtime > built.stat().st_mtime
    except OSError:
        return  # an installed wheel carries no sources
    if stale:
        warnings.warn(f"{built.name} is older than {source.name}: rebuild it with "
                      "`python hatch_build.py` (or `make`)", RuntimeWarning, stacklevel=3)
