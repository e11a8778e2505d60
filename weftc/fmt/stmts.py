"""Formatting of blocks and statements, with the comments between statements.

A block is always printed over several lines (`{}` when empty); statements
keep the source's blank lines (at most one) when the source is known.
"""

from __future__ import annotations

from collections.abc import Sequence

from weftc.fmt.base import FormatterBase
from weftc.syntax import ast


class StmtsMixin(FormatterBase):
    def stmt(self, s: ast.Stmt, ind: int) -> str:
        """One statement; its first line is not indented (the caller places it)."""
        match s:
            case ast.LetStmt(pattern=p, type=t, value=v, else_block=eb):
                text = "let " + self.pattern(p, ind, ind + 4)
                if t is not None:
                    text += ": " + self.type_(t, ind, ind + len(text) + 2)
                if v is not None:
                    text += " = " + self.expr(v, ind, ind + len(text) + 3)
                if eb is not None:
                    text += " else " + self.block(eb, ind)
                return text + ";"
            case ast.ExprStmt(expr=x, semicolon=semi):
                return self.expr(x, ind, ind) + (";" if semi else "")
            case ast.ProvideStmt(bindings=bs, body=body, form=form):
                text = "provide " + ", ".join(
                    f"{self.type_(b.context, ind, 0)} = {self.expr(b.value, ind, ind)}" for b in bs)
                if body is None:
                    return text + ";"
                return text + (" in " if form == "in" else " ") + self.block(body, ind)
            case ast.ItemStmt(item=it):
                return self.item(it, ind)[ind:]
        raise TypeError(f"cannot format statement node {type(s).__name__}")

    def block(self, b: ast.Block, ind: int) -> str:
        elems: list[ast.Node] = list(b.stmts)
        if b.tail is not None:
            elems.append(b.tail)
        lines = self.sequence(elems, b.span.start + 1, b.span.end - 1, ind + 4)
        if not lines:
            return "{}"
        return "{\n" + "\n".join(lines) + "\n" + self.pad(ind) + "}"

    def element(self, node: ast.Node, ind: int) -> str:
        if isinstance(node, ast.Stmt):
            return self.pad(ind) + self.stmt(node, ind)
        if isinstance(node, ast.Item):
            return self.item(node, ind)
        assert isinstance(node, ast.Expr)
        return self.pad(ind) + self.expr(node, ind, ind)

    def sequence(self, elems: list[ast.Node], start: int, end: int, ind: int,
                 blank_before: Sequence[bool] | None = None,
                 texts: Sequence[str] | None = None) -> list[str]:
        """Lines of `elems` at indentation `ind`, with the comments around them.

        A comment that starts on the line where the previous element ends stays
        at the end of that line; other comments go on their own lines before
        the next element. `blank_before[k]` forces an empty line before element
        k (items); otherwise the source's blank lines are kept. `texts` are the
        elements' renderings when the caller already has them.
        """
        lines: list[str] = []
        cursor = start
        prev_end: int | None = None
        for k, node in enumerate(elems):
            forced = k > 0 and blank_before is not None and blank_before[k]
            anchor, own = self._emit_comments(lines, cursor, node.span.start, prev_end, ind, forced)
            if self._blank(anchor, node.span.start) or (forced and not own):
                self._blank_line(lines)
            text = texts[k] if texts is not None else self.element(node, ind)
            lines.extend(text.split("\n"))
            cursor = prev_end = node.span.end
        self._emit_comments(lines, cursor, max(cursor, end), prev_end, ind, False)
        return lines

    def _blank(self, anchor: int | None, start: int) -> bool:
        return anchor is not None and self.comments is not None \
            and self.comments.blank_line_between(anchor, start)

    @staticmethod
    def _blank_line(lines: list[str]) -> None:
        if lines and lines[-1] != "":
            lines.append("")

    def _emit_comments(self, lines: list[str], start: int, end: int, prev_end: int | None,
                       ind: int, forced: bool) -> tuple[int | None, bool]:
        """Append the comments in [start, end).

        Returns the offset the next text follows and whether a comment was put
        on a line of its own.
        """
        q = self.comments
        if q is None:
            return prev_end, False
        found = q.take(start, end)
        anchor = prev_end
        if prev_end is not None and found and not found[0].block \
                and q.same_line(prev_end, found[0].start):
            first = found.pop(0)
            lines[-1] += " " + first.text
            anchor = first.end
        for n, c in enumerate(found):
            if self._blank(anchor, c.start) or (forced and n == 0):
                self._blank_line(lines)
            lines.append(self.pad(ind) + c.text)
            anchor = c.end
        return anchor, bool(found)
