"""The C front end (`weftc.syntax._cfront`) against its specification, the Python fast path.

Why: `FastParser.parse` runs the C twin first and only runs the Python loop
when the C code gives up (`Bail`). Whatever the C code returns is what every
later stage sees, so it must equal, node for node and span for span, what
`FastParser(..., native=False)` builds from the same text, with the same side
notes (E0007 numbers, W0001 f-string warnings, E0009 `static mut`) and the
same failure. The trees are compared as type-tagged dumps, stricter than
`==`: a `str` subclass, a `bool` for an `int` or a missing slot shows.

Inputs: every `.vr` file of the repository (and of the Verum corpus when it is
present), the generated bench program, hand-picked lexer and post-lexer edge
cases, expressions parsed at an offset (as f-string segments are), and
hypothesis-mutated programs. Where a comparison would be vacuous because the
C code bailed, the tests also check that it did not. A last test parses a
large program repeatedly and checks that no references or objects leak.

A missing C build fails these tests (`make test` builds it); only
`WEFT_NATIVE=off` skips them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Token

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:       # `bench` and `tests` are imported from the repository root
    sys.path.insert(0, str(ROOT))

from bench.parse_bench import generate  # noqa: E402
from tests.weftc.program_gen import programs  # noqa: E402
from tests.weftc.verum_corpus import CORPUS as VERUM  # noqa: E402
from weftc.source import SourceFile  # noqa: E402
from weftc.syntax import ast, parse_text  # noqa: E402
from weftc.syntax import builder as builder_module  # noqa: E402
from weftc.syntax.builder import AstBuilder  # noqa: E402
from weftc.syntax.fastpath import FastParser  # noqa: E402
from weftc.syntax.native import Bail  # noqa: E402
from weftc.syntax.parser import _engine  # noqa: E402
from weftc.syntax.postlex import ParseContext  # noqa: E402
from weftc.syntax.recovery import split_items  # noqa: E402

# Not skipped when the module is missing: `make test` builds it, so a missing
# one is a failure here; only an explicit WEFT_NATIVE=off skips.
pytestmark = pytest.mark.skipif(os.environ.get("WEFT_NATIVE") == "off",
                                reason="WEFT_NATIVE=off: the Python fast path serves")

ENGINE = _engine()
FAST = ENGINE.fast                     # the driver's parser: C first, Python on Bail
SPEC = FastParser(FAST._tables, ENGINE.builder, native=False) if FAST is not None else None
FILE = "t.vr"

# ------------------------------------------------------------------ helpers


def _native() -> Any:
    """The C engine the driver uses; fails (not skips) the test when it is absent."""
    assert FAST is not None, "the parser's fast path is off (WEFTC_SLOW_PARSER?)"
    assert FAST._native is not None, \
        "weftc.syntax._cfront is not built: run `python hatch_build.py` (or set WEFT_NATIVE=off)"
    return FAST._native


@contextlib.contextmanager
def _spec_everywhere() -> Iterator[None]:
    """Route the engine's own parses (f-string segments) through the Python spec too."""
    saved = ENGINE.fast
    ENGINE.fast = SPEC
    try:
        yield
    finally:
        ENGINE.fast = saved


def dump(x: Any) -> Any:
    """A type-tagged, comparable image of a tree: every field of every node, by name.

    (Plain loops: one frame per tree level, so 256 nested brackets fit the recursion limit.)
    """
    out: list[Any] = [type(x).__name__]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        for f in dataclasses.fields(x):
            out.append((f.name, dump(getattr(x, f.name))))
    elif isinstance(x, (tuple, list)):
        for v in x:
            out.append(dump(v))
    else:
        out.append(x)
    return tuple(out)


def _context(text: str, line: int, col: int) -> ParseContext:
    """A context for `text` placed at (line, col) of its file, as f-string segments are."""
    prefix = "\n" * (line - 1) + " " * (col - 1)
    source = SourceFile.from_text(FILE, prefix + text)
    return ParseContext(text, source, len(prefix), line, col)


def outcome(parser: Any, text: str, start: str = "module", line: int = 1, col: int = 1) -> tuple[Any, ...]:
    """What one parser makes of `text`: the dumped tree and notes, or the failure."""
    ctx = _context(text, line, col)
    ENGINE.postlex.contexts.append(ctx)
    try:
        tree = parser.parse(ctx, start)
    except RecursionError:
        return ("error", "RecursionError")
    except Exception as exc:
        return ("error", type(exc).__name__, getattr(exc, "code", None), getattr(exc, "message", None))
    finally:
        ENGINE.postlex.contexts.pop()
    opened = [(t.type, str(t), t.start_pos) for t in ctx.open_brackets]
    return ("ok", dump(tree), ctx.number_errors, ctx.warnings, ctx.unsupported, opened)


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two dumps first differ (for a readable assertion message)."""
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                label = x[0] if isinstance(x, tuple) and x and isinstance(x[0], str) else str(i)
                return first_difference(x, y, f"{path}/{label}")
    return f"at {path or '/'}:\n  C:      {repr(a)[:600]}\n  Python: {repr(b)[:600]}"


def assert_same(text: str, start: str = "module", line: int = 1, col: int = 1) -> tuple[Any, ...]:
    """Both paths give the same outcome; returns the C side's."""
    _native()
    ours = outcome(FAST, text, start, line, col)
    with _spec_everywhere():
        spec = outcome(SPEC, text, start, line, col)
    assert ours == spec, first_difference(ours, spec)
    return ours


