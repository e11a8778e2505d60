"""Where the real Verum conformance corpus lives on a developer machine.

It is read-only reference material (never committed): `$VERUM_REPO`, else a
`verum` checkout beside this repository. Tests that use it skip when absent.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("VERUM_REPO", str(ROOT.parent / "verum"))) \
    / "vcs" / "specs" / "L2-standard" / "net" / "weft"
