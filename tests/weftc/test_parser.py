"""Stage 1 (syntax): constructs, precedence, spans, quirks Q1-Q17, seed programs,
the Verum conformance corpus, diagnostics and robustness of `weftc.syntax`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.weftc.verum_corpus import CORPUS
from weftc.diagnostics import Severity
from weftc.source import SourceFile
from weftc.syntax import ParseResult, ast, parse, parse_file, parse_text
from weftc.syntax.ast_json import to_json
from weftc.syntax.literals import decode_number, split_fstring


def ok(text: str) -> ast.Module:
    result = parse_text(text, "t.vr")
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors, [(d.code, d.span.line, d.span.column, d.message) for d in errors]
    assert result.module is not None
    return result.module


def body_of(text: str) -> ast.Block:
    fn = ok(text).items[-1]
    assert isinstance(fn, ast.FnDecl) and isinstance(fn.body, ast.Block)
    return fn.body


def expr(text: str) -> ast.Expr:
    """The tail expression of `fn f() { <text> }`."""
    block = body_of("fn f() { " + text + " }")
    assert block.tail is not None
    return block.tail


def codes(text: str) -> list[str]:
    return [d.code for d in parse_text(text, "t.vr").diagnostics]


def shape(e: Any) -> Any:
    """A compact s-expression of an expression tree, for precedence assertions."""
    if isinstance(e, ast.Binary):
        return (e.op, shape(e.left), shape(e.right))
    if isinstance(e, ast.Assign):
        return (e.op, shape(e.target), shape(e.value))
    if isinstance(e, ast.Unary):
        return (e.op, shape(e.operand))
    if isinstance(e, ast.Cast):
        return ("as", shape(e.expr))
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.IntLit):
        return e.value
    if isinstance(e, ast.Range):
        return ("..=" if e.inclusive else "..", shape(e.start), shape(e.end))
    if isinstance(e, ast.IsPattern):
        return ("is not" if e.negated else "is", shape(e.expr))
    if isinstance(e, ast.MethodCall):
        return ("call", shape(e.receiver), e.method.name)
    if isinstance(e, ast.ImplicitSubject):
        return "<it>"
    return type(e).__name__


# ------------------------------------------------------------------ constructs

CONSTRUCTS = [
    "mount a.b.c;", "mount a.b.c as x;", "mount a.b.*;", "mount .router.*;",
    "mount a.{B, c.{D, E as F}, g.*,};", "public mount .helpers.*;",
    "module a.b.c;", "module m { fn f() {} }",
    "const X: Int = 1;", "pub const Y = 0xFF_FF;", "static S: Text = \"s\";",
    "type A is Int;", "type U is ();", "type P is (Int, Text);", "type E is {};",
    "type R is { x: Int, y: Float = 0.0, @doc(\"d\") pub z: Text, };",
    "type S is | A | B(Int, Text) | C { f: Int };", "type S is A | B;", "type S is A(Int);",
    "type G<T, U: Clone + Send> is { inner: T };",
    "type P is protocol { type Error: Show = Text; const K: Int; fn f(&self) -> Int; "
    "fn g(&self) -> Int { 1 } };",
    "type P is protocol extends A + B { fn f(&self); };",
    "protocol Q { fn f(&self); }", "context protocol Q { fn f(); }",
    "context Db { async fn find(id: Int) -> Maybe<Int>; const url: Text; type T; }",
    "context async Store { fn get() -> Int using [Clock]; }",
    "implement P for T { type Error = E; fn f(&self) -> Int { 1 } }",
    "implement<T: A + B> P for W<T> where T: Send { pub async fn f(&mut self) {} }",
    "implement T { public fn new() -> T = T {}; }",
    "using Pure = [!IO, !Random];",
    "fn f(self) {}", "fn f(mut self) {}", "fn f(&self, x: Int) {}", "fn f(&mut self,) {}",
    "fn f((a, b): (Int, Int), Path(id): Path<Int>, _u: T, n: Int = 3) {}",
    "fn f() -> impl Handler + Send { x }", "fn f() -> WeftApp<impl Handler> { x }",
    "fn f() -> Heap<dyn Signer> { panic(\"x\") }", "fn f() -> ! { loop {} }",
    "fn f<'a, T: AsRef<Text> + 'a>(x: &'a T) {}", "fn f() throws(A | B) -> Int { 1 }",
    "fn f() using [A, B] {}", "fn f() -> Int using A { 1 }", "fn f() using [A] -> Int { 1 }",
    "fn f(x: Int) -> Int requires x > 0, x < 9 ensures result > 0 { x }",
    "fn f() -> Int = 1;", "fn f(x: Int);", "pure fn f() {}", "async fn f() {}",
    "unsafe fn f() {}", "@main public fn main() -> Int { 0 }",
    "@cfg(target_os = \"linux\") fn f() {}", "@verify(formal) fn f(@unused x: Int) {}",
    "fn f(g: fn(Int, &Int) -> Int, h: async fn(Int) -> Int, k: fn() using [C]) {}",
    "fn f(a: [Int; 4], b: [Text], c: &mut List<List<Byte>>, d: {x: Int}, e: a.b.C, f: _) {}",
    "fn f() { let x = 1; let mut y: Int = 2; let _ = x; let (a, (b, c)) = t; }",
    "fn f() { let Some(x) = m else { return 0 }; }",
    "fn f() { provide C = x; provide C = y in { a(); } provide C = z { b(); } "
    "provide A = p, B = q { c(); } }",
    "fn f() { const L: Int = 3; fn g() {} type T is Int; }",
    "fn f() { if a { 1 } else if b { 2 } else { 3 } }",
    "fn f() { if let Some(n) = m && n > 3 { n } }",
    "fn f() { while i < 10 { i += 1; continue; } loop { break; } for (i, v) in xs { } }",
    "fn f() { let v = loop { break 5; }; unsafe { x(); } { let s = 1; } }",
    "fn f() { let c = |x, y| x + y; let d = |x: Int| -> Int { x }; let e = || 42; }",
    "fn f() { let a = async |x| x; let m = move || 1; let t = async { g().await }; "
    "let h = spawn w(1); }",
    "fn f() { let x = [0; 8]; let y = [1, 2, 3,]; let z: List<Int> = []; let t = (1,); }",
    "fn f() { let p = P { x: 1, y }; let q = P { ..p }; let r = a.b.P { x: 1, ..p }; "
    "let e = E {}; }",
    "fn f() { x = 1; x += 1; x -= 1; x *= 2; x /= 2; x %= 3; x &= 1; x |= 1; x ^= 1; "
    "x <<= 1; x >>= 1; }",
    "fn f() { let a = xs |> sum; let b = xs |> .len(); let c = m ?? 0; let d = m?.f(); }",
    "fn f() { let a = 'a'; let b = b'x'; let c = b\"raw\"; let d = \"\\u{1F600}\\t\"; }",
    "fn f() { let r = \"\"\"\n raw \"x\" \\n\n\"\"\"; let g = f\"\"\"\n {a}\n\"\"\"; }",
    "fn f() { match v { T.N(0) => 1, T.N(n) if n < 0 => 2, T.N(1..=9) => 3, "
    "T.N(n) where n > 9 => 4, T.N(-1) => 5, T.W(\"\") | T.E => 6, T.W(w @ _) => { 7 } } }",
    "fn f() { match p { (0, _) | (_, 0) => 1, [] => 2, [a, .., z] => 3, "
    "&P { x, y: 0.0, .. } => 4, P {..} => 5, Ok(Some(mut n)) => 6, Err(ref m) => 7, "
    "'a'..='z' => 8, @cold _ => 9, x is Int => 10, } }",
]


@pytest.mark.parametrize("text", CONSTRUCTS)
def test_construct_parses(text: str) -> None:
    ok(text)


def test_item_kinds() -> None:
    m = ok("mount a.b; type T is Int; fn f() {} implement T {} context C {} const K = 1;"
           " type P is protocol {}; module x;")
    kinds = [type(i).__name__ for i in m.items]
    assert kinds == ["Mount", "TypeDecl", "FnDecl", "ImplementBlock", "ContextDecl", "ConstDecl",
                     "ProtocolDecl", "ModuleDecl"]


def test_mount_tree() -> None:
    m = ok("mount .a.{B, c.{D as E}, f.*};").items[0]
    assert isinstance(m, ast.Mount)
    tree = m.tree
    assert tree.relative and tree.kind == "group" and [s.name for s in tree.path] == ["a"]
    b, c, f = tree.children
    assert b.kind == "single" and c.kind == "group" and f.kind == "glob"
    assert c.children[0].alias is not None and c.children[0].alias.name == "E"


def test_fn_signature_details() -> None:
    fn = ok("@main pub async fn g<T: A>(&self, x: Int = 2) -> Int using [C] -> X {}"
            .replace(" -> X", "")).items[0]
    assert isinstance(fn, ast.FnDecl)
    assert fn.modifiers == ("async",) and fn.visibility is not None
    assert fn.visibility.keyword == "pub" and fn.attributes[0].name.name == "main"
    assert isinstance(fn.params[0], ast.SelfParam) and fn.params[0].is_ref
    assert isinstance(fn.params[1], ast.Param) and isinstance(fn.params[1].default, ast.IntLit)
    assert fn.using is not None and fn.using.bracketed and not fn.using_before_ret
    before = ok("fn f() using [C] -> Int { 1 }").items[0]
    assert isinstance(before, ast.FnDecl) and before.using_before_ret
    expr_body = ok("fn f() -> Int = 1;").items[0]
    assert isinstance(expr_body, ast.FnDecl) and expr_body.expr_body
    decl = ok("fn f();").items[0]
    assert isinstance(decl, ast.FnDecl) and decl.body is None


def test_contracts_and_visibility_scopes() -> None:
    fn = ok("public(in a.b) fn f(x: Int) requires x > 0, x < 5 ensures result > x { x }").items[0]
    assert isinstance(fn, ast.FnDecl)
    assert [c.kind for c in fn.contracts] == ["requires", "ensures"]
    assert len(fn.contracts[0].conditions) == 2
    assert fn.visibility is not None and fn.visibility.scope == "in"
    assert fn.visibility.path is not None and fn.visibility.path.dotted == "a.b"


def test_sum_type_and_attributes() -> None:
    t = ok("type S is\n | A\n | @deprecated B(Int)\n | C { f: Int };").items[0]
    assert isinstance(t, ast.TypeDecl) and isinstance(t.body, ast.SumType)
    assert t.body.leading_bar
    a, b, c = t.body.variants
    assert a.payload is None and b.payload is not None and c.fields is not None
    assert b.attributes[0].name.name == "deprecated"


def test_attribute_arguments() -> None:
    fn = ok("@cfg(target_os = \"linux\", 3) fn f() {}").items[0]
    assert isinstance(fn, ast.FnDecl)
    args = fn.attributes[0].args
    assert args is not None and args[0].key is not None and args[0].key.name == "target_os"
    assert args[1].key is None


def test_block_tail_rules() -> None:
    block = body_of("fn f() { match x { _ => 1 } }")
    assert block.tail is not None and isinstance(block.tail, ast.Match) and not block.stmts
    block = body_of("fn f() { match x { _ => {} }; g() }")
    first = block.stmts[0]
    assert isinstance(first, ast.ExprStmt) and first.semicolon
    block = body_of("fn f() { if a { b(); } P { x: 1 } }")
    stmt = block.stmts[0]
    assert isinstance(stmt, ast.ExprStmt) and not stmt.semicolon and isinstance(stmt.expr, ast.If)
    assert isinstance(block.tail, ast.RecordLit)
    block = body_of("fn f() { let a = 1; let b = 2; a }")     # Q12-style two statements
    assert len(block.stmts) == 2 and isinstance(block.tail, ast.Name)


def test_struct_literal_not_in_heads() -> None:
    e = expr("match cfg.pool { Some(_) => 1, None => 2 }")
    assert isinstance(e, ast.Match) and isinstance(e.scrutinee, ast.Field)
    e = expr("if ok { 1 } else { 2 }")
    assert isinstance(e, ast.If) and isinstance(e.condition, ast.Name)
    e = expr("while running { tick(); }")
    assert isinstance(e, ast.While)
    e = expr("if x == (P { a: 1 }) { 1 }")
    assert isinstance(e, ast.If)


def test_generic_call_vs_comparison() -> None:
    e = expr("extract_json<List<Int>>(&req, &cfg)")
    assert isinstance(e, ast.Call) and len(e.type_args) == 1
    targ = e.type_args[0]
    assert isinstance(targ, ast.PathType) and isinstance(targ.args[0], ast.PathType)
    e = expr("xs.collect<List<Int>>()")
    assert isinstance(e, ast.MethodCall) and e.type_args
    assert shape(expr("a < b && c > d")) == ("&&", ("<", "a", "b"), (">", "c", "d"))
    assert shape(expr("f(a < b, c > (d))")) == "Call"
    e = expr("Shared<Int>.new(0)")
    assert isinstance(e, ast.MethodCall) and isinstance(e.receiver, ast.TypeApplication)
    assert shape(expr("x >> 2")) == (">>", "x", 2)


@pytest.mark.parametrize(("src", "tree"), [
    ("1 + 2 * 3", ("+", 1, ("*", 2, 3))),
    ("1 - 2 - 3", ("-", ("-", 1, 2), 3)),
    ("2 ** 3 ** 2", ("**", 2, ("**", 3, 2))),
    ("-x ** 2", ("**", ("-", "x"), 2)),
    ("a || b && c", ("||", "a", ("&&", "b", "c"))),
    ("a == b && c != d", ("&&", ("==", "a", "b"), ("!=", "c", "d"))),
    ("a & b == c", ("==", ("&", "a", "b"), "c")),
    ("a << 1 + 2", ("<<", "a", ("+", 1, 2))),
    ("a | b ^ c & d", ("&", ("^", ("|", "a", "b"), "c"), "d")),
    ("a < b == c > d", ("==", ("<", "a", "b"), (">", "c", "d"))),
    ("0 .. n + 1", ("..", 0, ("+", "n", 1))),
    ("a ?? b || c", ("??", "a", ("||", "b", "c"))),
    ("x = y = 1", ("=", "x", ("=", "y", 1))),
    ("x += a * b", ("+=", "x", ("*", "a", "b"))),
    ("x |> f == y", ("|>", "x", ("==", "f", "y"))),
    ("-x as Float", ("-", ("as", "x"))),
    ("*n >= 1024 && *n <= 65535", ("&&", (">=", ("*", "n"), 1024), ("<=", ("*", "n"), 65535))),
    ("&\"x\".into()", ("&", ("call", "TextLit", "into"))),
    ("x is Some(_) && y", ("&&", ("is", "x"), "y")),
    ("x is not A || b", ("||", ("is not", "x"), "b")),
    ("a + b is P", ("is", ("+", "a", "b"))),
    ("!a && b", ("&&", ("!", "a"), "b")),
])
def test_precedence(src: str, tree: Any) -> None:
    assert shape(expr(src)) == tree


def test_closure_takes_the_rest() -> None:
    e = expr("|x| x + 1")
    assert isinstance(e, ast.Closure) and shape(e.body) == ("+", "x", 1)
    e = expr("a || |x| x")
    assert isinstance(e, ast.Binary) and isinstance(e.right, ast.Closure)
    e = expr("a | b")
    assert shape(e) == ("|", "a", "b")


# ------------------------------------------------------------------ refinements


def refined(decl: str) -> ast.RefinedType:
    t = ok(decl).items[0]
    assert isinstance(t, ast.TypeDecl) and isinstance(t.body, ast.RefinedType)
    return t.body


def test_refinement_forms() -> None:
    r = refined("type P is Int{> 0};")
    assert r.form is ast.RefinementForm.INLINE and r.binder is None
    assert shape(r.predicate) == (">", "<it>", 0)
    r = refined("type P is Int{>= 0 && <= 100};")
    assert shape(r.predicate) == ("&&", (">=", "<it>", 0), ("<=", "<it>", 100))
    r = refined("type P is Int{x: x >= 0};")
    assert r.binder is not None and r.binder.name == "x"
    r = refined("type P is Int{it >= 0, it <= 10};")
    assert len(r.parts) == 2 and shape(r.predicate) == ("&&", (">=", "it", 0), ("<=", "it", 10))
    r = refined("type U is Int where |n| { n >= 1 };")
    assert r.form is ast.RefinementForm.LAMBDA and r.braced and r.binder is not None
    assert shape(r.predicate) == (">=", "n", 1)
    r = refined("type A is Int where |x| x >= 0 && x <= 150;")
    assert r.form is ast.RefinementForm.LAMBDA and not r.braced
    r = refined("type P is Int where it >= 1 && it <= 65535;")
    assert r.form is ast.RefinementForm.WHERE
    r = refined("type N is n: Int where n >= 0;")
    assert r.form is ast.RefinementForm.SIGMA and r.binder is not None and r.binder.name == "n"
    r = refined("type E is Text where is_valid_email;")
    assert r.form is ast.RefinementForm.NAMED and isinstance(r.predicate, ast.Name)
    r = refined("type A is Age where it >= 18;")
    assert isinstance(r.base, ast.PathType) and r.base.path.dotted == "Age"


def test_refinements_in_positions() -> None:
    fn = ok("fn f(d: Int{!= 0}, t: Text{len(self) > 0}) -> Int{result > 0} { 1 }").items[0]
    assert isinstance(fn, ast.FnDecl) and isinstance(fn.ret, ast.RefinedType)
    p0 = fn.params[0]
    assert isinstance(p0, ast.Param) and isinstance(p0.type, ast.RefinedType)
    ok("type T is { taps: Int{it >= 0} };")
    ok("fn f() { let x: Int{> 0} = 5; let xs: List<Int{> 0}> = []; }")
    ok("fn f() -> Int { 1 }\nfn g()->Int{let c = 1; c}")       # glued body brace after a type


# ------------------------------------------------------------------ literals


@pytest.mark.parametrize(("text", "value", "suffix"), [
    ("1_000_000", 1_000_000, None), ("0x1234_abcd", 0x1234ABCD, None), ("0o17", 15, None),
    ("0b1010", 10, None), ("3_u8", 3, "u8"), ("7i64", 7, "i64"), ("503_u16", 503, "u16"),
    ("0b1010_0101_u8", 0b10100101, "u8"), ("0x00268C73", 2526323, None),
    ("3.25", 3.25, None), ("1.5e-3", 1.5e-3, None), ("2.0e10f64", 2.0e10, "f64"),
])
def test_numbers(text: str, value: float, suffix: str | None) -> None:
    n = decode_number(text)
    assert n.error is None and n.value == value and n.suffix == suffix


@pytest.mark.parametrize("text", ["1_", "0x", "3_u7", "12abc", "0b102", "1.5u8"])
def test_bad_numbers(text: str) -> None:
    assert decode_number(text).error is not None


def test_string_escapes_and_raw() -> None:
    e = expr('"a\\tb\\\"q\\\" \\u{41} \\x41 \\\\ \\z"')
    assert isinstance(e, ast.TextLit) and e.value == 'a\tb"q" A A \\ \\z'
    e = expr('"""x "y" \\n"""')
    assert isinstance(e, ast.TextLit) and e.raw and e.value == 'x "y" \\n'


def test_fstring_parts() -> None:
    e = expr('f"{a} + {b:08} = {{lit}} {p.x.len()} {if a > 0 { 1 } else { 2 }}"')
    assert isinstance(e, ast.FString)
    kinds = [type(p).__name__ for p in e.parts]
    assert kinds.count("FStringExpr") == 4
    spec = [p for p in e.parts if isinstance(p, ast.FStringExpr)][1]
    assert spec.spec == "08"
    assert any(isinstance(p, ast.FStringText) and "{lit}" in p.value for p in e.parts)
    plain = expr('f"no placeholders"')
    assert isinstance(plain, ast.FString) and len(plain.parts) == 1
    quoted = expr('f"{m.get(\\"k\\")}"')
    assert isinstance(quoted, ast.FString) and isinstance(quoted.parts[0], ast.FStringExpr)
    segs = split_fstring("a{x:?}b", raw=False)
    assert [s.is_expr for s in segs] == [False, True, False] and segs[1].spec == "?"


def test_fstring_expression_spans() -> None:
    src = 'fn f() {\n    g(f"id={user.id}")\n}'
    m = ok(src)
    fn = m.items[0]
    assert isinstance(fn, ast.FnDecl) and isinstance(fn.body, ast.Block)
    call = fn.body.tail
    assert isinstance(call, ast.Call)
    fs = call.args[0]
    assert isinstance(fs, ast.FString)
    part = fs.parts[1]
    assert isinstance(part, ast.FStringExpr)
    assert (part.expr.span.line, part.expr.span.column) == (2, 13)
    assert src[part.expr.span.start:part.expr.span.end] == "user.id"


def test_route_literal() -> None:
    e = expr('route#"/api/{version}/users/{next}"')
    assert isinstance(e, ast.RouteLiteral)
    assert [type(p).__name__ for p in e.parts] == ["FStringText", "FStringExpr", "FStringText",
                                                    "FStringExpr"]


# ------------------------------------------------------------------ spans


def test_spans() -> None:
    src = "type A is Int;\n\nfn  main() {\n    let x = foo(1, 2);\n}\n"
    m = ok(src)
    fn = m.items[1]
    assert isinstance(fn, ast.FnDecl)
    assert (fn.span.line, fn.span.column, fn.span.end_line) == (3, 1, 5)
    assert (fn.name.span.line, fn.name.span.column, fn.name.span.end_column) == (3, 5, 9)
    assert isinstance(fn.body, ast.Block)
    let = fn.body.stmts[0]
    assert isinstance(let, ast.LetStmt)
    assert src[let.span.start:let.span.end] == "let x = foo(1, 2);"
    assert let.value is not None and src[let.value.span.start:let.value.span.end] == "foo(1, 2)"
    assert m.span.start == 0 and m.span.end == len(src)


def test_non_ascii_columns() -> None:
    src = "// §6.17 — привет\nfn f() { let ü = 1; }"
    m = ok(src)
    fn = m.items[0]
    assert isinstance(fn, ast.FnDecl) and (fn.span.line, fn.span.column) == (2, 1)


# ------------------------------------------------------------------ quirks Q1-Q17

QUIRKS = {
    "Q1": 'fn f() { let body = f"{not json}".into_bytes(); }',
    "Q2": "fn f() -> Text { (&*strat).name() }",
    "Q3": "fn f() { g(|n| *n >= 1024 && *n <= 65535); }",
    "Q4": "fn f() { ().into_response() }",
    "Q5": 'fn f() { p.matches(&"spiffe://prod/*/sa/admin".into()) }',
    "Q6": "fn f() { h.slot().1 }",
    "Q7": "fn f() { match extract_json<Maybe<Int>>(&req, &cfg) { Ok(Some(n)) => assert(n == 7), "
          "Ok(None) => {}, _ => panic(\"x\"), } }",
    "Q8": "fn f() { match r { Ok(WsMessage.CloseMsg {..}) => break, "
          "Err(JsonExtractError.PayloadTooLarge { len, cap }) => { g(); }, "
          "Err(E.W { actual: _ }) => {}, } }",
    "Q9": "fn f() { let server = match Server.bind(a) { Err(e) => return Err(e), Ok(s) => s, }; }",
    "Q10": "fn f() -> (Bool, Int, (Bool, Int)) { let (a_ms, a_b, (a_p, a_v)) = x.fingerprint(); t }",
    "Q11": "fn f() { let seed: UInt64 = 0x00268C73; }",
    "Q12": "fn f() { let a = 1; let b = 2; }",
    "Q13": "fn f() { let layer = x; let stream = y; s.layer(layer).stream(); }",
    "Q14": 'fn f() { h.append(f"priority", v); }',
    "Q15": "implement Handler for E { pub async fn handle(&self, req: &WeftRequest) -> "
           "Result<Response, WeftError> { Ok(Response { status: StatusCode.ok(), "
           "headers: Headers.new(), body: req.body.clone() }) } }",
    "Q16": "fn f() { let err = WeftError.PayloadTooLarge; }",
    "Q17": 'fn mk() -> Heap<dyn CertSigner> { panic("stub") }',
}


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_quirk(name: str) -> None:
    result = parse_text(QUIRKS[name], "q.vr")
    assert result.module is not None, result.diagnostics
    warnings = [d.code for d in result.diagnostics]
    assert warnings == (["W0001"] if name == "Q1" else [])


def test_q1_segment_kept_as_text() -> None:
    e = expr('f"{not json}"')
    assert isinstance(e, ast.FString) and isinstance(e.parts[0], ast.FStringText)
    assert e.parts[0].value == "{not json}"


def test_q11_hex_value() -> None:
    block = body_of("fn f() { let seed: UInt64 = 0x00268C73; }")
    let = block.stmts[0]
    assert isinstance(let, ast.LetStmt) and isinstance(let.value, ast.IntLit)
    assert let.value.value == 2526323


# ------------------------------------------------------------------ seed programs

SEED_HELLO = """@runtime(work_stealing)
mount core.net.weft.{Router, Method, Response, WeftApp};
mount core.net.http.{Request};
async fn hello() -> Response {
Response.ok("Hello from Weft!")
}
async fn echo_name(Path(name): Path<Text>) -> Response {
Response.ok(f"Hello, {name}!")
}
fn main() {
let app = Router.new()
.route("/", Method.Get, hello)
.route("/hello/:name", Method.Get, echo_name);
WeftApp.new(app)
.bind("0.0.0.0:8080")
.serve()
.await
}
"""

SEED_REST = """@runtime(work_stealing)
mount core.net.weft.*;
type UserId is Int where |n| { n >= 1 };
context Database {
async fn find(id: UserId) -> Maybe<User>;
async fn save(user: User) -> Result<UserId, DbError>;
}
type ApiError is
| NotFound | Validation(Text) | Internal(Text) | Unauthorized;
implement IntoResponse for ApiError {
fn into_response(self) -> Response { /* ... */ }
}
async fn get_user(Path(id): Path<UserId>)
-> Result<Json<User>, ApiError>
using [Database]
{
let user = Database.find(id).await
.map_err(|e| ApiError.Internal(f"{e}"))?;
match user {
Some(u) => Ok(Json(u)),
None => Err(ApiError.NotFound),
}
}
fn main() using [Config] {
let app = Router.new()
.route("/users/:id", Method.Get, get_user)
.layer(TracingLayer.new())
.layer(TimeoutLayer.ms(5000))
.layer(RateLimitLayer.new(RateConfig { rps: 1000, burst: 100 }))
.layer(AuthLayer.jwt(Config.jwt_secret));
let root = Supervisor.new(supervisor_config());
root.add_child(ChildSpec.permanent("db")
.with_start(|| Database.connect(Config.db_url)));
root.add_child(ChildSpec.permanent("http")
.with_start(|| WeftApp.new(app).bind("0.0.0.0:8080").serve()));
root.run().await
}
"""

SEED_REFINED = """type ValidApiVersion is Text where |s| { s == "v1" || s == "v2" || s == "v3" };
type UserId is Int where |n| { n >= 1 && n <= 1_000_000_000 };
async fn get_user(
Path(version): Path<ValidApiVersion>,
Path(id): Path<UserId>,
) -> Json<User> {
// The SMT solver has already proved version is one of v1/v2/v3
}
"""

SEED_SCRIPT = """mount core.sys.raw.{
__tcp_listen_raw, __tcp_accept_raw,
__tcp_recv_raw, __tcp_send_raw, __tcp_close_raw,
};
fn main() {
let listen_fd = __tcp_listen_raw(7878);
let _ = __tcp_send_raw(conn_fd, "HTTP/1.0 200 OK\\r\\n\\r\\nhello");
__tcp_close_raw(listen_fd);
}
"""


@pytest.mark.parametrize("text", [SEED_HELLO, SEED_REST, SEED_REFINED, SEED_SCRIPT])
def test_seed_programs(text: str) -> None:
    ok(text)


def test_seed_rest_shape() -> None:
    m = ok(SEED_REST)
    get_user = next(i for i in m.items if isinstance(i, ast.FnDecl) and i.name.name == "get_user")
    assert get_user.using is not None and get_user.modifiers == ("async",)
    assert isinstance(get_user.ret, ast.PathType) and get_user.ret.path.dotted == "Result"
    api = next(i for i in m.items if isinstance(i, ast.TypeDecl) and i.name.name == "ApiError")
    assert isinstance(api.body, ast.SumType) and len(api.body.variants) == 4


# ------------------------------------------------------------------ the Verum corpus


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.vr")) if CORPUS.is_dir() else []


def test_verum_corpus_parses() -> None:
    files = corpus_files()
    if not files:
        pytest.skip(f"Verum conformance corpus not present at {CORPUS} (only on dev machines)")
    failures = {}
    for path in files:
        result = parse_file(path)
        if result.module is None:
            failures[path.name] = [(d.code, d.span.line, d.message) for d in result.diagnostics]
    assert not failures
    assert len(files) == 35


# ------------------------------------------------------------------ diagnostics


def first(text: str) -> tuple[str, int, int, str]:
    result = parse_text(text, "t.vr")
    assert result.module is None
    d = result.diagnostics[0]
    return d.code, d.span.line, d.span.column, d.message


def test_e0001_messages() -> None:
    code, line, col, msg = first("fn f() { let x = 1 }")
    assert (code, line, col) == ("E0001", 1, 20) and "expected `;` after `let` statement" in msg
    code, _, _, msg = first("fn f() { g(1 2); }")
    assert code == "E0001" and "`)` or `,`" in msg
    code, _, _, msg = first("fn f() { let x = ; }")
    assert code == "E0001" and "expected an expression" in msg and "found `;`" in msg
    code, _, _, msg = first("fn f() { let match = 1; }")
    assert code == "E0001" and "`match`" in msg


def test_e0002_points_at_opener() -> None:
    result = parse_text("fn f() {\n    let x = 1;\n", "t.vr")
    d = result.diagnostics[0]
    assert d.code == "E0002"
    assert d.labels and (d.labels[0].span.line, d.labels[0].span.column) == (1, 8)


def test_e0003_e0004_e0005() -> None:
    assert first('fn f() { let s = "abc; }')[:3] == ("E0003", 1, 18)
    assert first("fn f() {} /* never closed")[:3] == ("E0004", 1, 11)
    code, _, col, msg = first("fn f() { let x = 1 $ 2; }")
    assert (code, col) == ("E0005", 20) and "U+0024" in msg
    assert first("fn f() {\x00}")[0] == "E0005"


def test_e0006_mismatched() -> None:
    result = parse_text("fn f() { g(1]; }", "t.vr")
    d = result.diagnostics[0]
    assert d.code == "E0006" and d.labels and d.labels[0].span.column == 11
    assert first("fn f() {}\n}")[:3] == ("E0006", 2, 1)


def test_e0007_numbers() -> None:
    assert "E0007" in codes("fn f() { let a = 1_; }")
    assert "E0007" in codes("fn f() { let a = 0x; }")
    assert "E0007" in codes("fn f() { let a = 1.e5; }")
    assert "E0007" in codes("fn f() { let a = 3_u7; }")
    assert codes("fn f() { let a = 1_; let b = 0x; }").count("E0007") == 2


@pytest.mark.parametrize("text", [
    "fn f() { select { } }", "fn f() { nursery { } }", "fn f() { defer close(x); }",
    "fn f() { throw E.Bad; }", "fn* gen() {}", 'fn f() { let j = json#"{}"; }',
    "fn f() { let d = [x * 2 for x in xs]; }", "theorem t(n: Int) {}",
    "static mut COUNTER: Int = 0;", "fn f(x: &checked Int) {}", "type affine H is {};",
    "fn f() { try { g() } }", "meta fn m() {}", "fn f() { let q = @quote(x); }",
])
def test_e0009_unsupported(text: str) -> None:
    assert "E0009" in codes(text)


def test_e0010_and_parse_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vr"
    bad.write_bytes(b"fn f() {}\nfn g() { \xff }\n")
    result = parse_file(bad)
    assert result.module is None and result.diagnostics[0].code == "E0010"
    assert (result.diagnostics[0].span.line, result.diagnostics[0].span.column) == (2, 10)
    good = tmp_path / "good.vr"
    good.write_text("fn f() {}\n", encoding="utf-8")
    assert parse_file(good).ok


def test_multiple_errors_recovered() -> None:
    src = ("fn a() { let x = ; }\n"
           "fn ok1() {}\n"
           "fn b() { g(1 2); }\n"
           "type T is Int\n"
           "fn c() { let y = 1 }\n")
    result = parse_text(src, "t.vr")
    assert result.module is None
    found = [(d.span.line, d.span.column) for d in result.diagnostics if d.is_error]
    # 5:1 is the missing `;` after `type T is Int` (seen where `fn c` starts)
    assert found == [(1, 18), (3, 14), (5, 1), (5, 20)]


def test_missing_brace_recovery_continues() -> None:
    src = "fn a() {\n    let x = 1;\n\nfn b() { }\ntype T is Int\n"
    result = parse_text(src, "t.vr")
    diags = [(d.code, d.span.line) for d in result.diagnostics]
    assert diags == [("E0002", 4), ("E0002", 6)]
    label = result.diagnostics[0].labels[0]
    assert (label.span.line, label.span.column) == (1, 8)


def test_diagnostic_cap() -> None:
    src = "".join(f"fn f{i}() {{ let x = ; }}\n" for i in range(120))
    result = parse_text(src, "t.vr")
    assert len(result.diagnostics) == 50


def test_warning_keeps_module() -> None:
    result = parse_text('fn f() { f"{1 +}" }', "t.vr")
    assert result.module is not None
    assert [(d.code, d.severity) for d in result.diagnostics] == [("W0001", Severity.WARNING)]


# ------------------------------------------------------------------ robustness


@pytest.mark.parametrize("text", [
    "", "   \n\n", "// only a comment\n", "\x00\x00", "fn f() { \ud800 }", "((((((((((",
    "(" * 5000, "fn f() { " + "[" * 3000 + " }", "fn f() { " + "{" * 400 + "}" * 400 + " }",
    "fn f() { " + "-" * 3000 + "x }", "fn f() { x" + ".a" * 3000 + " }",
    "fn f() { 1" + " + 1" * 5000 + " }", "}}}}))))", "fn", "fn f(", '"', "'", "/*",
    'f"{', 'fn f() { f"{f\\"{f\\\\\\"{x}\\\\\\"}\\"}" }', "\ufeff fn f() {}", "@", "@@@@",
    "type T is ;", "mount ;", "fn f() { match x { } }", "\t\r\n\x0b\x0c",
])
def test_never_raises(text: str) -> None:
    result = parse_text(text, "t.vr")
    assert isinstance(result, ParseResult)
    assert (result.module is None) == any(d.is_error for d in result.diagnostics)


def test_deep_binary_chain_json() -> None:
    result = parse_text("fn f() { 1" + " + 1" * 4000 + " }", "t.vr")
    assert result.module is not None
    data = to_json(result.module)
    assert data["node"] == "Module"


def test_large_file() -> None:
    unit = "fn f{k}(x: Int) -> Int {{ let y = x * {k}; y + 1 }}\n"
    text = "".join(unit.format(k=k) for k in range(3000))
    result = parse(SourceFile.from_text("big.vr", text))
    assert result.module is not None and len(result.module.items) == 3000


# ------------------------------------------------------------------ JSON


def test_ast_json() -> None:
    m = ok("type P is Int{> 0};\nfn f(x: P) -> Int { x + 1 }")
    data = to_json(m)
    text = json.dumps(data)
    assert data["node"] == "Module" and data["span"]["line"] == 1
    refined_json = data["items"][0]["body"]
    assert refined_json["node"] == "RefinedType" and refined_json["form"] == "inline"
    fn = data["items"][1]
    assert fn["name"]["name"] == "f" and fn["body"]["tail"]["node"] == "Binary"
    assert '"op": "+"' in text
