"""Regex literals to Z3 regular expressions, for `text.matches("…")` in predicates.

Only a literal pattern can be proven about, and only the regular subset that
Z3 and Python's `re.fullmatch` agree on: literals, `.`, classes `[a-z_]` and
`[^…]`, escapes `\\d \\w \\s` and escaped punctuation, groups `( )` and
`(?: )`, alternation `|`, quantifiers `* + ?` and `{m}`, `{m,}`, `{m,n}`.
Matching is whole-string (the generated Python uses `re.fullmatch`), so a
leading `^` and trailing `$` are accepted and ignored. Anything else
(backreferences, lookaround, lazy quantifiers) raises `Unencodable`.
"""

from __future__ import annotations

import z3

from weftc.verify.values import Unencodable

_ANY_CHAR = z3.AllChar(z3.ReSort(z3.StringSort()))
_NOT_NEWLINE = z3.Intersect(_ANY_CHAR, z3.Complement(z3.Re("\n")))
_DIGIT = z3.Range("0", "9")
_WORD = z3.Union(z3.Range("a", "z"), z3.Range("A", "Z"), _DIGIT, z3.Re("_"))
_SPACE = z3.Union(*(z3.Re(c) for c in " \t\n\r\f\v"))
_CLASS_ESCAPES = {"d": _DIGIT, "w": _WORD, "s": _SPACE}


def regex_to_z3(pattern: str) -> z3.ReRef:
    """The Z3 regular expression denoting exactly the strings `re.fullmatch` accepts."""
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    parser = _Parser(body)
    re_ = parser.alternation()
    if parser.pos != len(body):
        raise Unencodable(f"regex `{pattern}`: unexpected `{body[parser.pos]}`")
    return re_


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def take(self) -> str:
        c = self.text[self.pos]
        self.pos += 1
        return c

    def alternation(self) -> z3.ReRef:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else z3.Union(*branches)

    def sequence(self) -> z3.ReRef:
        items: list[z3.ReRef] = []
        while self.peek() not in (None, "|", ")"):
            items.append(self.quantified(self.atom()))
        if not items:
            return z3.Re("")
        return items[0] if len(items) == 1 else z3.Concat(*items)

    def quantified(self, atom: z3.ReRef) -> z3.ReRef:
        c = self.peek()
        if c == "*":
            self.take()
            out = z3.Star(atom)
        elif c == "+":
            self.take()
            out = z3.Plus(atom)
        elif c == "?":
            self.take()
            out = z3.Option(atom)
        elif c == "{":
            out = self.counted(atom)
        else:
            return atom
        if self.peek() in ("?", "+"):
            raise Unencodable("lazy or possessive regex quantifiers")
        return out

    def counted(self, atom: z3.ReRef) -> z3.ReRef:
        end = self.text.find("}", self.pos)
        if end < 0:
            raise Unencodable("unterminated `{` in regex")
        spec = self.text[self.pos + 1:end]
        self.pos = end + 1
        lo_text, comma, hi_text = spec.partition(",")
        if not lo_text.isdigit() or (hi_text and not hi_text.isdigit()):
            raise Unencodable(f"regex repetition `{{{spec}}}`")
        lo = int(lo_text)
        if not comma:
            return z3.Loop(atom, lo, lo)
        if not hi_text:
            fixed = z3.Loop(atom, lo, lo) if lo else z3.Re("")
            return z3.Concat(fixed, z3.Star(atom))
        return z3.Loop(atom, lo, int(hi_text))

    def atom(self) -> z3.ReRef:
        c = self.take()
        if c == "(":
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise Unencodable("regex lookaround or named groups")
            inner = self.alternation()
            if self.peek() != ")":
                raise Unencodable("unbalanced `(` in regex")
            self.take()
            return inner
        if c == "[":
            return self.char_class()
        if c == ".":
            return _NOT_NEWLINE
        if c == "\\":
            return self.escape()
        if c in "*+?{":
            raise Unencodable(f"regex quantifier `{c}` with nothing to repeat")
        return z3.Re(c)

    def escape(self) -> z3.ReRef:
        if self.peek() is None:
            raise Unencodable("regex ends with `\\`")
        c = self.take()
        if c in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[c]
        if c.isalnum():
            raise Unencodable(f"regex escape `\\{c}`")
        return z3.Re(c)

    def char_class(self) -> z3.ReRef:
        negate = self.peek() == "^"
        if negate:
            self.take()
        parts: list[z3.ReRef] = []
        first = True
        while True:
            if self.peek() is None:
                raise Unencodable("unterminated `[` in regex")
            c = self.take()
            if c == "]" and not first:
                break
            first = False
            if c == "\\":
                if self.peek() in _CLASS_ESCAPES:
                    parts.append(_CLASS_ESCAPES[self.take()])
                    continue
                c = self.take()
            if self.peek() == "-" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] != "]":
                self.take()
                hi = self.take()
                if hi == "\\":
                    hi = self.take()
                parts.append(z3.Range(c, hi))
            else:
                parts.append(z3.Re(c))
        union = parts[0] if len(parts) == 1 else z3.Union(*parts)
        if negate:
            return z3.Intersect(_ANY_CHAR, z3.Complement(union))
        return union

