"""Text operations the `.vr` prelude binds to that Python's `str` lacks."""

from __future__ import annotations

import re


def matches(text: str, pattern: str) -> bool:
    """Whole-string regex match: what `text.matches("…")` means in Verum, in a
    refinement (proven with Z3's regexes) and in a body alike."""
    return re.fullmatch(pattern, text) is not None
