"""The post-lexer: token re-typing that keeps the grammar LALR(1).

How it works: lark calls `process` with the contextual lexer's token stream and
feeds each token we yield to the parser before asking for the next one, so the
lexer always sees the current parser state. We therefore never buffer tokens;
the only look-ahead is a scan of the raw text (`ParseContext.text`).

Re-typing (see the grammar header for why):

* `{` -> STRUCT_LBRACE / REFINE_LBRACE after an IDENT (or REFINE after a glued
  `>`), unless it is the block brace of an `if`/`while`/`match`/`for`/
  `provide`/`requires`/`ensures` head at the head's bracket depth.
* `<` glued to an IDENT -> GENERIC_LT when a balanced type list follows and is
  itself followed by `(` or `.`.
* `(` glued to `@name` -> ATTR_LPAR.

It also tracks brackets (E0006 for a mismatch, a nesting cap against
pathological input) and stops on tokens that only exist to give a precise
diagnostic: unterminated strings/comments (E0003/E0004), tagged literals and
other constructs weftc does not support (E0009). Invalid number literals are
recorded (E0007) without stopping, so the parse continues.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lark import Token

from weftc.source import SourceFile

MAX_NESTING = 256

_OPENERS = {"LPAR": ")", "LSQB": "]", "LBRACE": "}", "ATTR_LPAR": ")"}
_CLOSERS = {"RPAR": ")", "RSQB": "]", "RBRACE": "}"}
_HEAD_STARTERS = frozenset({"IF", "WHILE", "MATCH", "FOR", "PROVIDE", "REQUIRES", "ENSURES"})
_HEAD_ENDERS = frozenset({"SEMICOLON", "FATARROW"})
_AFTER_DOT = frozenset({"DOT", "OPTDOT"})
_GENERIC_OWNERS = frozenset({"IDENT", "IMPLEMENT"})
_SPLITTABLE = {"SHR": "GT"}

_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_RAW_RE = re.compile(r'"""(?:""""|[^"]|"(?!""))*"""')
# After `Name {` in a `provide` head: a record literal body (`x: e`, `x,`, `..base`),
# not the provided block.
_STRUCT_BODY = re.compile(r"\s*(?:[^\W\d]\w*\s*(?::(?!:)|,)|\.\.)")
# After a glued `{`, text that can only start a body, never a refinement predicate.
_BODY_START = re.compile(r"\s*(?:\}|//|/\*|(?:let|return|match|while|for|loop|const|fn)\b)")
_STATIC_MUT = re.compile(r"\s+mut\b")
_CHECKED_REF = re.compile(r"(checked|unsafe)\s+[A-Za-z_(&\[]")
_TYPE_MODIFIER = re.compile(r"\s+(affine|linear)\s+[A-Za-z_]")
# Reserved words (language reference §1) -> their keyword token type.
RESERVED = {w: w.upper() for w in (
    "let fn is type match mount where if else while for loop break continue return mut const "
    "static pure implement protocol module async await as in true false public pub using "
    "context provide unsafe extends").split()}
_DOT_EXPONENT = re.compile(r"\.[eE][+-]?[0-9]")
_GENERIC_BODY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,.&'+;! \t\r\n")
_BLOCK_WORDS = {"select": "`select`", "nursery": "`nursery`", "try": "`try`/`recover`",
                "comptime": "`comptime` blocks"}
_PREFIX_WORDS = {"defer": "`defer`", "errdefer": "`errdefer`", "throw": "`throw`",
                 "yield": "`yield` (generators)", "quote": "`quote` (meta-programming)"}
_ITEM_WORDS = {"theorem": "proofs (`theorem`)", "lemma": "proofs (`lemma`)",
               "axiom": "proofs (`axiom`)", "proof": "proofs", "tactic": "proof tactics",
               "extern": "FFI `extern` blocks", "meta": "`meta` functions",
               "cofix": "`cofix` copatterns", "affine": "`affine` types",
               "linear": "`linear` types", "active": "active patterns"}
_STMT_BOUNDARY = frozenset({"SEMICOLON", "LBRACE", "STRUCT_LBRACE", "RBRACE", "FATARROW",
                            "EQUAL", "LPAR", "COMMA"})
# `PostLexState.feed` acts on these token types (and on IDENTs in SPECIAL_WORDS);
# any other token only moves the `prev`/`prev2` window, which the fast path does
# itself. Keep in sync with the branches of `feed`.
ACTIVE_TYPES = frozenset({
    "LBRACE", "LPAR", "LSQB", "RPAR", "RSQB", "RBRACE", "IF", "WHILE", "MATCH", "FOR",
    "PROVIDE", "REQUIRES", "ENSURES", "LET", "EQUAL", "SEMICOLON", "FATARROW", "LT", "GT",
    "SHR", "NUMBER", "FN", "AMP", "TYPE", "STATIC", "UNCLOSED_STRING", "UNCLOSED_RAW",
    "UNCLOSED_COMMENT", "TAGGED_LITERAL"})
SPECIAL_WORDS = frozenset(RESERVED) | frozenset(_BLOCK_WORDS) | frozenset(_PREFIX_WORDS) \
    | frozenset(_ITEM_WORDS)


class PostLexStop(Exception):
    """Stops the parse with a precise diagnostic (`code`, message, token span)."""

    def __init__(self, code: str, message: str, start: int, end: int,
                 label_at: tuple[int, int, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.start = start
        self.end = end
        self.label_at = label_at


@dataclass(slots=True)
class ParseContext:
    """Per-parse state shared by post-lexer and tree builder.

    `base` is the absolute offset of `text` in the file, `base_line`/`base_col`
    its 1-based line and column (not 0/1/1 only for f-string segments and for the
    item chunks parsed during error recovery). `source` is the whole file.
    """

    text: str
    source: SourceFile
    base: int = 0
    base_line: int = 1
    base_col: int = 1
    fstring_depth: int = 0
    number_errors: list[tuple[int, int, str]] = field(default_factory=list)
    warnings: list[tuple[int, int, str, str]] = field(default_factory=list)
    unsupported: list[tuple[int, int, str]] = field(default_factory=list)
    open_brackets: list[Token] = field(default_factory=list)
    # text offsets are file offsets (base 0, line 1, column 1): token spans need no shifting
    at_origin: bool = field(init=False, default=True)

    def __post_init__(self) -> None:
        self.at_origin = self.base == 0 and self.base_line == 1 and self.base_col == 1

    def clear_notes(self) -> None:
        """Forget what a parse attempt recorded, before the text is parsed again."""
        self.number_errors.clear()
        self.warnings.clear()
        self.unsupported.clear()
        self.open_brackets.clear()


def _looks_generic(text: str, i: int) -> bool:
    """True when text[i:] (just after `<`) is `Types>` followed by `(` or `.`."""
    depth = 1
    parens = 0
    n = len(text)
    limit = min(n, i + 400)
    body = _GENERIC_BODY
    while i < limit:
        c = text[i]
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
            if depth == 0:
                j = i + 1
                while j < n and text[j] in " \t":
                    j += 1
                if j >= n:
                    return False
                nxt = text[j]
                return nxt == "(" or (nxt == "." and text[j + 1:j + 2] != ".")
        elif c in "([":
            parens += 1
        elif c in ")]":
            parens -= 1
            if parens < 0:
                return False
        elif c == "-" and text[i + 1:i + 2] == ">":
            i += 2
            continue
        elif c not in body:
            return False
        i += 1
    return False


def _start(tok: Token) -> int:
    return tok.start_pos or 0


def _end(tok: Token) -> int:
    return tok.end_pos or 0


def _next_char(text: str, i: int) -> str:
    n = len(text)
    while i < n and text[i] in " \t\r\n":
        i += 1
    return text[i] if i < n else ""


class VerumPostLex:
    """lark post-lexer; `contexts` is a stack pushed by the parser driver."""

    # Re-typed tokens must lex in every state; IDENT and closers too, so that a
    # misplaced word or bracket reaches `process` (reserved words, E0006, E0009)
    # instead of failing inside the lexer.
    always_accept = ("LBRACE", "LT", "LPAR", "UNCLOSED_STRING", "UNCLOSED_RAW",
                     "UNCLOSED_COMMENT", "TAGGED_LITERAL", "IDENT", "RBRACE", "RPAR", "RSQB")

    def __init__(self) -> None:
        self.contexts: list[ParseContext] = []

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        """lark's post-lexer hook: one `PostLexState.feed` per lexed token."""
        feed = PostLexState(self.contexts[-1]).feed
        for tok in stream:
            out = feed(tok)
            if out.__class__ is tuple:
                yield from out
            else:
                yield out  # type: ignore[misc]  # narrowed by the class check above


class PostLexState:
    """The post-lexer's state for one parse; `feed` re-types one token.

    `feed` returns the token to hand to the parser, or a pair of tokens when a
    `>>` closes two generic lists. Shared by lark's post-lexer hook and by the
    fused fast path (`weftc.syntax.fastpath`), so both see identical tokens.
    """

    __slots__ = ("angles", "ctx", "heads", "prev", "prev2", "stack", "text")

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.text = ctx.text
        self.stack = ctx.open_brackets
        self.heads: list[list[int]] = []    # [depth, let_pending, is_provide]
        self.angles: list[int] = []         # bracket depth of each open generic `<`
        self.prev: Token | None = None
        self.prev2: Token | None = None

    def feed(self, tok: Token) -> Token | tuple[Token, Token]:
        ctx = self.ctx
        text = self.text
        stack = self.stack
        heads = self.heads
        angles = self.angles
        prev = self.prev
        prev2 = self.prev2
        first: Token | None = None
        t = tok.type
        ts: int = tok.start_pos or 0
        te: int = tok.end_pos or 0
        if t == "IDENT" and tok.value in RESERVED and (prev is None or prev.type not in _AFTER_DOT):
            # The contextual lexer only makes keywords where one is acceptable;
            # a reserved word anywhere else is still that keyword (an error),
            # except as a path segment or field (`core.async.cancellation`).
            t = tok.type = RESERVED[tok.value]
        if t == "IDENT":
            if tok.value in _BLOCK_WORDS or tok.value in _PREFIX_WORDS or tok.value in _ITEM_WORDS:
                _check_unsupported(tok, prev, text)
        elif t == "LBRACE":
            depth = len(stack)
            if (heads and heads[-1][0] == depth and not heads[-1][1]
                    and not (heads[-1][2] and prev is not None and prev.type == "IDENT"
                             and _STRUCT_BODY.match(text, te))):
                # the head's block: ends every head opened at this depth
                # (`requires a ensures b {` pushed two)
                while heads and heads[-1][0] == depth:
                    heads.pop()
            elif prev is not None:
                pt = prev.type
                glued = prev.end_pos == tok.start_pos
                if pt == "IDENT":
                    tok.type = ("REFINE_LBRACE" if glued and not _BODY_START.match(text, te)
                                else "STRUCT_LBRACE")
                elif pt == "GT" and glued:
                    tok.type = "REFINE_LBRACE"
            _open(tok, stack)
        elif t == "LPAR" or t == "LSQB":
            if (t == "LPAR" and prev is not None and prev2 is not None and prev.type == "IDENT"
                    and prev2.type == "AT" and prev.end_pos == tok.start_pos
                    and prev2.end_pos == prev.start_pos):
                tok.type = "ATTR_LPAR"
            _open(tok, stack)
        elif t in _CLOSERS:
            if not stack:
                raise PostLexStop("E0006", f"unexpected closing `{tok.value}` with no opening bracket",
                                  ts, te)
            opener = stack[-1]
            if _OPENERS.get(opener.type, "}") != tok.value:
                raise PostLexStop(
                    "E0006",
                    f"mismatched closing `{tok.value}`: expected `{_OPENERS.get(opener.type, '}')}`",
                    ts, te,
                    label_at=(_start(opener), _end(opener), f"`{opener.value}` opened here"))
            stack.pop()
            depth = len(stack)
            while angles and angles[-1] > depth:
                angles.pop()
            while heads and heads[-1][0] > depth:
                heads.pop()
        elif t in _HEAD_STARTERS:
            if t == "FOR" and stack and stack[-1].type == "LSQB":
                raise PostLexStop("E0009", "list comprehensions (`[e for x in xs]`) are not supported "
                                  "in weftc; use a loop or `.map(...)`",
                                  _start(stack[-1]), _end(stack[-1]))
            heads.append([len(stack), 0, int(t == "PROVIDE")])
        elif t == "LET":
            if prev is not None and prev.type in ("IF", "WHILE") and heads and heads[-1][0] == len(stack):
                heads[-1][1] = 1
        elif t == "EQUAL":
            if heads and heads[-1][1] and heads[-1][0] == len(stack):
                heads[-1][1] = 0
        elif t in _HEAD_ENDERS:
            depth = len(stack)
            while angles and angles[-1] >= depth:
                angles.pop()
            while heads and heads[-1][0] == depth:
                heads.pop()
        elif t == "LT":
            if prev is not None and prev.end_pos == tok.start_pos and prev.type in _GENERIC_OWNERS:
                angles.append(len(stack))
                if prev.type == "IDENT" and _looks_generic(text, te):
                    tok.type = "GENERIC_LT"
        elif t == "GT":
            if angles and angles[-1] == len(stack):
                angles.pop()
        elif t in _SPLITTABLE and angles and angles[-1] == len(stack):
            # `List<List<Byte>>`: the first `>` closes the inner generic list.
            angles.pop()
            col = tok.column or 1
            first = Token("GT", ">", ts, tok.line, col, tok.line, col + 1, ts + 1)
            prev = first    # becomes prev2 below; the rest of `>>` becomes prev
            rest = _SPLITTABLE[t]
            tok = Token(rest, tok.value[1:], ts + 1, tok.line, col + 1,
                        tok.end_line, tok.end_column, te)
            if rest == "GT" and angles and angles[-1] == len(stack):
                angles.pop()
        elif t == "NUMBER":
            if text[te:te + 1] == "." and _DOT_EXPONENT.match(text, te):
                ctx.number_errors.append((ts, te + 2,
                                          "a float needs digits after `.` (write `1.0e5`)"))
        elif t == "FN":
            if _next_char(text, _end(tok)) == "*":
                raise PostLexStop("E0009", "generator functions (`fn*`) are not supported in weftc",
                                  ts, te + 1)
        elif t == "AMP":
            m = _CHECKED_REF.match(text, te)
            if m is not None:
                raise PostLexStop("E0009", f"`&{m.group(1)}` references are not supported in weftc",
                                  ts, m.end(1))
        elif t == "TYPE":
            m = _TYPE_MODIFIER.match(text, te)
            if m is not None:
                raise PostLexStop("E0009", f"`{m.group(1)}` types are not supported in weftc",
                                  m.start(1), m.end(1))
        elif t == "STATIC":
            if _STATIC_MUT.match(text, te):
                ctx.unsupported.append((ts, te, "`static mut` is not supported in weftc"))
        elif t in ("UNCLOSED_STRING", "UNCLOSED_RAW"):
            regex = _STRING_RE if t == "UNCLOSED_STRING" else _RAW_RE
            m = regex.match(text, ts)
            if m is None:
                raise PostLexStop("E0003", "unterminated string literal", ts, te)
            tok = Token("STRING" if t == "UNCLOSED_STRING" else "RAW_STRING", m.group(0),
                        ts, tok.line, tok.column, tok.end_line, tok.end_column, m.end())
        elif t == "UNCLOSED_COMMENT":
            raise PostLexStop("E0004", "unterminated block comment: `/*` has no matching `*/`",
                              ts, te)
        elif t == "TAGGED_LITERAL":
            tag = tok.value.split("#", 1)[0]
            if tag == "route":
                raise PostLexStop("E0003", "unterminated route literal", ts, te)
            raise PostLexStop("E0009", f"tagged literal `{tag}#` is not supported in weftc "
                              "(only `route#\"...\"` is)", ts, te)
        self.prev2 = prev
        self.prev = tok
        if first is not None:
            return first, tok
        return tok


def _open(tok: Token, stack: list[Token]) -> None:
        stack.append(tok)
        if len(stack) > MAX_NESTING:
            raise PostLexStop("E0001", f"brackets nested more than {MAX_NESTING} levels deep",
                              _start(tok), _end(tok))

def _check_unsupported(tok: Token, prev: Token | None, text: str) -> None:
        word = tok.value
        ts, te = _start(tok), _end(tok)
        at_stmt = prev is None or prev.type in _STMT_BOUNDARY
        if not at_stmt:
            return
        nxt = _next_char(text, _end(tok))
        if word in _BLOCK_WORDS and nxt == "{":
            raise PostLexStop("E0009", f"{_BLOCK_WORDS[word]} is not supported in weftc",
                              ts, te)
        if word in _PREFIX_WORDS and (nxt.isalnum() or nxt in "_\"({[&*-!"):
            if nxt == "(" and word not in ("throw", "yield"):
                return
            raise PostLexStop("E0009", f"{_PREFIX_WORDS[word]} is not supported in weftc",
                              ts, te)
        if word in _ITEM_WORDS and (prev is None or prev.type in ("SEMICOLON", "RBRACE")) \
                and (nxt.isalpha() or nxt in "_\"{"):
            raise PostLexStop("E0009", f"{_ITEM_WORDS[word]}: not supported in weftc",
                              ts, te)
