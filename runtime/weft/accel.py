"""Finds weft's optional C accelerators (the `_native.c` modules), unless switched off.

They are built by hatch_build.py when a C compiler is present, and each
function in them has a pure-Python twin that is its specification (tests
compare the two). `WEFT_NATIVE=off` in the environment keeps the Python
code: for debugging, and for running the suites against the twins.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def native_module(name: str) -> ModuleType | None:
    """The compiled module `name`, or None when it is missing or switched off."""
    if os.environ.get("WEFT_NATIVE") == "off":
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
