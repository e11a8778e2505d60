"""Reading the generated code: plain `def` for handlers without Async, a readable
route table, straight-line endpoints, E6xxx for what has no codegen yet."""

from __future__ import annotations

import ast as pyast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from weftc.build import build
from weftc.codegen import generate
from weftc.modules import load_program
from weftc.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
REFLECTION = ("getattr(", "get_type_hints", "inspect.", "importlib", "__dict__", "eval(")


def gen(tmp_path: Path, text: str) -> dict[str, str]:
    src = tmp_path / "app.vr"
    src.write_text(text)
    program, diags = load_program(SourceFile.read(src))
    assert not [d for d in diags if d.is_error]
    pkg, errors = generate(program, "test")
    assert pkg is not None, [d.message for d in errors]
    return pkg.files


SYNC_AND_ASYNC = """
mount core.net.weft.{Router, Method, Response, WeftApp};

fn plain(Path(n): Path<Int>) -> Response {
    Response.ok(f"{n}")
}

async fn waits(Path(n): Path<Int>) -> Response {
    Response.ok(f"{n}")
}

fn main() {
    let app = Router.new()
        .route("/plain/:n", Method.Get, plain)
        .route("/waits/:n", Method.Post, waits);
    WeftApp.new(app).bind("127.0.0.1:8080").serve().await
}
"""


def test_a_handler_without_async_is_a_plain_def(tmp_path: Path) -> None:
    app = gen(tmp_path, SYNC_AND_ASYNC)["app/app.py"]
    tree = pyast.parse(app)
    fns = {n.name: n for n in tree.body if isinstance(n, pyast.FunctionDef | pyast.AsyncFunctionDef)}
    assert isinstance(fns["plain"], pyast.FunctionDef)
    assert isinstance(fns["endpoint_plain"], pyast.FunctionDef)
    assert isinstance(fns["waits"], pyast.AsyncFunctionDef)
    assert isinstance(fns["endpoint_waits"], pyast.AsyncFunctionDef)
    assert "return plain(n)" in app
    assert "return await waits(n)" in app


def test_route_table_is_readable_and_points_back_to_the_source(tmp_path: Path) -> None:
    app = gen(tmp_path, SYNC_AND_ASYNC)["app/app.py"]
    doc = pyast.get_docstring(pyast.parse(app)) or ""
    assert "GET     /plain/:n" in doc and "-> plain  (app.vr:14)" in doc
    assert "POST    /waits/:n" in doc
    assert "# app.vr:4\ndef plain(n: int) -> Response:" in app


def test_endpoints_are_straight_line_without_reflection(tmp_path: Path) -> None:
    files = gen(tmp_path, SYNC_AND_ASYNC)
    app = files["app/app.py"]
    assert "PLAIN_N = PathParam.int('n')" in app
    assert "    n = PLAIN_N.extract(req)\n    return plain(n)" in app
    for text in files.values():
        for word in REFLECTION:
            assert word not in text


def test_refined_route_parameter_gets_its_check(tmp_path: Path) -> None:
    files = build(ROOT / "examples" / "rest_api.vr", tmp_path / "out", "test")
    assert files.package == "rest_api"
    types = (tmp_path / "out" / "rest_api" / "types.py").read_text()
    app = (tmp_path / "out" / "rest_api" / "app.py").read_text()
    assert "def refine_UserId(value: int) -> bool:\n" in types
    assert "return (value >= 1)" in types
    assert "PathParam.int('id', refine=refine_UserId, expected='UserId: n >= 1')" in app
    assert "class Database(Protocol):" in (tmp_path / "out" / "rest_api" / "contexts.py").read_text()
    assert (tmp_path / "out" / "rest_api_sqlite.py").is_file()


def test_unchanged_program_is_not_rebuilt(tmp_path: Path) -> None:
    src = tmp_path / "hello.vr"
    src.write_text((ROOT / "examples" / "hello.vr").read_text())
    first = build(src, tmp_path / "out", "test")
    second = build(src, tmp_path / "out", "test")
    assert first.package == second.package == "hello"
    assert not first.reused and second.reused
    src.write_text(src.read_text().replace("Hello from Weft!", "Hi"))
    assert not build(src, tmp_path / "out", "test").reused


