"""Stages 3-4 (resolve, typecheck): the compiler corpus, the examples, the Verum corpus
and unit tests of the type model and the checked-program tables.

Each `tests/compiler/*.vr` starts with `// expect: CODE LINE:COL`: among the
file's diagnostics one must have exactly that code at exactly that position
(1-based). `tests/compiler/pass/*.vr` must check with no error. None may
raise. Re-blessing: `WEFT_BLESS=1 .venv/bin/pytest tests/weftc/test_typecheck.py`
rewrites a header that disagrees with the first diagnostic of the same code
(or, if there is none, the first error); review the diff: a bless records
what the checker does, not what it should do.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.weftc.verum_corpus import CORPUS
from weftc.diagnostics import Diagnostic
from weftc.resolve.symbols import ContextSym, FnSym, LocalSym, TypeSym, VariantSym
from weftc.source import SourceFile
from weftc.syntax import ast
from weftc.typecheck import CheckedProgram, check_source
from weftc.types import INT, TEXT, FnT, FutureT, Named, Prim, Ref, TupleT, display, maybe, strip

ROOT = Path(__file__).resolve().parents[2]
FAIL = sorted((ROOT / "tests" / "compiler").glob("*.vr"))
PASS = sorted((ROOT / "tests" / "compiler" / "pass").glob("*.vr"))
EXAMPLES = sorted((ROOT / "examples").glob("*.vr"))
HEADER = re.compile(r"^// expect: ([EW]\d{4}) (\d+):(\d+)[ \t]*\r?\n")
BLESS = os.environ.get("WEFT_BLESS") == "1"

# Corpus files expected to fail, with the first error code (see docs/diagnostics.md).
# Empty: every file checks clean since the stdlib declares the strategies' and
# SpiffeAuthHandler's protocol impls and `Response.version` has a default (Q15).
CORPUS_KNOWN: dict[str, str] = {}


def _check(path: Path) -> tuple[CheckedProgram | None, list[Diagnostic]]:
    return check_source(SourceFile.read(path))


def _describe(diags: list[Diagnostic]) -> str:
    return "\n".join(f"  {d.code} {d.span.line}:{d.span.column} {d.message}" for d in diags)


def _errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.is_error]


def test_corpus_size() -> None:
    assert len(FAIL) >= 50
    assert len(PASS) >= 3


@pytest.mark.parametrize("path", FAIL, ids=lambda p: p.stem)
def test_rejected(path: Path) -> None:
    text = path.read_text()
    m = HEADER.match(text)
    assert m, f"{path.name}: first line must be `// expect: CODE LINE:COL`"
    code, line, col = m.group(1), int(m.group(2)), int(m.group(3))
    _, diags = _check(path)
    hit = any(d.code == code and (d.span.line, d.span.column) == (line, col) for d in diags)
    if hit:
        return
    if BLESS and diags:
        same = [d for d in diags if d.code == code] or _errors(diags) or diags
        first = min(same, key=lambda d: (d.span.line, d.span.column))
        path.write_text(f"// expect: {first.code} {first.span.line}:{first.span.column}\n"
                        + text[m.end():])
        return
    pytest.fail(f"{path.name}: expected {code} at {line}:{col}, got:\n{_describe(diags)}")


@pytest.mark.parametrize("path", PASS, ids=lambda p: p.stem)
def test_accepted(path: Path) -> None:
    checked, diags = _check(path)
    assert not _errors(diags), f"{path.name}:\n{_describe(diags)}"
    assert checked is not None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_check_clean(path: Path) -> None:
    checked, diags = _check(path)
    assert not _errors(diags), f"{path.name}:\n{_describe(diags)}"
    assert checked is not None and checked.checked_functions


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the Verum corpus is not present at " + str(CORPUS))
def test_verum_corpus() -> None:
    files = sorted(CORPUS.glob("*.vr"))
    assert len(files) == 35
    clean = []
    for f in files:
        _, diags = _check(f)
        errors = _errors(diags)
        if not errors:
            clean.append(f.name)
            continue
        assert f.name in CORPUS_KNOWN, f"{f.name}:\n{_describe(errors)}"
        assert errors[0].code == CORPUS_KNOWN[f.name]
    assert len(clean) == 35 - len(CORPUS_KNOWN)


# ---------------------------------------------------------------- unit tests


def _program(text: str) -> tuple[CheckedProgram, list[Diagnostic]]:
    checked, diags = check_source(SourceFile.from_text("unit.vr", text))
    assert checked is not None, _describe(diags)
    return checked, diags


def _fn(checked: CheckedProgram, name: str) -> ast.FnDecl:
    for info in checked.program.modules.values():
        if info.is_stdlib:
            continue
        for item in info.items:
            if isinstance(item, ast.FnDecl) and item.name.name == name:
                return item
    raise AssertionError(name)


def test_display_in_verum_syntax() -> None:
    assert display(maybe(INT)) == "Maybe<Int>"
    assert display(TupleT((INT, TEXT))) == "(Int, Text)"
    assert display(FnT((INT,), TEXT, True)) == "async fn(Int) -> Text"
    assert display(Ref(TEXT, mut=True)) == "&mut Text"
    assert display(FutureT(INT)) == "Future<Int>"
    assert display(Prim("Unit")) == "()"
    assert strip(Ref(TEXT)) == TEXT


def test_signatures_expr_types_and_symbols() -> None:
    checked, diags = _program("""
