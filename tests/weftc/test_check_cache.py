"""`weftc check` of an unchanged program answers from its last clean pass; nothing else is reused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD = "type Pct is Int{>= 0 && <= 100};\nfn half(p: Pct) -> Pct { p / 2 }\nfn main() {}\n"
BAD = "type Pct is Int{>= 0 && <= 100};\nfn twice(p: Pct) -> Pct { p * 2 }\nfn main() {}\n"


def check(src: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WEFTC_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "weftc", "check", str(src)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_clean_pass_is_reused_and_an_edit_is_not(tmp_path: Path) -> None:
    src = tmp_path / "app" / "pct.vr"
    src.parent.mkdir()
    src.write_text(GOOD)
    cache = tmp_path / "cache"
    first = check(src, cache)
    assert first.returncode == 0 and "stages run: syntax" in first.stderr
    assert len(list((cache / "checks").glob("*.json"))) == 1
    second = check(src, cache)
    assert (second.returncode, second.stdout, second.stderr) == (0, first.stdout, first.stderr)
    src.write_text(BAD)  # the edit must be checked, and a failure never stored
    for _ in range(2):
        failed = check(src, cache)
        assert failed.returncode == 1 and "E2001" in failed.stderr
    assert len(list((cache / "checks").glob("*.json"))) == 1