def assert_native_alone(text: str, start: str = "module") -> None:
    """The C engine parses `text` without giving up anywhere (f-string segments included)."""
    native = _native()
    ctx = _context(text, 1, 1)
    bails = FAST.native_bails
    ENGINE.postlex.contexts.append(ctx)
    try:
        native.parse(ctx, start)
    except Bail as exc:     # args: (cause or None, the text offset reached)
        offset = exc.args[-1] if exc.args and isinstance(exc.args[-1], int) else 0
        pytest.fail(f"the C engine gave up near {text[offset:offset + 30]!r}: {exc.args!r}")
    finally:
        ENGINE.postlex.contexts.pop()
    assert FAST.native_bails == bails, "an f-string segment's parse fell back to Python"


def _read(path: Path) -> str:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def fn(body: str) -> str:
    """`body` as the statements of a function."""
    return "fn f() {\n    " + body + "\n}\n"


class Case(NamedTuple):
    id: str
    text: str
    ok: bool                    # the expected outcome: parsed, or an error
    native: bool = False        # the C engine must parse it alone (no Bail)


def _cases(cases: list[Case]) -> Any:
    return pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in cases])


def check_case(case: Case) -> None:
    """Same both ways, with the expected outcome; and no Bail where the C engine must serve."""
    got = assert_same(case.text)
    assert (got[0] == "ok") is case.ok, got if got[0] == "error" else "parsed"
    if case.native:
        assert_native_alone(case.text)


# how `mutate` cuts a text into tokens (roughly; any cut is a valid input)
_TOKEN = re.compile(r"\s+|//[^\n]*|/\*[\s\S]*?\*/|\"(?:[^\"\\\n]|\\.)*\"|\w+|\.\.=|<<=|>>=|[-=!<>&|+*/%^?.:]{1,2}|.",
                    re.S)


def mutate(text: str, edits: list[tuple[str, int, Any]]) -> str:
    """Apply token-level (delete, duplicate, swap, insert) and character-level (cut) edits."""
    toks = _TOKEN.findall(text)
    for op, at, arg in edits:
        if op == "cut":
            s = "".join(toks)
            i = at % (len(s) + 1)
            toks = _TOKEN.findall(s[:i] + s[i + arg:])
            continue
        i = at % (len(toks) + 1)
        if op == "insert":
            toks.insert(i, arg)
        elif not toks:
            continue
        elif op == "delete":
            del toks[i % len(toks):i % len(toks) + arg]
        elif op == "duplicate":
            toks[i:i] = toks[i % len(toks):i % len(toks) + arg]
        else:   # swap
            j = arg % len(toks)
            i %= len(toks)
            toks[i], toks[j] = toks[j], toks[i]
    return "".join(toks)


# ------------------------------------------------------------------ the build


def test_native_front_is_built_and_used() -> None:
    """The driver runs the C engine, counts its bails, and every C builder names a method."""
    native = _native()
    from weftc.syntax import _cfront
    # a misspelt name would silently never be used: each must be a builder method
    missing = [name for name in _cfront.NATIVE_BUILDERS if not callable(getattr(AstBuilder, name, None))]
    assert not missing
    bails = FAST.native_bails
    assert_same(fn("let x = 1; x"))
    assert FAST.native_bails == bails
    assert assert_same(fn("let x = ;"))[0] == "error"    # errors are only reported by Python
    assert FAST.native_bails == bails + 1
    assert native is FAST._native


# ------------------------------------------------------------------ corpus files

EXAMPLES = sorted((ROOT / "examples").rglob("*.vr"))
CORPUS = sorted((ROOT / "tests" / "syntax").rglob("*.vr")) + sorted((ROOT / "stdlib").rglob("*.vr")) \
    + (sorted(VERUM.glob("*.vr")) if VERUM.is_dir() else [])


