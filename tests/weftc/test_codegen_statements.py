"""Statement-shaped Verum in generated Python: loops, assignment, `if let`,
closures with statements, array literals, indexing, `assert`/`panic`, `is`,
methods that call top-level functions, and generic functions (their type
parameters erased to the bound). The output must pass
`mypy --strict` and compute what the Verum source says."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from weftc.build import build

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """mount core.collections.list.{List};

type Counter is { step: Int };

implement Counter {
    fn bump(&self, x: Int) -> Int { double(x) + self.step }
}

fn double(x: Int) -> Int { x * 2 }

fn sum_to(n: Int) -> Int {
    let mut total = 0;
    let mut i = 1;
    while i <= n {
        total += i;
        i = i + 1;
    }
    total
}

fn first_over(xs: List<Int>, limit: Int) -> Int {
    let mut found = -1;
    for x in xs {
        if x > limit {
            found = x;
            break;
        }
    }
    found
}

fn countdown(n: Int) -> Int {
    let mut k = n;
    let mut steps = 0;
    loop {
        if k == 0 { break; }
        k -= 1;
        steps += 1;
    }
    steps
}

fn or_zero(m: Maybe<Int>) -> Int {
    if let Some(v) = m && v > 10 {
        v
    } else {
        0
    }
}

fn apply_all(xs: List<Int>) -> List<Int> {
    let f = |x: Int| {
        let y = x + 1;
        y * y
    };
    let mut out: List<Int> = List.new();
    for x in xs { out.push(f(x)); }
    out
}

fn literals() -> Int {
    let xs = [3, 4, 5];
    let pair = (7, "seven");
    assert(xs[0] == 3);
    xs[2] + pair.0
}

fn is_some(m: Maybe<Int>) -> Bool { m is Some(_) }

fn checked(n: Int) -> Int {
    if n < 0 { panic("negative"); }
    n
}

fn pick<T>(a: T, b: T, first: Bool) -> T {
    if first { a } else { b }
}

fn longest<T: Clone>(xs: List<List<T>>) -> Int {
    let mut best = 0;
    for x in xs {
        if x.len() > best { best = x.len(); }
    }
    best
}

fn main() {
    let c = Counter { step: 1 };
    let _ = c.bump(3);
    let _ = sum_to(4);
}
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("stmts")
    (folder / "stmts.vr").write_text(PROGRAM)
    result = build(folder / "stmts.vr", folder / "out", "test")
    assert result.package == "stmts", [(d.code, d.message) for d in result.diagnostics]
    return folder / "out"


@pytest.fixture(scope="module")
def app(out: Path) -> ModuleType:
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("stmts.app")
    finally:
        sys.path.remove(str(out))


def test_statement_forms_pass_mypy_strict(out: Path) -> None:
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join([str(out), str(ROOT / "runtime")])
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                        "--config-file", os.devnull, "-p", "stmts"],
                       capture_output=True, text=True, cwd=out, env=env, timeout=100)
    assert r.returncode == 0, r.stdout + r.stderr


def test_loops_and_assignment_compute(app: ModuleType) -> None:
    assert app.sum_to(4) == 10
    assert app.sum_to(0) == 0
    assert app.first_over([1, 5, 9, 12], 4) == 5
    assert app.first_over([1, 2], 4) == -1
    assert app.countdown(3) == 3


def test_if_let_some_does_not_match_none(app: ModuleType) -> None:
    assert app.or_zero(None) == 0
    assert app.or_zero(5) == 0
    assert app.or_zero(11) == 11
    assert app.is_some(0) is True
    assert app.is_some(None) is False


def test_closure_with_statements_is_a_nested_def(app: ModuleType, out: Path) -> None:
    assert app.apply_all([1, 2]) == [4, 9]
    assert "def _closure" in (out / "stmts" / "app.py").read_text()


def test_literals_index_and_assert(app: ModuleType) -> None:
    assert app.literals() == 12


def test_panic_raises(app: ModuleType) -> None:
    from weft.verum import Panic

    assert app.checked(3) == 3
    with pytest.raises(Panic, match="negative"):
        app.checked(-1)


def test_type_parameters_are_erased_to_their_bound(app: ModuleType, out: Path) -> None:
    assert app.pick("a", "b", False) == "b"
    assert app.pick(1, 2, True) == 1
    assert app.longest([[1], [2, 3, 4], []]) == 3
    text = (out / "stmts" / "app.py").read_text()
    assert "def pick(a: Any, b: Any, first: bool) -> Any:" in text
    assert "def longest(xs: list[list[Any]]) -> int:" in text


def test_method_calls_a_top_level_function(app: ModuleType, out: Path) -> None:
    types = importlib.import_module("stmts.types")
    assert types.Counter(step=1).bump(3) == 7
    assert "from stmts.app import double" in (out / "stmts" / "types.py").read_text()
