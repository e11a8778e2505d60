"""The canonical formatter: `weftc fmt`.

`format_module(module, source)` prints a parsed module as canonical Verum:
4-space indentation, items separated by one blank line (runs of one-line
mounts, consts and type aliases stay together), one statement per line,
lists broken one element per line with trailing commas when they do not fit
in 100 columns, normalised spacing around operators and punctuation.

What it keeps: everything the AST records, including the spellings it
remembers (literal text, `pub` vs `public`, a sum type's leading `|`, match
arm commas, `;` after block-like statements, refinement forms). With
`source` given it also keeps comments that stand between items, between
statements, or between match arms (a comment on the line where the previous
one ends stays there), and at most one blank line between statements.

What it drops: comments inside an expression, signature or type (e.g. in an
argument list); blank lines between items beyond the canonical ones;
alignment and line breaks chosen by hand. Parsing the output gives the same
AST up to spans: `parse(format_module(parse(x))) == parse(x)`.
"""

from __future__ import annotations

from typing import final

from weftc.fmt.comments import CommentQueue
from weftc.fmt.exprs import ExprsMixin
from weftc.fmt.items import ItemsMixin
from weftc.fmt.stmts import StmtsMixin
from weftc.fmt.types import TypesMixin
from weftc.source import SourceFile
from weftc.syntax import ast

__all__ = ["format_module"]


@final
class Formatter(ItemsMixin, StmtsMixin, ExprsMixin, TypesMixin):
    """All formatting rules; one instance per file (it holds the file's comments)."""


def format_module(module: ast.Module, source: SourceFile | None = None) -> str:
    """Canonical text of `module`; pass its `source` to keep comments."""
    queue = CommentQueue(source.text) if source is not None else None
    end = len(source.text) if source is not None else 0
    lines = Formatter(queue).items(module.items, 0, end, 0)
    text = "\n".join(lines).rstrip("\n")
    return text + "\n" if text else ""