def _path_id(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return f"verum/{path.name}"


@pytest.mark.parametrize("path", EXAMPLES, ids=_path_id)
def test_examples_parse_natively_and_match(path: Path) -> None:
    text = _read(path)
    assert assert_same(text)[0] == "ok"
    assert_native_alone(text)


@pytest.mark.parametrize("path", CORPUS, ids=_path_id)
def test_corpus_file_matches(path: Path) -> None:
    assert_same(_read(path))


def test_corpus_is_there() -> None:
    assert EXAMPLES and len(CORPUS) > 100


def test_generated_bench_program_parses_natively_and_matches() -> None:
    text = generate(2000)
    assert assert_same(text)[0] == "ok"
    assert_native_alone(text)


# ------------------------------------------------------------------ the lexer

OPERATORS = ("a = b + c - d * e / f % g ** h << i >> j & k | l ^ m < n <= o > p >= q == r != s"
             " && t || u ?? v |> w;")

LEXER_CASES = [
    # non-ASCII where the C lexer must still serve
    Case("comment-non-ascii", fn("// héllo → wörld ✓ 日本 😀\n    let x = 1; x"), True, True),
    Case("block-comment-non-ascii", fn("/* ünïcode\n ✓ 😀 */ let x = 1; x"), True, True),
    Case("string-non-ascii", fn('let s = "§ → µ 日本 😀"; s'), True, True),
    Case("fstring-non-ascii", fn('let s = f"é {x} ✓ 😀"; s'), True, True),
    # Unicode identifiers (`[^\W\d]\w*` as Python's `re` reads it): the C lexer serves them
    Case("ident-latin", fn("let naïve = 1; naïve"), True, True),
    Case("ident-greek-fn", "fn π() -> Int { 3 }\n", True, True),
    Case("ident-cjk", fn("let 変数 = 1; 変数"), True, True),
    Case("ident-after-ascii", fn("let xé = 1; xé"), True, True),
    Case("ident-with-arabic-digit", fn("let x\u0661 = 1; x\u0661"), True, True),
    Case("ident-starting-with-arabic-digit", fn("let \u0661x = 1;"), False),
    Case("ident-combining-mark", fn("let e\u0301 = 1;"), False),
    Case("number-then-unicode-letter", fn("let a = 1é;"), False),
    # stray characters: no terminal matches
    Case("non-ascii-operator", fn("let x = 1 → 2;"), False),
    Case("nbsp", fn("let\u00a0x = 1; x"), False),
    Case("zero-width-space", fn("let x\u200b = 1; x"), False),
    Case("nul", fn("1 \x00 2"), False),
    Case("dollar", fn("let x = $;"), False),
    Case("backtick", fn("let x = `a`;"), False),
    # operators
    Case("binary-operators", fn(OPERATORS), True, True),
    Case("assign-operators", fn("a = 1; a += 1; a -= 1; a *= 2; a /= 2; a %= 2; a &= 1; a |= 1;"
                                " a ^= 1; a <<= 1; a >>= 1;"), True, True),
    Case("ranges", fn("let r = 0..10; let s = 0..=10; let t = ..5; let u = ..=n; r"), True, True),
    Case("glued-ranges", fn("let s = a..=b; let t = a..b; s"), True, True),
    Case("optional-chaining", fn("let y = x?.field?.m(1); y ?? z"), True, True),
    Case("pipe-forward", fn("xs |> f |> g"), True, True),
    Case("power-right-assoc", fn("2 ** 3 ** 2"), True, True),
    Case("unary-and-try", fn("let a = -x; let b = !y; let c = &z; let d = &mut w; let e = *p; f()?"),
         True, True),
    Case("closures", fn("let g = |x: Int, y| -> Int { x + y }; let h = async move || 1; g(1, 2)"),
         True, True),
    Case("triple-gt", fn("x >>> y"), False),
    # numbers
    Case("hex", fn("let a = 0x1F; a"), True, True),
    Case("binary", fn("let a = 0b1010; a"), True, True),
    Case("octal", fn("let a = 0o17; a"), True, True),
    Case("underscores", fn("let a = 1_000; a"), True, True),
    Case("float-exponent", fn("let a = 2.5e-3 + 1E+5; a"), True, True),
    Case("dot-exponent-E0007", fn("let a = 1.e5; a"), True),
    Case("suffix-u8", fn("let a = 7u8; a"), True, True),
    Case("suffix-f32", fn("let a = 3.0f32; a"), True, True),
    Case("bad-hex-E0007", fn("let a = 0xZZ; a"), True),
    Case("bad-suffix-E0007", fn("let a = 3_u7; a"), True),
    Case("int-18-digits", fn("let a = 999999999999999999; a"), True, True),
    Case("int-19-digits", fn("let a = 9999999999999999999; a"), True, True),
    Case("int-huge", fn("let a = 123456789012345678901234567890; a"), True, True),
    Case("leading-zeros", fn("let a = 007; a"), True, True),
    Case("number-method", fn("let a = 1.max(2); a"), True, True),
    Case("number-range", fn("let a = 1..2; a"), True, True),
    # tuple indexes (the root lexer reads `1.0` as one number)
    Case("tuple-index", fn("let a = t.0; a"), True, True),
    Case("tuple-index-twice", fn("let a = c.1.0; a"), True, True),
    Case("tuple-index-thrice", fn("let a = c.1.0.2 + c.10.20; a"), True, True),
    Case("tuple-index-method", fn("let a = c.0.len(); a"), True, True),
    Case("tuple-index-exponent", fn("let a = c.1e5; a"), False),
    Case("tuple-index-hex", fn("let a = c.0x1; a"), False),
    Case("tuple-index-then-field", fn("let a = c.1.e5; a"), True, True),
    # strings
    Case("string-escapes", fn(r'let s = "a\tb\n\"q\"\\ \u{1F600} \x41"; s'), True, True),
    Case("string-empty", fn('let s = ""; s'), True, True),
    Case("string-unterminated", fn('let s = "abc; s'), False),
    Case("string-unterminated-at-eof", 'fn f() { "abc', False),
    Case("string-with-newline", fn('let s = "ab\ncd"; s'), False),
    Case("string-backslash-newline", fn('let s = "ab\\\ncd"; s'), False),
    Case("fstring-nested-expressions", fn('let s = f"{a} + {b.c(1, 2)} = {a + b:>4} {{lit}} {t.0}"; s'),
         True, True),
    Case("fstring-invalid-segments", fn('let s = f"{let} {1 +} {} {x y}"; s'), True),
    Case("fstring-unclosed-segment", fn('let s = f"a {b"; s'), True),
    Case("fstring-segment-E0007", fn('let s = f"{1.e5}"; s'), True),
    Case("fstring-segment-unicode", fn('let s = f"{naïve}"; s'), True),
    Case("fstring-in-raw-fstring-segment",
         fn('let s = f"""a\n  b {f"c {x + 1} {y:>3} {1 +}"} d""";\n    s'), True),
    Case("fstring-empty", fn('let s = f""; s'), True, True),
    Case("fstring-unterminated", fn('let s = f"abc; s'), False),
    Case("raw-string", fn('let s = """raw "quoted" \\n\nline"""; s'), True, True),
    Case("raw-string-quotes-inside", fn('let s = """a""""b"""; s'), True),
    Case("raw-string-unterminated", fn('let s = """raw ; s'), False),
    Case("raw-fstring", fn('let s = f"""multi {x}\nline {y + 1} {{x}}"""; s'), True, True),
    Case("raw-fstring-unterminated", fn('let s = f"""open {x}; s'), False),
    Case("chars", fn("let c = 'c'; let d = '\\n'; let e = 'é'; let q = '\\''; c"), True, True),
    Case("char-unterminated", fn("let c = ';"), False),
    Case("bytes", fn("let b = b'a'; let s = b\"bytes\\x00\"; let e = b\"\"; b"), True, True),
    Case("byte-unterminated", fn("let b = b'a;"), False),
    Case("lifetimes", "fn f<'a>(x: &'a Int) -> &'a Int { x }\n", True, True),
    Case("route-literal", fn('let r = route#"/users/{id}/{n + 1}"; r'), True, True),
    Case("route-literal-unterminated", fn('let r = route#"/users/{id}; r'), False),
    Case("tagged-literal", fn('let r = sql#"select 1"; r'), False),
    Case("tagged-literal-brace", fn("let r = json#{ a: 1 }; r"), False),
    Case("hash-without-literal", fn("let r = abc#x; r"), False),
    # comments and blanks
    Case("block-comment", fn("/* closed */ let x = 1; x"), True, True),
    Case("block-comment-empty", fn("/**/ 1"), True, True),
    Case("block-comment-not-nested", fn("/* a /* b */ let x = 1; x"), True, True),
    Case("block-comment-slash-star-slash", fn("/*/ let x = 1; */ x"), True, True),
    Case("block-comment-unclosed", fn("/* open let x = 1; x"), False),
    Case("block-comment-slash-star-slash-unclosed", "fn f() { 1 } /*/", False),
    Case("block-comment-at-eof", "fn f() { 1 } /* x */", True, True),
    Case("line-comment-at-eof", "fn f() { 1 }\n// trailing", True, True),
    Case("line-comment-at-eof-same-line", "fn f() { 1 } // trailing", True, True),
    Case("doc-comments", "/// doc\n//! inner\nfn f() { 1 }\n", True, True),
    Case("crlf", "fn f() {\r\n    let x = \"a\";\r\n    x\r\n}\r\n", True, True),
    Case("lone-cr", "fn f() {\r    let x = 1;\r    x\r}\r", True, True),
    Case("tabs", "fn f() {\n\tlet x = 1;\n\t\tx\n}\n", True, True),
    Case("form-feed-and-vtab", "fn f() {\f let x = 1;\v x }\n\f", True, True),
    Case("empty-file", "", True, True),
    Case("whitespace-only", "   \n\t\r\n  \f", True, True),
    Case("comments-only", "// a\n/* b */\n", True, True),
]


@_cases(LEXER_CASES)
def test_lexer_edge_case(case: Case) -> None:
    check_case(case)


# ------------------------------------------------------------------ the post-lexer

POSTLEX_CASES = [
    # `<` and `>`
    Case("generic-shr-split", fn("let xs: List<List<Int>> = [];\n    xs"), True, True),
    Case("generic-shr-split-three", fn("let xs: Map<K, List<List<Int>>> = m;\n    xs"), True, True),
    Case("generic-call-shr-split", fn("let v = extract<List<List<Byte>>>(&req); v"), True, True),
    Case("generic-shr-eq", fn("let xs: List<List<Int>>= [];\n    xs"), False),
    Case("shift-right", fn("let y = a >> b; y >>= 1; y"), True, True),
    Case("less-than", fn("if x < y { 1 } else { 2 }"), True, True),
    Case("less-than-glued", fn("let z = a<b && c>d; z"), True, True),
    Case("generic-call", fn("let v = f<T>(x); v"), True, True),
    Case("generic-method", fn("let v = x.parse<Int>(); v"), True, True),
    Case("generic-static-call", fn("let v = List<Int>.new(); v"), True, True),
    Case("generic-then-range", fn("let v = a<b>..c; v"), True),
    Case("implement-generic", "implement<T> Show for List<T> { fn show(&self) -> Text { \"\" } }\n",
         True, True),
    # `{`: refinements, record literals, blocks
    Case("refinement", "type Pos is Int{>= 0};\n", True, True),
    Case("refinement-conjunction", "type R is Int{>= 0 && <= 100};\nfn f(x: Int{> 0}) -> Int{>= 1} { x }\n",
         True, True),
    Case("refinement-named", "type R is Int{v: v > 0};\n", True, True),
    Case("refinement-after-generic", "type R is List<Int>{len(self) > 0};\n", True, True),
    Case("refinement-where-lambda", "type R is Int where |x| x > 0;\n", True, True),
    Case("record-literal", fn("let p = Point { x: 1, y: 2 }; p"), True, True),
    Case("record-literal-glued", fn("let p = Point{ x: 1 }; p"), True, True),
    Case("record-literal-empty", fn("let p = Point{}; p"), True, True),
    Case("record-literal-base", fn("let p = Point { x: 1, ..q }; p"), True, True),
    Case("record-literal-shorthand", fn("let p = Point { x, y }; p"), True, True),
    Case("if-head-block", fn("if x { y } else { z }"), True, True),
    Case("if-head-glued-block", fn("if x{ let y = 1; y }"), True, True),
    Case("if-head-record-in-parens", fn("if x == (Point { x: 1 }) { y }"), True, True),
    Case("while-head-block", fn("while running { step(); }"), True, True),
    Case("match-head-block", fn("match v { Some(x) => x, None => 0 }"), True, True),
    Case("match-record-pattern", fn("match p { Point { x, y } => x, _ => 0 }"), True, True),
    Case("for-head-block", fn("for x in xs { sum += x; }"), True, True),
    Case("if-let", fn("if let Some(x) = opt { x } else { 0 }"), True, True),
    Case("if-let-chain", fn("if let Some(x) = opt && x > 0 { x } else { 0 }"), True, True),
    Case("if-let-record-pattern", fn("if let Point { x, y } = p { x } else { 0 }"), True, True),
    Case("while-let", fn("while let Some(x) = it.next() { use(x); }"), True, True),
    Case("provide-block", fn("provide Logger = ConsoleLogger.new() { run(); }"), True, True),
    Case("provide-record-then-block", fn("provide Db = Conn { url: u } { run(); }"), True, True),
    Case("provide-statement", fn("provide Logger = make();\n    run()"), True, True),
    Case("contracts", "fn f(x: Int) -> Int requires x > 0 ensures result > 0 { x }\n", True, True),
    # attributes
    Case("attribute-args", "@derive(Eq, Debug)\ntype P is { x: Int };\n", True, True),
    Case("attribute-bare", "@inline\nfn f() { 1 }\n", True, True),
    Case("attribute-named-args", "@route(method = \"GET\", path = \"/x\")\nfn f() { 1 }\n", True, True),
    Case("attribute-space-before-paren", "@derive (Eq)\ntype P is { x: Int };\n", False),
    # reserved and unsupported words
    Case("reserved-after-dot", "mount core.async.cancellation.{Token};\nfn f() { self.type_name.match }\n",
         True, True),
    Case("reserved-after-optional-dot", fn("x?.type"), True, True),
    Case("reserved-misplaced", fn("let x = let;"), False),
    Case("unsupported-words-as-names", fn("let try = 1; let defer = 2; let yield_ = 3; try + defer"),
         True, True),
    Case("try-block", fn("try { x }"), False),
    Case("try-call", fn("try(x)"), True, True),
    Case("defer", fn("defer x;"), False),
    Case("defer-call", fn("defer(x);"), True, True),
    Case("yield", fn("yield x;"), False),
    Case("yield-paren", fn("yield(x);"), False),
    Case("yield-at-eof", "fn f() { 1 }\nyield", False),
    Case("throw", fn("throw Err;"), False),
    Case("theorem", "theorem foo { 1 }\n", False),
    Case("lemma-after-item", "fn f() { 1 }\nlemma bar { 1 }\n", False),
    Case("select", fn("select { a => b }"), False),
    Case("static-mut-E0009", "static mut COUNT: Int = 0;\n", True),
    Case("static", "static COUNT: Int = 0;\n", True, True),
    Case("checked-reference", fn("let r = &checked x; r"), False),
    Case("unsafe-reference", fn("let r = &unsafe x; r"), False),
    Case("type-linear", "type linear Handle is Int;\n", False),
    Case("type-affine", "type affine H is Int;\n", False),
    Case("generator-fn", "fn* gen() { 1 }\n", False),
    Case("generator-fn-spaced", "fn *gen() { 1 }\n", False),
    Case("list-comprehension", fn("let v = [x for x in xs]; v"), False),
    # brackets
    Case("mismatched-paren", fn("let x = (1];"), False),
    Case("mismatched-square", fn("let x = [1, 2);"), False),
    Case("unclosed-paren", fn("let x = ((1);"), False),
    Case("extra-closer", fn("let x = (1));"), False),
    Case("closer-first", "}\nfn f() { 1 }\n", False),
    Case("unclosed-at-eof", "fn f() { (", False),
    Case("nested-250", fn("let x = " + "(" * 250 + "1" + ")" * 250 + ";"), True, True),
    Case("nested-256-deep", fn("let x = " + "(" * 255 + "1" + ")" * 255 + ";"), True, True),
    Case("nested-257-deep", fn("let x = " + "(" * 256 + "1" + ")" * 256 + ";"), False),
    Case("nested-300-parens", fn("let x = " + "(" * 300 + "1" + ")" * 300 + ";"), False),
    Case("nested-300-mixed", fn("let x = " + "([{" * 100 + "1" + "}])" * 100 + ";"), False),
    Case("nested-300-unclosed", fn("let x = " + "[" * 300), False),
]


@_cases(POSTLEX_CASES)
def test_postlex_edge_case(case: Case) -> None:
    check_case(case)


# ------------------------------------------------------------------ the builders

# Each shape of the rules whose builders are in C (and their Python fallbacks).
BUILDER_CASES = [
    Case("fn-everything",
         "@inline\npub async fn g<T: Show + Eq, U = Int>(x: T, y: &mut U = 3) throws(IoError | ParseError)"
         " -> Result<T, E> requires x > 0, y > 1 ensures result.ok()"
         " using [Db, !Log as l, Cache if debug, c: Clock] where T: Clone { x }\n", True, True),
    Case("fn-using-before-arrow", "fn g() using [Db] -> Int requires true { 1 }\n", True, True),
    Case("fn-two-using-clauses", "fn g() using Db -> Int using Log { 1 }\n", False),
    Case("fn-expression-body", "fn g(x: Int) -> Int = x + 1;\n", True, True),
    Case("fn-declaration-only", "fn g(self, mut self);\n", True, True),
    Case("fn-modifiers", "pure unsafe fn g() {}\nasync fn h() {}\n", True, True),
    Case("self-params", "implement P { fn m(&self, x: Int) -> Int { x } fn n(&mut self) {} fn o(self) {} }\n",
         True, True),
    Case("visibilities", "public(in a.b) fn f() {}\npublic(cog) fn g() {}\nprotected fn h() {}\n"
         "private type T is Int;\npub fn i() {}\n", True, True),
    Case("type-generic-tuple", "public type Pair<A, B> is (A, B);\n", True, True),
    Case("type-sum", "type S is | A | B(Int, Text) | C { x: Int, y: Text = \"\" };\n", True, True),
    Case("type-sum-no-leading-pipe", "type S is A | B(Int) | @tag C { x: Int };\n", True, True),
    Case("type-record", "type R is { @tag x: Int, pub y: List<Int> = [] };\n", True, True),
    Case("refine-implicit-chain", "type R is Int{> 0 && < 10 || == 5};\n", True, True),
    Case("refine-several-parts", "type R is Int{>= 0, <= 5};\n", True, True),
    Case("refine-named-parts", "type R is Int{v: v >= 0, v <= 5};\n", True, True),
    Case("refine-it", "type R is Int{it > 0};\n", True, True),
    Case("refine-is-test", "type R is Int{> 0 is Int};\n", True, True),
    Case("sigma-type", "type R is n: Int where n > 0;\n", True, True),
    Case("fn-type", "type F is async fn(Int, Text) -> Bool using [Db];\n", True, True),
    Case("ref-types", "type F is &'a mut List<&Int>;\n", True, True),
    Case("other-types", "type F is (impl Show + Eq, dyn Handler, !, [Int; 3], [Int], _);\n", True, True),
    Case("context", "context async Store<T> { async fn get(key: Text) -> Maybe<T>; fn put(k: Text); }\n",
         True, True),
    Case("context-protocol", "context protocol Log extends Show { fn log(m: Text); }\n", True, True),
    Case("protocol", "type P is protocol extends Eq { type Item: Show = Int; fn f(&self) -> Self.Item; };\n",
         True, True),
    Case("implement-for-where", "implement<T> Show for List<T> where T: Show { fn show(&self) -> Text { \"\" } }\n",
         True, True),
    Case("implement-const", "implement Point { const ORIGIN: Point = Point { x: 0, y: 0 }; }\n", True, True),
    Case("using-group", "using Web = [Db, Log as l, !Cache];\n", True, True),
    Case("modules-and-mounts", "module a.b { fn f() {} }\nmodule c;\nmount .a.b as c;\nmount x.y.*;\n"
         "mount z.{a, b as c, d.*};\n", True, True),
    Case("static-and-const", "pub static COUNTER: Int = 0;\nconst N: Int = 1 << 4;\n", True, True),
    Case("record-literal-path-and-base", fn("let p = geo.Point { x: 1, y: 2, ..base }; p"), True, True),
    Case("record-literal-nested", fn("let p = Line { a: Point { x: 1 }, b: Point { x: 2 } }; p"), True, True),
    Case("record-literal-after-optional-field", fn("let p = a?.b { x: 1 }; p"), False),
    Case("record-literal-after-call", fn("let p = f() { x: 1 }; p"), False),
    Case("patterns", fn("match v { x @ Some(1..=5) => 1, -1 | 0 => 2, (a, .., b) => 3, [h, ..] => 4, "
                        "P { x: 1, .. } => 5, &mut y => 6, ref mut z => 7, n is Int => 8, 'c' => 9, "
                        "\"s\" => 10, _ if a => 11, _ where b => 12 }"), True, True),
    Case("closure-patterns", fn("let f = move |(a, b): (Int, Int), [c]| a + b; f"), True, True),
    Case("is-tests-in-operator-chains", fn("let b = a + 1 is Some(_) && c is not None || x is Foo; b"),
         True, True),
    Case("method-references", fn("xs |> .map(f) |> .filter<Int>(g)"), True, True),
    Case("casts-and-indexes", fn("let x = y as Int as Float; let z = a[0][1..2]; x"), True, True),
    Case("tuples-and-arrays", fn("let t = (1, \"a\", (2,)); let u = (); let a = [0; 16]; t"), True, True),
    Case("async-spawn-await", fn("let h = spawn async move { 1 }; let r = h.await?; r"), True, True),
    Case("loop-break-return", fn("loop { break 1; } return 1;"), True, True),
    Case("unsafe-block", fn("unsafe { x }"), True, True),
    Case("let-else", fn("let Some(x) = y else { return; }; x"), True, True),
    Case("let-forms", fn("let x: Int = 1; let y; let z: Int; x"), True, True),
    Case("is-tests", fn("let b = x is Some(_) && y is not None; let c = a + 1 is Int == true; b"), True, True),
    Case("assignment-chains", fn("a = b = c; a += b -= 1;"), True, True),
    Case("items-in-block", fn("fn inner() {} type T is Int; inner()"), True, True),
    Case("block-tails", fn("{ { 1 } }; let x = 1; if a { b } else { c }"), True, True),
    Case("blocklike-then-expression", fn("if a { b } x"), True, True),
    Case("blocklike-with-semicolon", fn("match a { _ => 1 };"), True, True),
    Case("long-operator-chain", fn("let x = " + " + ".join(f"a{i} * b{i}" for i in range(60)) + "; x"),
         True, True),
]


@_cases(BUILDER_CASES)
def test_builder_case(case: Case) -> None:
    check_case(case)


# ------------------------------------------------------------------ offsets

EXPRESSIONS = [
    "a + b * c ** d", "x |> .map(f) ?? y", "List<List<Int>>.new()", "|x| x >> 2",
    "f<Int>(a)[0].b?.c(1,)", "if a { b } else { c }", "-1..=10", "p.0.1 + q.2",
    "match v { Some(x) => x, _ => 0 }", "Point { x: 1, y: f\"{z}\" }", "x.y(1)\n  + z",
    "1.e5 + 2", '"a" + "b\\n"', "naïve + 1", "{ let a = 1; a }",
]


# whole items, as error recovery parses them one chunk at a time
ITEM_CHUNKS = {
    "fn": "fn f() { a + b.c(1) }",
    "refinement": "type R is Int{> 0 && < 10};\n",
    "fstring-with-warning": "fn g() {\n    let s = f\"{x} and {y:>3} {1 +}\";\n    s\n}\n",
    "static-mut-and-E0007": "static mut N: Int = 1.e5;",
}
WHERE = [(1, 1), (1, 11), (3, 7), (2, 1)]


def _where_id(where: tuple[int, int]) -> str:
    return f"{where[0]}:{where[1]}"


@pytest.mark.parametrize("where", WHERE, ids=_where_id)
@pytest.mark.parametrize("text", EXPRESSIONS)
def test_expression_at_an_offset_matches(text: str, where: tuple[int, int]) -> None:
    """Spans of a text that starts inside its file (f-string segments)."""
    assert assert_same(text, "expr", *where)[0] == "ok"


@pytest.mark.parametrize("where", WHERE, ids=_where_id)
@pytest.mark.parametrize("text", ITEM_CHUNKS.values(), ids=ITEM_CHUNKS.keys())
def test_item_chunk_at_an_offset_matches(text: str, where: tuple[int, int]) -> None:
    """Spans and notes of an item parsed alone at its place in the file (error recovery)."""
    assert assert_same(text, "module", *where)[0] == "ok"


# ------------------------------------------------------------------ mutated programs


def _items() -> list[str]:
    """Top-level items of the example and accepted programs: seeds for the mutations."""
    out: list[str] = []
    for path in EXAMPLES + sorted((ROOT / "tests" / "syntax" / "accept").glob("*.vr")):
        text = _read(path)
        out.extend(text[a:b] for a, b in split_items(text) if b - a <= 3000)
    return out


ITEMS = _items()
PIECES = ["{", "}", "(", ")", "[", "]", "<", ">", ">>", ">>=", "<<=", "..", "..=", ".0", ".1.0", ".",
          "?", "?.", "??", "|", "|>", "**", ",", ";", "=", "=>", "->", "&", "&mut ", "!", "@", "@x(",
          "#", "fn", "fn*", "let", "if", "if let", "else", "while", "match", "for", "provide", "impl",
          "dyn", "type", "is", "not", "mut", "static mut", "try", "defer", "yield", "theorem",
          "&checked ", "type linear", "0", "1.5", "1.e5", "0x1F", "7u8", "3.0f32", "1_000", "2.5e-3",
          "x", "List<Int>", '"s"', '""', '"\\n"', '"', '"""', 'f"{a}"', 'f"{', 'f"""{a}"""', "'c'",
          "'a", "b'x'", 'b"x"', 'route#"/a/{b}"', 'sql#"', " ", "\n", "\r\n", "\t", "\f", "//c\n",
          "/*c*/", "/*", "/*/", "*/", "$", "é", "π", "→", "\u00a0", "😀", "\x00", "\\", "`"]

_AT = st.integers(0, 10_000)
MUTATIONS = st.lists(st.one_of(
    st.tuples(st.just("delete"), _AT, st.integers(1, 3)),
    st.tuples(st.just("duplicate"), _AT, st.integers(1, 8)),
    st.tuples(st.just("swap"), _AT, _AT),
    st.tuples(st.just("insert"), _AT, st.sampled_from(PIECES)),
    st.tuples(st.just("insert"), _AT, st.characters(max_codepoint=0x7F)),
    st.tuples(st.just("insert"), _AT, st.characters(min_codepoint=0x80, exclude_categories=("Cs",))),
    st.tuples(st.just("cut"), _AT, st.integers(1, 12)),
), min_size=1, max_size=4)


SEEDS = st.one_of(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3).map("\n".join), programs())


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(SEEDS, MUTATIONS)
def test_mutated_programs_match(seed: str, edits: list[tuple[str, int, Any]]) -> None:
    """Broken programs: the same failure (or tree) both ways; the public driver stays whole."""
    text = mutate(seed, edits)
    assert_same(text)
    result = parse_text(text)        # the public driver: never raises, never an internal error
    assert not [d for d in result.diagnostics if "internal parser error" in d.message]


