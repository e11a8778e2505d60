"""Turn lark, post-lexer and builder failures into `Diagnostic`s with stable codes.

E0001 unexpected token   E0002 unexpected end of file   E0003 unterminated string
E0004 unterminated block comment   E0005 invalid character   E0006 mismatched bracket
E0007 invalid number literal   E0009 unsupported construct   E0010 not UTF-8
W0001 f-string segment kept as text.

Messages for E0001 come first from a table of known-bad snippets (STYLE point
11): each snippet is parsed once, the LR state it fails in is remembered, and a
real error failing in the same state (and, preferably, on the same token
type) gets that snippet's wording. lark's own `match_examples` compares whole
parser stacks, which never match across nesting depths, so we key on the LR
state only. Otherwise the message lists the expected tokens in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from weftc.diagnostics import Diagnostic, Label, error
from weftc.source import SourceDecodeError, Span
from weftc.syntax.builder import BuildError
from weftc.syntax.postlex import ParseContext, PostLexStop

# (message, snippets that fail in the state the message describes)
EXAMPLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("expected `;` after `let` statement",
     ("fn f() { let x = 1 }", "fn f() { let x = 1 let y = 2; }", "fn f() { let x: Int = g(1) }",
      "fn f() { let x = a.b }")),
    ("expected `)` or `,` after argument",
     ("fn f() { g(1 2); }", "fn f() { g(a; }", "fn f() { x.m(a b); }", "fn f() { g(a.b c); }")),
    ("expected `;` after expression statement (or `}` to end the block)",
     ("fn f() { g() h(); }", "fn f() { x = 1 y = 2; }", "fn f() { a.b() c }")),
    ("expected an expression",
     ("fn f() { let x = ; }", "fn f() { g(1, ); }", "fn f() { x = ; }", "fn f() { 1 + ; }",
      "fn f() { return 1 + }")),
    ("expected `=>` after match pattern",
     ("fn f() { match x { A -> 1, } }", "fn f() { match x { A 1 } }")),
    ("expected `,` or `}` after match arm",
     ("fn f() { match x { A => 1 B => 2 } }",)),
    ("expected `;` after item (`type`, `const`, `mount` end with `;`)",
     ("type A is Int", "mount a.b", "const X: Int = 1", "type A is { x: Int }")),
    ("expected an item (`fn`, `type`, `mount`, `implement`, `context`, `const`, ...)",
     ("let x = 1;", "x = 1;", "1", "}")),
    ("expected a function body `{ ... }`, `= expr;` or `;`",
     ("fn f() -> Int", "fn f() x")),
    ("expected `:` and a type after parameter name",
     ("fn f(x) {}", "fn f(a: Int, b) {}")),
    ("expected a type",
     ("fn f(x: ) {}", "fn f() -> {}", "type A is ;")),
)

_WORDS: dict[str, str] = {
    "LPAR": "`(`", "ATTR_LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`",
    "LBRACE": "`{`", "STRUCT_LBRACE": "`{`", "REFINE_LBRACE": "`{`", "RBRACE": "`}`",
    "COMMA": "`,`", "SEMICOLON": "`;`", "COLON": "`:`", "DOT": "`.`", "ARROW": "`->`",
    "FATARROW": "`=>`", "EQUAL": "`=`", "GT": "`>`", "LT": "`<`", "GENERIC_LT": "`<`",
    "PIPE": "`|`", "IDENT": "an identifier", "NUMBER": "a number", "STRING": "a string",
    "TUPLE_INDEX": "a tuple index", "$END": "end of file", "QMARK": "`?`", "AT": "`@`",
    "STAR": "`*`", "AMP": "`&`", "BANG": "`!`", "PLUS": "`+`", "MINUS": "`-`",
}
_EXPR_STARTS = frozenset({"NUMBER", "STRING", "FSTRING", "LPAR", "LSQB", "IF", "MATCH", "MINUS",
                          "BANG", "OROR", "RETURN"})


def _describe(ttype: str) -> str:
    if ttype in _WORDS:
        return _WORDS[ttype]
    if ttype.isalpha() and ttype.isupper():
        return f"`{ttype.lower()}`"
    return ttype


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    value = str(tok.value)
    if len(value) > 30:
        value = value[:27] + "..."
    return f"`{value}`"


class ExampleTable:
    """LR-state → message table built lazily from `EXAMPLES` with the real parser."""

    def __init__(self, run: Callable[[str], object]) -> None:
        self._run = run
        self._by_state_token: dict[tuple[int, str], str] | None = None
        self._by_state: dict[int, str] = {}

    def _build(self) -> dict[tuple[int, str], str]:
        table: dict[tuple[int, str], str] = {}
        for message, snippets in EXAMPLES:
            for snippet in snippets:
                try:
                    self._run(snippet)
                except UnexpectedToken as exc:
                    key = (exc.state.position, exc.token.type)
                    table.setdefault(key, message)
                    self._by_state.setdefault(exc.state.position, message)
                except Exception:
                    continue
        return table

    def lookup(self, exc: UnexpectedToken) -> str | None:
        if self._by_state_token is None:
            self._by_state_token = self._build()
        pos = exc.state.position
        return self._by_state_token.get((pos, exc.token.type)) or self._by_state.get(pos)


def _span(ctx: ParseContext, start: int, end: int) -> Span:
    return ctx.source.span(ctx.base + start, ctx.base + end)


def _tok_span(ctx: ParseContext, tok: Token) -> Span:
    start = tok.start_pos if tok.start_pos is not None else len(ctx.text)
    end = tok.end_pos if tok.end_pos is not None else start
    return _span(ctx, start, end)


def _unclosed_label(ctx: ParseContext) -> list[Label]:
    if not ctx.open_brackets:
        return []
    opener = ctx.open_brackets[-1]
    return [Label(_tok_span(ctx, opener), f"`{opener.value}` opened here is never closed")]


def from_exception(exc: BaseException, ctx: ParseContext, table: ExampleTable) -> Diagnostic:
    """One diagnostic for a failed parse of `ctx.text`."""
    if isinstance(exc, PostLexStop):
        labels = []
        if exc.label_at is not None:
            a, b, msg = exc.label_at
            labels.append(Label(_span(ctx, a, b), msg))
        return error(exc.code, exc.message, _span(ctx, exc.start, exc.end), labels=labels)
    if isinstance(exc, BuildError):
        return error(exc.code, exc.message, exc.span)
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        ch = ctx.text[pos] if pos < len(ctx.text) else ""
        span = _span(ctx, pos, pos + 1)
        if ch in ("\"", "'"):
            return error("E0003", "unterminated string literal" if ch == '"' else
                         "unterminated character literal", span)
        shown = repr(ch)[1:-1] if not ch.isprintable() else ch
        return error("E0005", f"invalid character `{shown}` (U+{ord(ch):04X}) in source" if ch else
                     "invalid token", span, help="remove it, or put it inside a string literal")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        span = _span(ctx, len(ctx.text), len(ctx.text))
        labels = _unclosed_label(ctx)
        what = labels[0].message.split(" opened")[0] if labels else ""
        msg = (f"unexpected end of file: {what} is not closed" if labels
               else "unexpected end of file")
        if ctx.base + len(ctx.text) < len(ctx.source.text):
            if labels:
                msg = f"{what} is not closed before the next item"
            else:
                expected = set(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())
                words = sorted({_describe(t) for t in expected if not t.startswith("__")})
                wanted = ("expected " + " or ".join(words)) if 0 < len(words) <= 4 else "incomplete item"
                return error("E0001", f"{wanted} before the next item", span)
        return error("E0002", msg, span, labels=labels)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        span = _tok_span(ctx, tok)
        expected = set(exc.accepts or exc.expected or ())
        if tok.type == "AT" and expected & _EXPR_STARTS:
            return error("E0009", "macro-style `@name(...)` expression calls are not supported in weftc",
                         span)
        message = table.lookup(exc)
        words = sorted({_describe(t) for t in expected if not t.startswith("__")})
        if message is None:
            if len(words) <= 6 and words:
                message = "expected " + (" or ".join([", ".join(words[:-1]), words[-1]])
                                         if len(words) > 1 else words[0])
            elif expected & _EXPR_STARTS:
                message = "expected an expression"
            else:
                message = "unexpected token"
        return error("E0001", f"{message}, found {_found(tok)}", span,
                     notes=[f"expected one of: {', '.join(words)}"] if 1 < len(words) <= 12 else [])
    if isinstance(exc, UnexpectedInput):
        return error("E0001", f"syntax error: {exc}", _span(ctx, 0, 0))
    raise TypeError(f"not a parse failure: {exc!r}")


def number_errors(ctx: ParseContext) -> Iterable[Diagnostic]:
    for a, b, msg in ctx.number_errors:
        yield error("E0007", msg, _span(ctx, a, b))


def decode_error(path: str | Path, exc: SourceDecodeError) -> Diagnostic:
    """E0010 at the first bad byte of a file that is not UTF-8."""
    raw = Path(path).read_bytes()[:exc.offset]
    prefix = raw.decode("utf-8", errors="replace")
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    span = Span(str(path), exc.offset, exc.offset + 1, line, col, line, col + 1)
    return error("E0010", f"file is not valid UTF-8 (bad byte at offset {exc.offset})", span,
                 help="save the file as UTF-8")
