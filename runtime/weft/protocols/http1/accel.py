"""Finds the HTTP/1.1 C accelerators (`_native.c`), unless switched off.

They are optional: built by hatch_build.py when a C compiler is present, and
each one has a pure-Python twin that is its specification. `WEFT_NATIVE=off`
in the environment keeps the Python code (for debugging, and for the tests
that compare the two).
"""

from __future__ import annotations

import os
from types import ModuleType


def native_module() -> ModuleType | None:
    """The compiled module, or None when it is missing or switched off."""
    if os.environ.get("WEFT_NATIVE") == "off":
        return None
    try:
        from weft.protocols.http1 import _native
    except ImportError:
        return None
    return _native
