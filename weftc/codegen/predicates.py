"""Refinement predicates as Python boolean expressions.

The one place that turns a refinement's predicate AST (`n >= 1`,
`len(self) > 0`, `s == "v1" || s == "v2"`) into Python. Codegen uses it for
the checks at the untrusted boundary (path/query extractors, JSON fields);
the verify stage reads the same predicate AST, so both agree on what a
predicate means. The subject (the binder, `it`, `self` or the implicit
left-hand side of `Int{> 0}`) becomes the parameter `value`.
"""

from __future__ import annotations

from dataclasses import dataclass

from weftc.source import Span
from weftc.syntax import ast

SUBJECT = "value"
FULLMATCH = "fullmatch"

_BINARY = {"&&": "and", "||": "or", "==": "==", "!=": "!=", "<": "<", "<=": "<=",
           ">": ">", ">=": ">=", "+": "+", "-": "-", "*": "*", "%": "%", "/": "//"}
_TEXT_METHODS = {"starts_with": "startswith", "ends_with": "endswith"}


class UnsupportedPredicate(Exception):
    """A predicate form with no Python translation yet (reported as E6002)."""

    def __init__(self, span: Span, what: str) -> None:
        super().__init__(what)
        self.span = span
        self.what = what


@dataclass(frozen=True, slots=True)
class Predicate:
    """A refinement ready for emission: its Python body over `value` and its text."""

    python: str
    source: str
    source_of_predicate: str


def subject_names(refined: ast.RefinedType) -> frozenset[str]:
    names = {"it", "self"}
    if refined.binder is not None:
        names.add(refined.binder.name)
    return frozenset(names)


def to_python(refined: ast.RefinedType, source_text: str) -> Predicate:
    """Translate `refined`'s predicate; raises UnsupportedPredicate."""
    if refined.form == ast.RefinementForm.NAMED:
        raise UnsupportedPredicate(refined.predicate.span,
                                   "a refinement named by a function (`T where is_valid`)")
    body = _expr(refined.predicate, subject_names(refined))
    text = source_text[refined.span.start:refined.span.end]
    pred = refined.predicate
    if isinstance(pred, ast.Block) and not pred.stmts and pred.tail is not None:
        pred = pred.tail
    inner = source_text[pred.span.start:pred.span.end]
    return Predicate(body, " ".join(text.split()), " ".join(inner.split()))


def _expr(e: ast.Expr, subjects: frozenset[str]) -> str:
    match e:
        case ast.ImplicitSubject():
            return SUBJECT
        case ast.Name(name=name) if name in subjects:
            return SUBJECT
        case ast.IntLit(value=v):
            return repr(v)
        case ast.FloatLit(value=v):
            return repr(v)
        case ast.BoolLit(value=v):
            return "True" if v else "False"
        case ast.TextLit(value=v):
            return repr(v)
        case ast.Paren(expr=inner):
            return f"({_expr(inner, subjects)})"
        case ast.Block(stmts=(), tail=tail) if tail is not None:
            return _expr(tail, subjects)
        case ast.Unary(op="!", operand=inner):
            return f"(not {_expr(inner, subjects)})"
        case ast.Unary(op="-", operand=inner):
            return f"(-{_expr(inner, subjects)})"
        case ast.Binary(op=op, left=left, right=right) if op in _BINARY:
            return f"({_expr(left, subjects)} {_BINARY[op]} {_expr(right, subjects)})"
        case ast.Call(callee=ast.Name(name="len"), args=(arg,)):
            return f"len({_expr(arg, subjects)})"
        case ast.MethodCall(receiver=recv, method=m, args=()) if m.name in ("len", "count"):
            return f"len({_expr(recv, subjects)})"
        case ast.MethodCall(receiver=recv, method=m, args=()) if m.name == "is_empty":
            return f"(len({_expr(recv, subjects)}) == 0)"
        case ast.MethodCall(receiver=recv, method=m, args=(arg,)) if m.name in _TEXT_METHODS:
            return f"{_expr(recv, subjects)}.{_TEXT_METHODS[m.name]}({_expr(arg, subjects)})"
        case ast.MethodCall(receiver=recv, method=m, args=(arg,)) if m.name == "contains":
            return f"({_expr(arg, subjects)} in {_expr(recv, subjects)})"
        case ast.MethodCall(receiver=recv, method=m, args=(ast.TextLit(value=pattern),)) \
                if m.name == "matches":
            # Whole-string match, as the verifier's regex encoding means it.
            return f"({FULLMATCH}({pattern!r}, {_expr(recv, subjects)}) is not None)"
    raise UnsupportedPredicate(e.span, f"`{type(e).__name__}` in a refinement predicate")


def predicate_python(predicate: ast.Expr, subjects: frozenset[str]) -> str:
    """A predicate's Python body over `value`, the value named by `subjects`."""
    return _expr(predicate, subjects)


def imports_of(python: str) -> list[tuple[str, str]]:
    """What a predicate body needs imported (`from re import fullmatch`)."""
    return [("re", FULLMATCH)] if f"{FULLMATCH}(" in python else []
