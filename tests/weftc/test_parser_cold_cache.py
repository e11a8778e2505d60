"""A first run with an empty cache folder must parse (a bug once failed it with E0001)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_first_parse_with_an_empty_cache_folder(tmp_path: Path) -> None:
    env = {**os.environ, "WEFTC_CACHE_DIR": str(tmp_path / "cache")}
    for _ in range(2):  # the cold run writes the caches, the second reads them
        done = subprocess.run([sys.executable, "-m", "weftc", "parse", str(ROOT / "examples/hello.vr")],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert list((tmp_path / "cache").rglob("verum-tables-*.marshal"))
