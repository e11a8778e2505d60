"""`weft.accel`: finding the C accelerators, switching them off, stale builds."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
from weft import accel


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEFT_NATIVE", "off")
    assert accel.native_module("weft.router._native") is None


def test_a_missing_module_is_none() -> None:
    assert accel.native_module("weft.no_such_native_module") is None


def _fake(tmp_path: Path, source_newer: bool) -> types.ModuleType:
    built = tmp_path / "_native.cpython-311-x86_64-linux-gnu.so"
    source = tmp_path / "_native.c"
    built.write_bytes(b"")
    source.write_text("")
    old, new = 1_000_000_000, 1_000_000_100
    os.utime(built, (old, new if not source_newer else old))
    os.utime(source, (old, new if source_newer else old))
    module = types.ModuleType("fake")
    module.__file__ = str(built)
    return module


def test_a_build_older_than_its_source_is_reported(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match="older than _native.c"):
        accel._warn_if_stale(_fake(tmp_path, source_newer=True))


def test_a_fresh_build_or_a_wheel_says_nothing(tmp_path: Path,
                                               recwarn: pytest.WarningsRecorder) -> None:
    accel._warn_if_stale(_fake(tmp_path, source_newer=False))
    wheel = types.ModuleType("wheel")
    wheel.__file__ = str(tmp_path / "elsewhere" / "_native.so")  # no source beside it
    accel._warn_if_stale(wheel)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
