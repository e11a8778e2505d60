"""`@verify(runtime)`: a flow the solver cannot decide becomes a generated check (W2002)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from weftc.build import build

PROGRAM = Path(__file__).with_name("programs") / "three_cubes.vr"


def test_undecided_flow_is_checked_at_run_time(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEFTC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WEFTC_RLIMIT", "200000")  # deterministic, and quick to give up
    src = tmp_path / "three_cubes.vr"
    src.write_text(PROGRAM.read_text())
    result = build(src, tmp_path / "out", "test")
    assert result.package == "three_cubes", [(d.code, d.message) for d in result.diagnostics]
    assert [d.code for d in result.diagnostics] == ["W2002"]
    app = (tmp_path / "out" / "three_cubes" / "app.py").read_text()
    assert "from weft.refinement import checked" in app
    assert "lambda value: (value != 33)" in app
    monkeypatch.syspath_prepend(str(tmp_path / "out"))
    mod = importlib.import_module("three_cubes.app")
    try:
        from weft.refinement import RefinementViolation

        assert mod.cubes(1, 1, 1) == 3
        # Booker and Sutherland's 2019 answer: 33 is a sum of three cubes,
        # so the run-time check is what stands between it and the caller.
        with pytest.raises(RefinementViolation, match="33"):
            mod.cubes(8866128975287528, -8778405442862239, -2736111468807040)
    finally:
        for name in [m for m in sys.modules if m.startswith("three_cubes")]:
            del sys.modules[name]
