"""A first run with an empty cache folder must parse (a bug once failed it with E0001).

Two cold starts: with the tables the install prebuilt (hatch_build.py), which
serve at once and leave the user cache alone, and without them, when the
first run builds the tables and writes them to the user cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from weftc.syntax import parser

ROOT = Path(__file__).resolve().parents[2]
HELLO = str(ROOT / "examples/hello.vr")

# weftc's command line, with the prebuilt tables out of sight
_WITHOUT_SHIPPED = """
import sys
from pathlib import Path
from weftc.syntax import parser
parser.shipped_tables_dir = lambda: Path("/nonexistent-weftc-tables")
from weftc.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(args: list[str], cache: Path) -> None:
    env = {**os.environ, "WEFTC_CACHE_DIR": str(cache)}
    for _ in range(2):  # the cold run, then one that reads what it left
        done = subprocess.run([sys.executable, *args, "parse", HELLO], capture_output=True,
                              text=True, env=env, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr


def test_first_parse_uses_the_prebuilt_tables(tmp_path: Path) -> None:
    engine = parser._engine()
    assert (parser.shipped_tables_dir() / parser.tables_name(engine.grammar)).is_file(), \
        "no prebuilt parser tables: install with `make` or run `python hatch_build.py`"
    _run(["-m", "weftc"], tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("verum-tables-*.marshal"))


def test_first_parse_without_prebuilt_tables_builds_them(tmp_path: Path) -> None:
    _run(["-c", _WITHOUT_SHIPPED], tmp_path / "cache")
    assert list((tmp_path / "cache").rglob("verum-tables-*.marshal"))
