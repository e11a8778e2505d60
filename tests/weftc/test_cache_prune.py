"""Cache folders keep only the newest entries of each kind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from weftc.cache_prune import keep_newest


def test_keeps_the_newest_of_the_pattern_only(tmp_path: Path) -> None:
    for i in range(6):
        f = tmp_path / f"stdlib-{i}.pickle"
        f.write_text(str(i))
        os.utime(f, (1_000 + i, 1_000 + i))
    other = tmp_path / "verum-tables-x.marshal"
    other.write_text("x")
    os.utime(other, (1, 1))
    keep_newest(tmp_path, "stdlib-*.pickle", 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "stdlib-4.pickle", "stdlib-5.pickle", "verum-tables-x.marshal"]


def test_a_missing_folder_is_not_an_error(tmp_path: Path) -> None:
    keep_newest(tmp_path / "absent", "*.pickle", 1)


def test_stdlib_cache_prunes_after_writing(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from weftc.modules import stdlib_cache

    monkeypatch.setattr(stdlib_cache, "_cache_dir", lambda: tmp_path)
    monkeypatch.setattr(stdlib_cache, "_MEMO", {})
    for i in range(stdlib_cache.KEEP + 3):
        stale = tmp_path / f"stdlib-stale{i}.pickle"
        stale.write_bytes(b"")
        os.utime(stale, (10 + i, 10 + i))
    stdlib_cache.load_stdlib()
    left = sorted(tmp_path.glob("stdlib-*.pickle"))
    assert len(left) == stdlib_cache.KEEP
    assert not (tmp_path / "stdlib-stale0.pickle").exists()
