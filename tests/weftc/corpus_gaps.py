"""Corpus and example files the parser does not yet handle as the syntax
contract says, shared by the corpus and formatter tests.

Each entry makes that file's tests a strict xfail: the day the parser is
fixed, the test fails until the entry is removed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

KNOWN_PARSER_GAPS: dict[str, str] = {
}


def cases(paths: Iterable[Path]) -> list[Any]:
    """`pytest.param`s for `paths`, the known gaps marked as strict xfails."""
    return [pytest.param(p, id=p.name, marks=pytest.mark.xfail(
        strict=True, reason=KNOWN_PARSER_GAPS[p.name])) if p.name in KNOWN_PARSER_GAPS
        else pytest.param(p, id=p.name) for p in paths]