LAYOUT = [" ", "\t", "\n", "\r\n", "\r", "\f", "\n\n", "//c\n", "// é ✓\n", "/* x */", "/* é\n 😀 */"]
RELAYOUTS = st.lists(st.tuples(_AT, st.sampled_from(LAYOUT)), min_size=1, max_size=6)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(SEEDS, RELAYOUTS)
def test_relaid_programs_match(seed: str, edits: list[tuple[int, str]]) -> None:
    """Blanks and comments put between tokens: mostly still valid, every position shifted."""
    assert_same(mutate(seed, [("insert", at, piece) for at, piece in edits]))


def test_mutation_helper_edits() -> None:
    assert mutate("let x = 1;", [("delete", 2, 1)]) == "let  = 1;"
    assert mutate("a b", [("swap", 0, 2)]) == "b a"
    assert mutate("a", [("insert", 1, "é")]) == "aé"
    assert mutate("abcdef", [("cut", 2, 2)]) == "abef"
    assert mutate("f(x)", [("duplicate", 1, 3)]) == "f(x)(x)"


# ------------------------------------------------------------------ reference counts


@pytest.mark.parametrize("tail", ["", "\nstatic mut COUNTER: Int = 0;\n", "\nfn f( {\n"],
                         ids=["clean", "bail-late", "error-late"])
