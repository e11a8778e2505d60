"""Formatting of expressions, blocks and statements.

Parentheses are exactly the tree's `Paren` nodes: a parsed tree already
holds every parenthesis its meaning needs, so none is added or removed.
Literals print their source spelling (`text`), which keeps `1_000`, `0xFF`,
escapes and f-string segments as written. Lists break one element per line
(with a trailing comma) and method chains break before each `.call` only
when the flat form does not fit in the line width.
"""

from __future__ import annotations

from weftc.fmt.base import FormatterBase
from weftc.syntax import ast

_BLOCK_LIKE = (ast.Block, ast.If, ast.Match, ast.Loop, ast.While, ast.For,
               ast.UnsafeBlock, ast.AsyncBlock)


class ExprsMixin(FormatterBase):
    def args(self, args: tuple[ast.Expr, ...], ind: int, col: int) -> str:
        flat = [self.expr(a, ind, 0) for a in args]
        broken = [self.expr(a, ind + 4, ind + 4) for a in args]
        force = any("\n" in f for f in flat) and len(args) > 1
        return self.delimited("(", flat, ")", ind, col, broken, force)

    def type_args(self, ts: tuple[ast.TypeExpr, ...], ind: int) -> str:
        return "<" + ", ".join(self.type_(t, ind, 0) for t in ts) + ">" if ts else ""

    def expr(self, e: ast.Expr, ind: int, col: int) -> str:
        match e:
            case ast.IntLit(text=t) | ast.FloatLit(text=t) | ast.TextLit(text=t) \
                    | ast.CharLit(text=t) | ast.ByteLit(text=t) | ast.ByteStringLit(text=t) \
                    | ast.FString(text=t) | ast.RouteLiteral(text=t):
                return t
            case ast.BoolLit(value=v):
                return "true" if v else "false"
            case ast.Name(name=n):
                return n
            case ast.ImplicitSubject():
                return ""
            case ast.Paren(expr=inner):
                return "(" + self.expr(inner, ind, col + 1) + ")"
            case ast.Tuple(elements=els):
                if len(els) == 1:
                    return "(" + self.expr(els[0], ind, col + 1) + ",)"
                return self.args(els, ind, col)
            case ast.ArrayLit(elements=els):
                flat = [self.expr(a, ind, 0) for a in els]
                broken = [self.expr(a, ind + 4, ind + 4) for a in els]
                return self.delimited("[", flat, "]", ind, col, broken)
            case ast.ArrayRepeat(value=v, count=n):
                return f"[{self.expr(v, ind, col + 1)}; {self.expr(n, ind, 0)}]"
            case ast.RecordLit():
                return self.record_lit(e, ind, col)
            case ast.Unary(op=op, operand=x):
                return self.unary(op, x, ind, col)
            case ast.Binary(op=op, left=lhs, right=rhs):
                left = self.expr(lhs, ind, col)
                if isinstance(lhs, ast.ImplicitSubject):
                    return op + " " + self.expr(rhs, ind, col + len(op) + 1)
                return f"{left} {op} " + self.expr(rhs, ind, col + len(left) + len(op) + 2)
            case ast.Assign(op=op, target=t, value=v):
                left = self.expr(t, ind, col)
                return f"{left} {op} " + self.expr(v, ind, col + len(left) + len(op) + 2)
            case ast.Range(start=s, end=en, inclusive=inc):
                lo = self.expr(s, ind, col) if s is not None else ""
                hi = self.expr(en, ind, 0) if en is not None else ""
                return lo + ("..=" if inc else "..") + hi
            case ast.Cast(expr=x, type=t):
                return f"{self.expr(x, ind, col)} as {self.type_(t, ind, 0)}"
            case ast.IsPattern(expr=x, pattern=p, negated=neg):
                return f"{self.expr(x, ind, col)} is {'not ' if neg else ''}{self.pattern(p, ind, 0)}"
            case ast.LetCondition(pattern=p, value=v):
                return f"let {self.pattern(p, ind, col + 4)} = {self.expr(v, ind, col)}"
            case ast.Field() | ast.TupleIndex() | ast.Call() | ast.MethodCall() | ast.Index() \
                    | ast.Await() | ast.Try():
                return self.postfix(e, ind, col)
            case ast.MethodRef(method=m, type_args=ta, args=a):
                text = f".{m.name}{self.type_args(ta, ind)}"
                return text + self.args(a, ind, col + len(text))
            case ast.Block():
                return self.block(e, ind)
            case ast.If():
                return self.if_(e, ind, col)
            case ast.Match():
                return self.match(e, ind, col)
            case ast.Loop(body=b):
                return "loop " + self.block(b, ind)
            case ast.While(condition=c, body=b):
                return f"while {self.expr(c, ind, col + 6)} " + self.block(b, ind)
            case ast.For(pattern=p, iterable=it, body=b):
                head = f"for {self.pattern(p, ind, col + 4)} in "
                return head + self.expr(it, ind, col + len(head)) + " " + self.block(b, ind)
            case ast.Return(value=v):
                return "return" if v is None else "return " + self.expr(v, ind, col + 7)
            case ast.Break(value=v):
                return "break" if v is None else "break " + self.expr(v, ind, col + 6)
            case ast.Continue():
                return "continue"
            case ast.Closure():
                return self.closure(e, ind, col)
            case ast.AsyncBlock(body=b, is_move=mv):
                return ("async move " if mv else "async ") + self.block(b, ind)
            case ast.UnsafeBlock(body=b):
                return "unsafe " + self.block(b, ind)
            case ast.Spawn(expr=x):
                return "spawn " + self.expr(x, ind, col + 6)
        raise TypeError(f"cannot format expression node {type(e).__name__}")

    def unary(self, op: str, x: ast.Expr, ind: int, col: int) -> str:
        operand = self.expr(x, ind, col + len(op) + 1)
        if op == "&mut":
            return "&mut " + operand
        # `& &x`, `* *p`: glued they would lex as `&&`, `**` (`- -x` reads better too).
        if operand[:1] == op:
            return f"{op} {operand}"
        return op + operand

    def record_lit(self, e: ast.RecordLit, ind: int, col: int) -> str:
        head = self.path(e.path)
        parts = []
        for f in e.fields:
            parts.append(f.name.name if f.value is None
                         else f"{f.name.name}: {self.expr(f.value, ind + 4, ind + 4)}")
        if e.base is not None:
            parts.append(".." + self.expr(e.base, ind + 4, ind + 6))
        if not parts:
            return head + " {}"
        flat = head + " { " + ", ".join(parts) + " }"
        if self.fits(col, flat):
            return flat
        inner = self.pad(ind + 4)
        rows = "".join(f"{inner}{p}{'' if p.startswith('..') else ','}\n" for p in parts)
        return head + " {\n" + rows + self.pad(ind) + "}"

    # ------------------------------------------------------------ postfix chains

    def postfix_flat(self, e: ast.Expr, ind: int, col: int) -> str:
        match e:
            case ast.Field(target=t, name=n, optional=opt):
                return self.postfix_flat(t, ind, col) + ("?." if opt else ".") + n.name
            case ast.TupleIndex(target=t, index=i):
                return f"{self.postfix_flat(t, ind, col)}.{i}"
            case ast.Call(callee=c, type_args=ta, args=a):
                head = self.postfix_flat(c, ind, col) + self.type_args(ta, ind)
                return head + self.args(a, ind, col + len(head.rsplit("\n", 1)[-1]))
            case ast.MethodCall(receiver=r, method=m, type_args=ta, args=a, optional=opt):
                head = self.postfix_flat(r, ind, col) + ("?." if opt else ".")
                head += m.name + self.type_args(ta, ind)
                return head + self.args(a, ind, col + len(head.rsplit("\n", 1)[-1]))
            case ast.Index(target=t, index=i):
                return f"{self.postfix_flat(t, ind, col)}[{self.expr(i, ind, 0)}]"
            case ast.Await(target=t):
                return self.postfix_flat(t, ind, col) + ".await"
            case ast.Try(target=t):
                return self.postfix_flat(t, ind, col) + "?"
        return self.expr(e, ind, col)

    def postfix(self, e: ast.Expr, ind: int, col: int) -> str:
        flat = self.postfix_flat(e, ind, col)
        if self.fits(col, flat):
            return flat
        links = self._chain(e)
        calls = sum(1 for x in links if isinstance(x, (ast.MethodCall, ast.Await)))
        if calls < 2:
            return flat
        return self._broken_chain(links, ind, col)

    @staticmethod
    def _chain(e: ast.Expr) -> list[ast.Expr]:
        """The postfix links of `e`, innermost (the chain's root) first."""
        links: list[ast.Expr] = []
        cur: ast.Expr = e
        while isinstance(cur, (ast.Field, ast.TupleIndex, ast.Call, ast.MethodCall,
                               ast.Index, ast.Await, ast.Try)):
            links.append(cur)
            match cur:
                case ast.Call(callee=nxt) | ast.MethodCall(receiver=nxt):
                    cur = nxt
                case ast.Field(target=nxt) | ast.TupleIndex(target=nxt) | ast.Index(target=nxt) \
                        | ast.Await(target=nxt) | ast.Try(target=nxt):
                    cur = nxt
        links.append(cur)
        links.reverse()
        return links

    def _broken_chain(self, links: list[ast.Expr], ind: int, col: int) -> str:
        """Root and first call on the first line, then one `.call` per line."""
        inner = ind + 4
        first_call = next(k for k, x in enumerate(links)
                          if isinstance(x, (ast.MethodCall, ast.Await)))
        # Keep `Type.new()` together: the root line ends at the first method call
        # when everything before it is a plain path.
        head_end = first_call if all(
            isinstance(x, (ast.Name, ast.Field)) for x in links[1:first_call]) else first_call - 1
        text = self.postfix_flat(links[max(head_end, 0)], ind, col)
        for link in links[max(head_end, 0) + 1:]:
            match link:
                case ast.MethodCall(method=m, type_args=ta, args=a, optional=opt):
                    seg = ("?." if opt else ".") + m.name + self.type_args(ta, inner)
                    text += "\n" + self.pad(inner) + seg + self.args(a, inner, inner + len(seg))
                case ast.Await():
                    text += "\n" + self.pad(inner) + ".await"
                case ast.Try():
                    text += "?"
                case ast.Field(name=n, optional=opt):
                    text += ("?." if opt else ".") + n.name
                case ast.TupleIndex(index=i):
                    text += f".{i}"
                case ast.Index(index=i):
                    text += f"[{self.expr(i, inner, 0)}]"
                case ast.Call(type_args=ta, args=a):
                    text += self.type_args(ta, inner) + self.args(a, inner, inner)
        return text

    # ------------------------------------------------------------ control flow

    def simple_block(self, b: ast.Block, ind: int) -> str | None:
        """`{ tail }` on one line, for a block holding only a short flat tail."""
        if b.stmts or b.tail is None or isinstance(b.tail, _BLOCK_LIKE):
            return None
        if self.comments is not None and self.comments.any_in(b.span.start, b.span.end):
            return None
        tail = self.expr(b.tail, ind, 0)
        return None if "\n" in tail else "{ " + tail + " }"

    def if_(self, e: ast.If, ind: int, col: int) -> str:
        flat = self._if_flat(e, ind)
        if flat is not None and self.fits(col, flat):
            return flat
        text = f"if {self.expr(e.condition, ind, col + 3)} " + self.block(e.then, ind)
        if isinstance(e.else_, ast.If):
            text += " else " + self.if_(e.else_, ind, ind)
        elif e.else_ is not None:
            text += " else " + self.block(e.else_, ind)
        return text

    def _if_flat(self, e: ast.If, ind: int) -> str | None:
        if e.else_ is None:
            return None
        then = self.simple_block(e.then, ind)
        if then is None:
            return None
        cond = self.expr(e.condition, ind, 0)
        if isinstance(e.else_, ast.If):
            rest = self._if_flat(e.else_, ind)
        else:
            rest = self.simple_block(e.else_, ind)
        return None if rest is None else f"if {cond} {then} else {rest}"

    def match(self, e: ast.Match, ind: int, col: int) -> str:
        head = "match " + self.expr(e.scrutinee, ind, col + 6) + " {"
        if not e.arms:
            return head + "}"
        inner = ind + 4
        lines = [head]
        cursor = e.scrutinee.span.end
        for arm in e.arms:
            lines.extend(self.leading_comments(cursor, arm.span.start, inner))
            text = self.attr_prefix(arm.attributes, inner) + self.pattern(arm.pattern, inner, inner)
            if arm.guard is not None:
                text += f" {arm.guard_keyword} " + self.expr(arm.guard, inner, inner + len(text))
            body = self.expr(arm.body, inner, inner + len(text) + 4)
            lines.append(self.pad(inner) + text + " => " + body + ("," if arm.comma else ""))
            cursor = arm.span.end
        lines.extend(self.leading_comments(cursor, e.span.end, inner))
        lines.append(self.pad(ind) + "}")
        return "\n".join(lines)

    def closure(self, e: ast.Closure, ind: int, col: int) -> str:
        params = []
        for p in e.params:
            text = self.pattern(p.pattern, ind, 0)
            if p.type is not None:
                text += ": " + self.type_(p.type, ind, 0)
            params.append(text)
        head = ("async " if e.is_async else "") + ("move " if e.is_move else "")
        head += "|" + ", ".join(params) + "|"
        if e.ret is not None:
            head += " -> " + self.type_(e.ret, ind, 0)
        if isinstance(e.body, ast.Block):
            short = self.simple_block(e.body, ind)
            if short is not None and self.fits(col, head + " " + short):
                return head + " " + short
        return head + " " + self.expr(e.body, ind, col + len(head) + 1)

