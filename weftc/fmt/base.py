"""Shared layout state and helpers of the formatter's parts.

The formatter is one class assembled from mixins (types and patterns,
expressions and statements, items). Each method returns the text of one
node; `col` is the column at which that text starts, used only to decide
whether a flat rendering fits in `WIDTH` or a list must break one element
per line. Layout depends only on the tree (and comments), so formatting is
idempotent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from weftc.fmt.comments import Comment, CommentQueue
from weftc.syntax import ast

WIDTH = 100
INDENT = "    "


class FormatterBase(ABC):
    """The methods each mixin provides are declared abstract here so that
    every mixin can call the others' methods with full types."""

    def __init__(self, comments: CommentQueue | None) -> None:
        self.comments = comments

    # ------------------------------------------------------------ parts the mixins provide

    @abstractmethod
    def expr(self, e: ast.Expr, ind: int, col: int) -> str:
        ...

    @abstractmethod
    def type_(self, t: ast.TypeExpr, ind: int, col: int) -> str:
        ...

    @abstractmethod
    def pattern(self, p: ast.Pattern, ind: int, col: int) -> str:
        ...

    @abstractmethod
    def block(self, b: ast.Block, ind: int) -> str:
        ...

    @abstractmethod
    def item(self, it: ast.Item, ind: int) -> str:
        ...

    @abstractmethod
    def sequence(self, elems: list[ast.Node], start: int, end: int, ind: int,
                 blank_before: Sequence[bool] | None = None,
                 texts: Sequence[str] | None = None) -> list[str]:
        ...

    @abstractmethod
    def path(self, p: ast.Path) -> str:
        ...

    @abstractmethod
    def field_decl(self, f: ast.FieldDecl, ind: int, attributes: bool = True) -> str:
        ...

    @abstractmethod
    def attr_lines(self, attrs: tuple[ast.Attribute, ...], ind: int) -> str:
        ...

    @abstractmethod
    def attr_prefix(self, attrs: tuple[ast.Attribute, ...], ind: int) -> str:
        ...

    @abstractmethod
    def visibility(self, v: ast.Visibility | None) -> str:
        ...

    @abstractmethod
    def generics(self, gs: tuple[ast.GenericParam, ...], ind: int) -> str:
        ...

    @abstractmethod
    def bounds(self, bs: tuple[ast.TypeExpr, ...], ind: int) -> str:
        ...

    @abstractmethod
    def where_clause(self, preds: tuple[ast.WherePredicate, ...], ind: int) -> str:
        ...

    @abstractmethod
    def using(self, u: ast.UsingClause, ind: int) -> str:
        ...

    @abstractmethod
    def using_entry(self, u: ast.UsingEntry, ind: int) -> str:
        ...

    @abstractmethod
    def record_body(self, fs: tuple[ast.FieldDecl, ...], ind: int) -> str:
        ...

    # ------------------------------------------------------------ layout helpers

    @staticmethod
    def fits(col: int, text: str) -> bool:
        return "\n" not in text and col + len(text) <= WIDTH

    @staticmethod
    def pad(ind: int) -> str:
        return " " * ind

    def delimited(self, open_: str, parts: Sequence[str], close: str, ind: int, col: int,
                  broken: Sequence[str] | None = None, force_break: bool = False) -> str:
        """`open a, b close` flat when it fits, else one element per line with a trailing comma.

        `parts` are the flat renderings; `broken` (same length) the renderings to
        use one per line at `ind + 4` (defaults to `parts`).
        """
        flat = open_ + ", ".join(parts) + close
        if not parts or (not force_break and self.fits(col, flat)):
            return flat
        inner = self.pad(ind + 4)
        rows = broken if broken is not None else parts
        body = "".join(f"{inner}{r},\n" for r in rows)
        return f"{open_}\n{body}{self.pad(ind)}{close}"

    # ------------------------------------------------------------ comments

    def comment_lines(self, found: list[Comment], ind: int) -> list[str]:
        return [self.pad(ind) + c.text for c in found]

    def leading_comments(self, start: int, end: int, ind: int) -> list[str]:
        if self.comments is None:
            return []
        return self.comment_lines(self.comments.take(start, end), ind)
