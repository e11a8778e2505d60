"""Literal decoding: numbers (with E0007 validation), escapes, f-string splitting.

Pure functions over token text; no lark here so they can be tested alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INT_SUFFIXES = frozenset({"i8", "i16", "i32", "i64", "i128", "isize",
                          "u8", "u16", "u32", "u64", "u128", "usize"})
FLOAT_SUFFIXES = frozenset({"f32", "f64"})

_SUFFIX = re.compile(r"(_?)((?:[iu](?:8|16|32|64|128|size))|f32|f64)$")
_DEC_INT = re.compile(r"[0-9][0-9_]*")
_FLOAT = re.compile(r"[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9][0-9_]*)?")
_DIGITS = {"x": "0123456789abcdefABCDEF_", "o": "01234567_", "b": "01_"}
_BASES = {"x": 16, "o": 8, "b": 2}


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A decoded number: `value` is int or float; `error` is set when invalid (E0007)."""

    value: int | float
    suffix: str | None
    error: str | None = None


def decode_number(text: str) -> NumberValue:
    """Decode a NUMBER token; never raises (an invalid literal carries `error`)."""
    body, suffix = text, None
    m = _SUFFIX.search(text)
    if m is not None and m.start() > 0:
        body, suffix = text[:m.start()], m.group(2)
        if m.group(1) == "" and body.endswith("_"):
            return NumberValue(0, suffix, f"invalid number literal `{text}`")
    if len(body) >= 2 and body[0] == "0" and body[1] in _BASES:
        digits = body[2:]
        if suffix in FLOAT_SUFFIXES:
            return NumberValue(0, suffix, f"`{suffix}` is not a suffix for an integer literal `{text}`")
        if not digits or digits.strip("_") == "" or (digits[0] == "_" and not digits.strip("_")):
            return NumberValue(0, suffix, f"`{text}` has no digits after `0{body[1]}`")
        allowed = _DIGITS[body[1]]
        bad = next((ch for ch in digits if ch not in allowed), None)
        if bad is not None:
            return NumberValue(0, suffix, f"invalid digit `{bad}` in base-{_BASES[body[1]]} literal `{text}`")
        if digits.endswith("_") and not (suffix and text[len(body) - 1:len(body)] == "_"):
            return NumberValue(0, suffix, f"invalid number literal `{text}`: trailing `_`")
        return NumberValue(int(digits.replace("_", ""), _BASES[body[1]]), suffix)
    if _DEC_INT.fullmatch(body) and "." not in body:
        trailing_glue = body.endswith("_")
        if trailing_glue and suffix is None:
            return NumberValue(0, None, f"invalid number literal `{text}`: trailing `_`")
        if suffix in FLOAT_SUFFIXES:
            return NumberValue(float(body.replace("_", "")), suffix)
        return NumberValue(int(body.replace("_", "")), suffix)
    if _FLOAT.fullmatch(body) and not body.endswith("_"):
        if suffix is not None and suffix not in FLOAT_SUFFIXES:
            return NumberValue(0.0, suffix, f"`{suffix}` is not a suffix for a float literal `{text}`")
        return NumberValue(float(body.replace("_", "")), suffix)
    m2 = re.match(r"[0-9][0-9_.eE+-]*", text)
    tail = text[m2.end():] if m2 else text
    if tail and m2 is not None and _FLOAT.fullmatch(text[:m2.end()]):
        return NumberValue(0, None, f"invalid suffix `{tail}` on number literal `{text}`"
                           " (expected i8..i128, isize, u8..u128, usize, f32 or f64)")
    return NumberValue(0, None, f"invalid number literal `{text}`")


_ESCAPE = re.compile(r"\\(u\{([0-9a-fA-F]{1,6})\}|x([0-9a-fA-F]{2})|[\s\S])")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def _escape(m: re.Match[str]) -> str:
    if m.group(2) is not None:
        cp = int(m.group(2), 16)
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            return m.group(0)
        return chr(cp)
    if m.group(3) is not None:
        return chr(int(m.group(3), 16))
    return _SIMPLE.get(m.group(1), m.group(0))


def decode_escapes(body: str) -> str:
    """Decode `\\n \\r \\t \\0 \\\\ \\" \\' \\xHH \\u{H..}`; unknown escapes are kept verbatim."""
    if "\\" not in body:
        return body
    return _ESCAPE.sub(_escape, body)


def raw_body(text: str) -> str:
    """The content of a `\"\"\"...\"\"\"` literal, `\"\"\"\"` standing for `\"\"\"`."""
    return text[3:-3].replace('""""', '"""')


_SPEC = re.compile(r"(?:.?[<>^])?[+-]?#?0?[0-9]*(?:\.[0-9]+)?[xXobeE?]?")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of an f-string body: literal text, or an interpolation `{expr[:spec]}`.

    Offsets are into the body string. For interpolations, `expr_start`/`expr_text`
    give the expression source (escaped quotes replaced length-preservingly) and
    `spec` the format spec; `closed` is False for an unbalanced `{`.
    """

    start: int
    end: int
    text: str
    is_expr: bool
    expr_text: str = ""
    expr_start: int = 0
    spec: str | None = None
    closed: bool = True


def split_fstring(body: str, raw: bool) -> list[Segment]:
    """Split an f-string body into text and `{...}` segments (`{{`/`}}` are text)."""
    out: list[Segment] = []
    n = len(body)
    i = 0
    text_start = 0
    buf: list[str] = []

    def flush(end: int) -> None:
        if buf:
            joined = "".join(buf)
            out.append(Segment(text_start, end, joined if raw else decode_escapes(joined), False))
            buf.clear()

    while i < n:
        c = body[i]
        if c == "\\" and not raw and i + 1 < n:
            buf.append(body[i:i + 2])
            i += 2
            continue
        if c == "{" and body[i + 1:i + 2] == "{":
            buf.append("{")
            i += 2
            continue
        if c == "}" and body[i + 1:i + 2] == "}":
            buf.append("}")
            i += 2
            continue
        if c != "{":
            buf.append(c)
            i += 1
            continue
        flush(i)
        depth = 1
        j = i + 1
        while j < n and depth:
            ch = body[j]
            if ch == "\\" and not raw and j + 1 < n:
                j += 2
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            j += 1
        closed = depth == 0
        inner_end = j - 1 if closed else j
        inner = body[i + 1:inner_end]
        expr_text = inner if raw else inner.replace('\\"', ' "')
        spec = None
        colon = _top_level_colon(expr_text)
        if colon >= 0 and _SPEC.fullmatch(expr_text[colon + 1:]):
            spec = expr_text[colon + 1:]
            expr_text = expr_text[:colon]
        out.append(Segment(i, j, body[i:j], True, expr_text, i + 1, spec, closed))
        i = j
        text_start = i
    flush(n)
    return out


def _top_level_colon(s: str) -> int:
    depth = 0
    quote = False
    for k, ch in enumerate(s):
        if ch == '"':
            quote = not quote
        elif quote:
            continue
        elif ch in "([{|":
            depth += 1 if ch != "|" else 0
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return k
    return -1
