"""Make the shared TLS test helpers importable from the HTTP/2 tests."""

from __future__ import annotations

import sys
from pathlib import Path

_TLS_TESTS = str(Path(__file__).resolve().parent.parent / "tls")
if _TLS_TESTS not in sys.path:
    sys.path.insert(0, _TLS_TESTS)
