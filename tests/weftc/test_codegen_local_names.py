"""A local named like a runtime helper (`text`) must not shadow the helper codegen calls."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from weftc.build import build

PROGRAM = """mount core.net.weft.{Router, Method, Response, WeftApp, Path};
fn page(Path(text): Path<Text>) -> Response { Response.ok(text) }
fn main() {
    let app = Router.new().route("/p/:text", Method.Get, page);
    WeftApp.new(app).bind("127.0.0.1:8080").serve().await
}
"""


def test_helper_is_imported_under_an_alias(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEFTC_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "shadow.vr"
    src.write_text(PROGRAM)
    result = build(src, tmp_path / "out", "test")
    assert result.package == "shadow", [(d.code, d.message) for d in result.diagnostics]
    monkeypatch.syspath_prepend(str(tmp_path / "out"))
    try:
        app = importlib.import_module("shadow.app")
        response = app.page("hi")
        assert response.status == 200 and response.body == b"hi"
    finally:
        for name in [m for m in sys.modules if m.startswith("shadow")]:
            del sys.modules[name]