type UserId is Int where |n| { n >= 1 };
type User is { id: UserId, name: Text };
context Db { async fn find(id: UserId) -> Maybe<User>; }
async fn load(id: UserId) -> Text using [Db] {
    let found = Db.find(id).await;
    match found {
        Some(u) => u.name,
        None => "nobody",
    }
}
""")
    assert not _errors(diags)
    decl = _fn(checked, "load")
    sig = checked.signature_of(decl)
    assert sig is not None and sig.is_async and sig.using == ("Db",)
    assert sig.params[0].name == "id" and display(sig.params[0].type) == "UserId"
    assert sig.ret == TEXT
    body = decl.body
    assert isinstance(body, ast.Block)
    let = body.stmts[0]
    assert isinstance(let, ast.LetStmt) and let.value is not None
    assert display(checked.type_of(let.value) or INT) == "Maybe<User>"
    awaited = let.value
    assert isinstance(awaited, ast.Await) and isinstance(awaited.target, ast.MethodCall)
    call = awaited.target
    sym = checked.symbol_of(call)
    assert isinstance(sym, FnSym) and sym.kind == "ctx-op" and sym.owner == "unit.Db"
    assert isinstance(checked.symbol_of(call.receiver), ContextSym)
    assert isinstance(checked.symbol_of(call.args[0]), LocalSym)
    assert isinstance(checked.type_of(call), FutureT)


def test_obligations_for_flows_into_refinements() -> None:
    checked, diags = _program("""
type UserId is Int where |n| { n >= 1 };
fn find(id: UserId) -> Bool { true }
fn f(n: Int, m: UserId) -> Bool {
    let a: UserId = 5;
    find(n) && find(m)
}
""")
    assert not _errors(diags)
    kinds = sorted((o.kind, o.target.name) for o in checked.obligations)
    assert kinds == [("arg", "UserId"), ("let", "UserId")]
    arg = next(o for o in checked.obligations if o.kind == "arg")
    assert isinstance(arg.value, ast.Name) and arg.value.name == "n"
    assert arg.function == "unit.f"


def test_generic_inference_through_calls() -> None:
    checked, diags = _program("""
fn f() -> List<Text> {
    let mut xs = List.new();
    xs.push("a");
    xs
}
fn g() -> Result<Int, Text> {
    let r = Ok(3);
    r
}
""")
    assert not _errors(diags)
    body = _fn(checked, "f").body
    assert isinstance(body, ast.Block) and isinstance(body.stmts[0], ast.LetStmt)
    value = body.stmts[0].value
    assert value is not None
    assert display(checked.type_of(value) or INT) == "List<Text>"


def test_variants_and_bare_constructors_resolve() -> None:
    checked, diags = _program("""
type Color is | Red | Green(Int);
fn f(c: Color) -> Color {
    match c {
        Red => Green(1),
        Color.Green(n) => Color.Red,
    }
}
""")
    assert not _errors(diags)
    body = _fn(checked, "f").body
    assert isinstance(body, ast.Block) and isinstance(body.tail, ast.Match)
    arm0 = body.tail.arms[0]
    assert isinstance(checked.symbol_of(arm0.pattern), VariantSym)
    sym = checked.symbol_of(arm0.body)
    assert isinstance(sym, VariantSym) and sym.name == "Green"
    t = checked.type_of(arm0.body)
    assert isinstance(t, Named) and t.name == "Color"


def test_router_chain_types_and_handler_symbols() -> None:
    checked, diags = _program("""
mount core.net.weft.{Router, Method, Response, WeftApp};
async fn hello() -> Response { Response.ok("hi") }
fn main() {
    let app = Router.new().route("/", Method.Get, hello);
    WeftApp.new(app).bind("0.0.0.0:8080").serve().await
}
""")
    assert not _errors(diags)
    body = _fn(checked, "main").body
    assert isinstance(body, ast.Block) and isinstance(body.stmts[0], ast.LetStmt)
    chain = body.stmts[0].value
    assert isinstance(chain, ast.MethodCall)
    assert display(checked.type_of(chain) or INT) == "Router"
    sym = checked.symbol_of(chain)
    assert isinstance(sym, FnSym) and sym.qualified == "core.net.weft.router.Router.route"
    handler = chain.args[2]
    assert isinstance(checked.symbol_of(handler), FnSym)
    assert isinstance(checked.symbol_of(chain.receiver), FnSym)
    new_recv = chain.receiver
    assert isinstance(new_recv, ast.MethodCall)
    assert isinstance(checked.symbol_of(new_recv.receiver), TypeSym)


def test_closure_signature_recorded() -> None:
    checked, diags = _program("""
fn apply(f: fn(Int) -> Int) -> Int { f(1) }
fn g() -> Int { apply(|x| x + 1) }
""")
    assert not _errors(diags)
    body = _fn(checked, "g").body
    assert isinstance(body, ast.Block) and isinstance(body.tail, ast.Call)
    closure = body.tail.args[0]
    assert isinstance(closure, ast.Closure)
    sig = checked.signature_of(closure)
    assert sig is not None and sig.kind == "closure" and sig.params[0].type == INT
