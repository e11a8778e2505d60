"""Statement-shaped constructs: loops, assignment, `if let`, `x is P`.

Python has these only as statements, so each one is emitted into the
current block of the `FnLowerer` and leaves `None` (or a temporary) as
its value. `if let P = e && c { a } else { b }` becomes a `match` with one
guarded case and a `case _:` for the else branch; `x is P` becomes a
`match` that stores True or False.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weftc.codegen.context import Unsupported, py_name
from weftc.syntax import ast

if TYPE_CHECKING:
    from weftc.codegen.lower import FnLowerer

_COMPOUND = {"=": "=", "+=": "+=", "-=": "-=", "*=": "*=", "/=": "//=", "%=": "%=",
             "&=": "&=", "|=": "|=", "^=": "^=", "<<=": "<<=", ">>=": ">>="}


def assign(low: FnLowerer, e: ast.Assign) -> None:
    """`x = e`, `x.f = e`, `xs[i] = e` and compound forms (`/=` on Int is `//=`)."""
    op = _COMPOUND.get(e.op)
    if op is None:
        raise Unsupported(e.span, f"the assignment operator `{e.op}`")
    match e.target:
        case ast.Name(name=name):
            target = py_name(name)
        case ast.Field(target=obj, name=attr):
            target = f"{low.expr(obj)}.{py_name(attr.name)}"
        case ast.Index(target=obj, index=idx):
            target = f"{low.expr(obj)}[{low.expr(idx)}]"
        case ast.Unary(op="*", operand=ast.Name(name=name)):
            target = py_name(name)
        case _:
            raise Unsupported(e.target.span, "this assignment target")
    if e.op == "/=" and low.is_float(e.target):
        op = "/="
    low.emit(f"{target} {op} {low.expr(e.value)}")


def loop(low: FnLowerer, e: ast.Loop | ast.While | ast.For) -> None:
    """`loop`, `while c` and `for p in xs` as Python loops (their value is `()`)."""
    match e:
        case ast.Loop():
            low.emit("while True:")
        case ast.While(condition=ast.LetCondition()):
            raise Unsupported(e.condition.span, "`while let` loops")
        case ast.While(condition=cond):
            mark = len(low.lines)
            text = low.expr(cond)
            if len(low.lines) != mark:
                raise Unsupported(cond.span, "a `while` condition that needs statements")
            low.emit(f"while {text}:")
        case ast.For(pattern=pat, iterable=xs):
            target, names = low.let_tuple(pat)
            source = low.expr(xs)
            for n in names:
                low.bind_local(n, None)
            low.emit(f"for {target} in {low.iterable(xs, source)}:")
    low.nested(e.body, "discard")


def jump(low: FnLowerer, e: ast.Break | ast.Continue) -> None:
    if isinstance(e, ast.Break):
        if e.value is not None:
            raise Unsupported(e.span, "`break` with a value")
        low.emit("break")
    else:
        low.emit("continue")


def if_let(low: FnLowerer, e: ast.If, sink: str) -> bool:
    """`if let P = e [&& c] {..} [else {..}]`; False when the condition has no `let`."""
    cond = e.condition
    extra: list[ast.Expr] = []
    while isinstance(cond, ast.Binary) and cond.op == "&&" and _has_let(cond.left):
        extra.insert(0, cond.right)
        cond = cond.left
    if not isinstance(cond, ast.LetCondition):
        if _has_let(e.condition):
            raise Unsupported(e.condition.span, "`let` inside this kind of condition")
        return False
    scrutinee = low.expr(cond.value)
    pat, binds, conds = low.guarded_pattern(cond.pattern)
    for b in binds:
        low.bind_local(b, None)
    guard = " and ".join([*conds, *(low.expr(x) for x in extra)])
    low.emit(f"match {scrutinee}:")
    low.depth += 1
    low.emit(f"case {pat}{' if ' + guard if guard else ''}:")
    low.nested(e.then, sink)
    low.emit("case _:")
    if e.else_ is not None:
        low.nested(e.else_, sink)
    else:
        low.depth += 1
        low.emit("pass" if sink in ("return", "discard") else f"{sink} = None")
        low.depth -= 1
    low.depth -= 1
    return True


def _has_let(e: ast.Expr) -> bool:
    if isinstance(e, ast.LetCondition):
        return True
    return isinstance(e, ast.Binary) and e.op == "&&" and (_has_let(e.left) or _has_let(e.right))


def is_pattern(low: FnLowerer, e: ast.IsPattern) -> str:
    """`x is P` / `x is not P` as a boolean temporary set by a `match`."""
    value = low.expr(e.expr)
    pat, binds, conds = low.guarded_pattern(e.pattern)
    if binds:
        raise Unsupported(e.span, "bindings inside an `is` pattern")
    if conds:
        pat += f" if {' and '.join(conds)}"
    tmp = low.temp("is")
    yes, no = ("False", "True") if e.negated else ("True", "False")
    low.emit(f"match {value}:")
    low.depth += 1
    low.emit(f"case {pat}:")
    low.emit(f"    {tmp} = {yes}")
    low.emit("case _:")
    low.emit(f"    {tmp} = {no}")
    low.depth -= 1
    return tmp
