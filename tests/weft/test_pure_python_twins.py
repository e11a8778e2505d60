"""The pure-Python twins of the C accelerators pass the same suites.

The C code (hatch_build.py, `weft.accel`, `weftc.syntax.native`) is what
serves in a normal build, so the rest of the test run exercises it. This runs
the HTTP/1.1, connection, router and server suites, and weftc's parser
suites, again with `WEFT_NATIVE=off`: the Python code is the specification
and the fallback on a machine without a C compiler, and both must keep
passing the same tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITES = ["tests/weft/http1", "tests/weft/connection", "tests/weft/router", "tests/weft/server"]
#: weftc's parser: the Python fast path is the C front end's specification
PARSER_SUITES = ["tests/weftc/test_parser.py", "tests/weftc/test_parser_fastpath.py",
                 "tests/weftc/test_syntax_corpus.py", "tests/weftc/test_fuzz_parser.py",
                 "tests/weftc/test_fmt.py"]


def _pass_with_native_off(suites: list[str], probe: str) -> None:
    """`probe` shows the Python code is in use; then `suites` pass with it."""
    if os.environ.get("WEFT_NATIVE") == "off":
        pytest.skip("this run already uses the Python code")
    env = {**os.environ, "WEFT_NATIVE": "off"}
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=120)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                             *suites], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=850)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.timeout(900)
def test_connection_suites_pass_on_the_python_twins() -> None:
    _pass_with_native_off(SUITES, "from weft.connection import http1; assert http1.NATIVE is None")


@pytest.mark.timeout(900)
def test_parser_suites_pass_on_the_python_fast_path() -> None:
    _pass_with_native_off(PARSER_SUITES,
                          "from weftc.syntax.parser import _engine; assert _engine().fast._native is None")