@pytest.mark.parametrize(("body", "code"), [
    ("fn main() { let mut i = 0; loop { i = i + 1; if i > 3 { break i; } } }", "E6001"),
    ("fn helper() -> Int { 1 }", "E6004"),
])
def test_unsupported_constructs_are_diagnostics(tmp_path: Path, body: str, code: str) -> None:
    src = tmp_path / "bad.vr"
    src.write_text(body + "\n")
    program, _ = load_program(SourceFile.read(src))
    pkg, errors = generate(program, "test")
    assert pkg is None
    assert code in [d.code for d in errors]
    assert all(d.span.line >= 1 for d in errors)


LETS = """
mount core.net.http.{Response};
mount core.net.weft.response_ext.{resp_ok, resp_text};

fn pair() -> (Int, Text) { (1, "a") }

fn nested() -> (Int, (Text, Bool)) { (2, ("b", true)) }

fn shown(x: impl Display) -> Text { "shown" }

fn boxed(x: dyn Display) -> Int { 3 }

fn sizes() -> List<Int> {
    let mut xs: List<Int> = List.new();
    xs.push(1);
    xs
}

fn ok_response() -> Response {
    let make = resp_text;
    let _ = make("unused");
    let (n, s) = pair();
    let (m, (t, _)): (Int, (Text, Bool)) = nested();
    let total: Int = n + m;
    let mut label = s;
    let label = t;
    let _ = resp_ok();
    make(label)
}

fn main() {
    let _ = ok_response();
    let _ = sizes();
}
"""


def _fn_source(app: str, name: str) -> str:
    tree = pyast.parse(app)
    for node in tree.body:
        if isinstance(node, pyast.FunctionDef | pyast.AsyncFunctionDef) and node.name == name:
            return pyast.unparse(node)
    raise AssertionError(f"no function {name} in the generated module")


def test_let_statements_bind_names_tuples_and_discard(tmp_path: Path) -> None:
    app = gen(tmp_path, LETS)["app/app.py"]
    body = _fn_source(app, "ok_response")
    assert "n, s = _p" in body
    assert "m, (t, _u" in body  # nested tuple; `_` becomes a fresh throwaway name
    # The annotated tuple goes through a typed temporary, then unpacks.
    assert re.search(r"_p(\d+): tuple\[int, tuple\[str, bool\]\]\n\s*_p\1 = nested\(\)", body)
    assert "total: int" in body and "total = n + m" in body
    # `let label = t` shadows: one annotation-free re-assignment, not a redeclaration.
    assert "label = s" in body and "label = t" in body
    assert "make('unused')" in body  # `let _ = e` evaluates e and keeps nothing
    assert "_ = make" not in body
    main = _fn_source(app, "main")
    assert "ok_response()" in main and "sizes()" in main


def test_a_bound_function_is_a_value_and_intrinsics_are_called(tmp_path: Path) -> None:
    app = gen(tmp_path, LETS)["app/app.py"]
    body = _fn_source(app, "ok_response")
    assert "make = text" in body
    assert "from weft.response import status, text" in app
    assert "status(200)" in body  # `resp_ok()` has no @python target of its own


def test_impl_and_dyn_types_lower_to_any_at_the_seam(tmp_path: Path) -> None:
    app = gen(tmp_path, LETS)["app/app.py"]
    assert "def shown(x: Any) -> str:" in app
    assert "def boxed(x: Any) -> int:" in app
    assert "from typing import Any" in app


def test_list_new_is_an_empty_list_typed_by_its_annotation(tmp_path: Path) -> None:
    body = _fn_source(gen(tmp_path, LETS)["app/app.py"], "sizes")
    assert "xs: list[int]" in body
    assert "xs = []" in body
    assert "xs.append(1)" in body


def test_let_forms_pass_mypy_strict(tmp_path: Path) -> None:
    files = gen(tmp_path, LETS)
    out = tmp_path / "pkg"
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join([str(out), str(ROOT / "runtime")])
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                        "--config-file", os.devnull, "app"],
                       capture_output=True, text=True, cwd=out, env=env, timeout=100)
    assert r.returncode == 0, r.stdout + r.stderr