def test_repeated_native_parses_do_not_leak(tail: str) -> None:
    """The C engine's reference counting: clean parses, and parses that give up late."""
    native = _native()
    text = generate(2000) + tail
    source = SourceFile.from_text(FILE, text)
    # objects every parse touches: constants, a shared operator text, the file
    # name (one reference per Span), and classes (one reference per instance)
    plus = next(op for op in builder_module._PRECEDENCE if op == "+")
    watched = [None, True, False, plus, FILE, ast.Binary, ast.Name, ast.Block, type(source.span(0, 0)), Token]

    def parse_once() -> None:
        ctx = ParseContext(text, source)
        ENGINE.postlex.contexts.append(ctx)
        try:
            native.parse(ctx, "module")
        except Bail:
            assert tail, "the clean program made the C engine give up"
        else:
            assert not tail, "the broken program parsed"
        finally:
            ENGINE.postlex.contexts.pop()

    counts: dict[int, list[int]] = {}
    for i in range(1, 21):
        parse_once()
        if i in (5, 20):
            gc.collect()
            counts[i] = [sys.getrefcount(o) for o in watched] + [len(gc.get_objects())]
    grew = [(repr(o), a, b) for o, a, b in zip([*watched, "gc objects"], counts[5], counts[20], strict=True)
            if b - a > (50 if o == "gc objects" else 2)]
    assert not grew, f"grew between parses 5 and 20: {grew}"
