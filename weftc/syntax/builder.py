"""The tree builder: one lark callback per grammar rule/alias, run during the LALR parse.

Callbacks receive the rule's kept children: AST nodes, lark Tokens (named
terminals are kept so spans can reach the first and last token), small
internal helper records (`_Args`, `_Guard`, ...) and None for absent optional
parts. A node's span runs from its first to its last positioned child.

Binary operators arrive as a flat `operand op operand ...` list and are folded
here by precedence climbing over `_PRECEDENCE` (the table of the language
reference, high number = binds tighter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from lark import Token, Transformer

from weftc.source import Span
from weftc.syntax import ast
from weftc.syntax.frozen import fast_init, maker
from weftc.syntax.literals import decode_escapes, decode_number, raw_body, split_fstring
from weftc.syntax.postlex import ParseContext

# op -> (precedence, right associative)
_PRECEDENCE: dict[str, tuple[int, bool]] = {
    "**": (13, True),
    "*": (12, False), "/": (12, False), "%": (12, False),
    "+": (11, False), "-": (11, False),
    "<<": (10, False), ">>": (10, False),
    "&": (9, False), "|": (9, False), "^": (9, False),
    "<": (8, False), "<=": (8, False), ">": (8, False), ">=": (8, False),
    "==": (7, False), "!=": (7, False),
    "&&": (6, False),
    "||": (5, False),
    "..": (4, False), "..=": (4, False),
    "??": (3, False),
    "=": (2, True), "+=": (2, True), "-=": (2, True), "*=": (2, True), "/=": (2, True),
    "%=": (2, True), "&=": (2, True), "|=": (2, True), "^=": (2, True), "<<=": (2, True),
    ">>=": (2, True),
    "|>": (1, False),
}
_IS_PRECEDENCE = 8
_ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="})

ExprParser = Callable[[ParseContext, str, int], "ast.Expr | None"]


class BuildError(Exception):
    """A syntax error found while building (shape the grammar cannot express)."""

    def __init__(self, code: str, message: str, span: Span) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.span = span


@fast_init
@dataclass(frozen=True, slots=True)
class _Args:
    span: Span
    args: tuple[ast.Expr, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class _Implicit:
    span: Span
    op: Token


@fast_init
@dataclass(frozen=True, slots=True)
class _IsTest:
    span: Span
    pattern: ast.Pattern
    negated: bool


@fast_init
@dataclass(frozen=True, slots=True)
class _Guard:
    span: Span
    keyword: str
    expr: ast.Expr


@fast_init
@dataclass(frozen=True, slots=True)
class _RecordBase:
    span: Span
    expr: ast.Expr


@fast_init
@dataclass(frozen=True, slots=True)
class _Generics:
    span: Span
    params: tuple[ast.GenericParam, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class _Throws:
    span: Span
    types: tuple[ast.TypeExpr, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class _Where:
    span: Span
    preds: tuple[ast.WherePredicate, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class _Scope:
    span: Span
    scope: str
    path: ast.Path | None


@fast_init
@dataclass(frozen=True, slots=True)
class _RefineBody:
    span: Span
    binder: ast.Ident | None
    parts: tuple[ast.Expr, ...]


_Kids = list[Any]

# `Span(...)` without its dataclass `__init__` (see `weftc.syntax.frozen`)
_span: Callable[[str, int, int, int, int, int, int], Span] = maker(Span)


def _join(a: Span, b: Span) -> Span:
    """`a.to(b)`, built the cheaper way."""
    return _span(a.file, a.start, b.end, a.line, a.column, b.end_line, b.end_column)


def _tokens(c: _Kids) -> list[Token]:
    return [x for x in c if isinstance(x, Token)]


def _of(c: _Kids, kind: type[Any]) -> list[Any]:
    return [x for x in c if isinstance(x, kind)]


def _has(c: _Kids, ttype: str) -> bool:
    return any(isinstance(x, Token) and x.type == ttype for x in c)


def _after(c: _Kids, ttype: str) -> Any:
    """The first non-None child after the first token of type `ttype` (None if absent)."""
    seen = False
    for x in c:
        if seen and x is not None:
            return x
        if isinstance(x, Token) and x.type == ttype:
            seen = True
    return None


class AstBuilder(Transformer):  # type: ignore[type-arg]  # lark seam: callbacks get raw children
    """Builds `weftc.syntax.ast` nodes; `contexts[-1]` is the parse in progress."""

    def __init__(self, contexts: list[ParseContext], parse_expr: ExprParser | None = None) -> None:
        super().__init__(visit_tokens=False)
        self.contexts = contexts
        self.parse_expr = parse_expr

    # ------------------------------------------------------------ spans

    def tspan(self, t: Token) -> Span:
        c = self.contexts[-1]
        # lark types positions as optional; tokens from the lexer always have them.
        start: int = t.start_pos  # type: ignore[assignment]
        end: int = t.end_pos  # type: ignore[assignment]
        line: int = t.line  # type: ignore[assignment]
        col: int = t.column  # type: ignore[assignment]
        end_line: int = t.end_line  # type: ignore[assignment]
        end_col: int = t.end_column  # type: ignore[assignment]
        if c.at_origin:
            return _span(c.source.name, start, end, line, col, end_line, end_col)
        dc = c.base_col - 1
        return _span(c.source.name, start + c.base, end + c.base,
                     line + c.base_line - 1, col + (dc if line == 1 else 0),
                     end_line + c.base_line - 1, end_col + (dc if end_line == 1 else 0))

    def _sp(self, x: Any) -> Span:
        return self.tspan(x) if x.__class__ is Token else cast(Span, x.span)

    def span(self, c: Sequence[Any]) -> Span:
        """From the first to the last positioned child, without an interim span per end."""
        # plain loops: this runs once per node, generator set-up would dominate
        for first in c:
            if first is not None:
                break
        for last in reversed(c):
            if last is not None:
                break
        if first is last:
            return self.tspan(first) if first.__class__ is Token else cast(Span, first.span)
        if first.__class__ is Token or last.__class__ is Token:
            ctx = self.contexts[-1]
            if not ctx.at_origin:
                a = self._sp(first)
                b = self._sp(last)
                return _span(a.file, a.start, b.end, a.line, a.column, b.end_line, b.end_column)
            # Any: lark types token positions as optional; lexed tokens always have them
            head: Any = first
            tail: Any = last
            if first.__class__ is Token:
                file = ctx.source.name
                start, line, col = head.start_pos, head.line, head.column
            else:
                a = head.span
                file, start, line, col = a.file, a.start, a.line, a.column
            if last.__class__ is Token:
                return _span(file, start, tail.end_pos, line, col, tail.end_line, tail.end_column)
            b = tail.span
            return _span(file, start, b.end, line, col, b.end_line, b.end_column)
        a = first.span
        b = last.span
        return _span(a.file, a.start, b.end, a.line, a.column, b.end_line, b.end_column)

    def ident(self, t: Token) -> ast.Ident:
        return ast.Ident(self.tspan(t), t.value)

    # ------------------------------------------------------------ items

    def module(self, c: _Kids) -> ast.Module:
        ctx = self.contexts[-1]
        end = ctx.base + len(ctx.text)
        lines = ctx.text.count("\n")
        last_nl = ctx.text.rfind("\n")
        end_col = len(ctx.text) - last_nl if last_nl >= 0 else len(ctx.text) + ctx.base_col
        span = _span(ctx.source.name, ctx.base, end, ctx.base_line, ctx.base_col,
                    ctx.base_line + lines, end_col)
        return ast.Module(span, tuple(x for x in c if isinstance(x, ast.Item)))

    def attribute(self, c: _Kids) -> ast.Attribute:
        args: tuple[ast.AttrArg, ...] | None = None
        if _has(c, "ATTR_LPAR"):
            out = []
            for e in _of(c, ast.Expr):
                if isinstance(e, ast.Assign) and e.op == "=" and isinstance(e.target, ast.Name):
                    key = ast.Ident(e.target.span, e.target.name)
                    out.append(ast.AttrArg(e.span, key, e.value))
                else:
                    out.append(ast.AttrArg(e.span, None, e))
            args = tuple(out)
        return ast.Attribute(self.span(c), self.ident(c[1]), args)

    def visibility(self, c: _Kids) -> ast.Visibility:
        scope = next((x for x in c if isinstance(x, _Scope)), None)
        return ast.Visibility(self.span(c), str(c[0].value),
                              scope.scope if scope else None, scope.path if scope else None)

    def vis_scope(self, c: _Kids) -> _Scope:
        path = next((x for x in c if isinstance(x, ast.Path)), None)
        return _Scope(self.span(c), "in" if path is not None else str(c[0].value), path)

    def path(self, c: _Kids) -> ast.Path:
        return ast.Path(self.span(c), tuple(self.ident(t) for t in c if t.type == "IDENT"))

    pat_path = path

    def _mount(self, c: _Kids, kind: str) -> ast.MountTree:
        relative = isinstance(c[0], Token) and c[0].type == "DOT"
        names: list[ast.Ident] = []
        alias = None
        for i, x in enumerate(c):
            if isinstance(x, Token) and x.type == "IDENT":
                if i > 0 and isinstance(c[i - 1], Token) and c[i - 1].type == "AS":
                    alias = self.ident(x)
                else:
                    names.append(self.ident(x))
            elif isinstance(x, Token) and x.type in ("STAR", "LBRACE", "AS"):
                if x.type != "AS":
                    break
        children = tuple(_of(c, ast.MountTree))
        return ast.MountTree(self.span(c), tuple(names), kind, alias, children, relative)

    def mount_single(self, c: _Kids) -> ast.MountTree:
        return self._mount(c, "single")

    def mount_alias(self, c: _Kids) -> ast.MountTree:
        return self._mount(c, "single")

    def mount_glob(self, c: _Kids) -> ast.MountTree:
        return self._mount(c, "glob")

    def mount_group(self, c: _Kids) -> ast.MountTree:
        return self._mount(c, "group")

    def mount_decl(self, c: _Kids) -> ast.Mount:
        return ast.Mount(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                         next(x for x in c if isinstance(x, ast.MountTree)))

    @staticmethod
    def _vis(c: _Kids) -> ast.Visibility | None:
        return next((x for x in c if isinstance(x, ast.Visibility)), None)

    def module_decl(self, c: _Kids) -> ast.ModuleDecl:
        last = c[-1]
        items = None if isinstance(last, Token) and last.type == "SEMICOLON" else tuple(_of(c, ast.Item))
        return ast.ModuleDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                              next(x for x in c if isinstance(x, ast.Path)), items)

    def fn_decl(self, c: _Kids) -> ast.FnDecl:
        attrs: list[ast.Attribute] = []
        mods: list[str] = []
        name: ast.Ident | None = None
        generics: tuple[ast.GenericParam, ...] = ()
        params: list[ast.Param | ast.SelfParam] = []
        throws = None
        ret = None
        contracts: list[ast.Contract] = []
        using = None
        using_before = False
        where: tuple[ast.WherePredicate, ...] = ()
        body: ast.Expr | None = None
        expr_body = False
        seen_arrow = False
        seen_equal = False
        seen_fn = False
        for x in c:
            if x is None:
                continue
            if isinstance(x, Token):
                tt = x.type
                if tt == "FN":
                    seen_fn = True
                elif tt == "IDENT" and seen_fn and name is None:
                    name = self.ident(x)
                elif tt in ("PURE", "ASYNC", "UNSAFE") and not seen_fn:
                    mods.append(str(x.value))
                elif tt == "ARROW":
                    seen_arrow = True
                elif tt == "EQUAL":
                    seen_equal = True
                    expr_body = True
            elif isinstance(x, ast.Attribute):
                attrs.append(x)
            elif isinstance(x, (ast.Param, ast.SelfParam)):
                params.append(x)
            elif isinstance(x, _Generics):
                generics = x.params
            elif isinstance(x, _Throws):
                throws = x.types
            elif isinstance(x, ast.UsingClause):
                if using is not None:
                    raise BuildError("E0001", "only one `using` clause is allowed per function", x.span)
                using = x
                using_before = not seen_arrow and _has(c, "ARROW")
            elif isinstance(x, ast.TypeExpr):
                ret = x
            elif isinstance(x, ast.Contract):
                contracts.append(x)
            elif isinstance(x, _Where):
                where = x.preds
            elif isinstance(x, ast.Expr):
                body = x
        assert name is not None
        del seen_equal
        return ast.FnDecl(self.span(c), tuple(attrs), self._vis(c), tuple(mods), name, generics,
                          tuple(params), throws, ret, tuple(contracts), using, where, body,
                          expr_body, using_before)

    def param(self, c: _Kids) -> ast.Param:
        pattern = next(x for x in c if isinstance(x, ast.Pattern))
        typ = next(x for x in c if isinstance(x, ast.TypeExpr))
        default = _after(c, "EQUAL")
        return ast.Param(self.span(c), tuple(_of(c, ast.Attribute)), pattern, typ, default)

    def self_param(self, c: _Kids) -> ast.SelfParam:
        return ast.SelfParam(self.span(c), _has(c, "AMP"), _has(c, "MUT"))

    def throws(self, c: _Kids) -> _Throws:
        return _Throws(self.span(c), tuple(_of(c, ast.TypeExpr)))

    def contract(self, c: _Kids) -> ast.Contract:
        return ast.Contract(self.span(c), str(c[0].value), tuple(_of(c, ast.Expr)))

    def using_clause(self, c: _Kids) -> ast.UsingClause:
        return ast.UsingClause(self.span(c), tuple(_of(c, ast.UsingEntry)), _has(c, "LSQB"))

    def _using_entry(self, c: _Kids, name: ast.Ident | None) -> ast.UsingEntry:
        ctx_type = next(x for x in c if isinstance(x, ast.TypeExpr))
        alias_tok = _after(c, "AS")
        return ast.UsingEntry(self.span(c), ctx_type, _has(c, "BANG"),
                              self.ident(alias_tok) if alias_tok is not None else None, name,
                              _after(c, "IF"))

    def using_entry(self, c: _Kids) -> ast.UsingEntry:
        return self._using_entry(c, None)

    def using_entry_named(self, c: _Kids) -> ast.UsingEntry:
        return self._using_entry(c, self.ident(c[0]))

    def where_clause(self, c: _Kids) -> _Where:
        return _Where(self.span(c), tuple(_of(c, ast.WherePredicate)))

    def where_pred(self, c: _Kids) -> ast.WherePredicate:
        types = _of(c, ast.TypeExpr)
        return ast.WherePredicate(self.span(c), types[0], tuple(types[1:]))

    def generic_params(self, c: _Kids) -> _Generics:
        return _Generics(self.span(c), tuple(_of(c, ast.GenericParam)))

    def generic_param(self, c: _Kids) -> ast.GenericParam:
        bounds: list[ast.TypeExpr] = []
        default = None
        in_default = False
        for x in c:
            if isinstance(x, Token) and x.type == "EQUAL":
                in_default = True
            elif isinstance(x, ast.TypeExpr):
                if in_default:
                    default = x
                else:
                    bounds.append(x)
        return ast.GenericParam(self.span(c), self.ident(c[0]), tuple(bounds), default, "type")

    def lifetime_param(self, c: _Kids) -> ast.GenericParam:
        return ast.GenericParam(self.span(c), self.ident(c[0]), tuple(_of(c, ast.TypeExpr)), None,
                                "lifetime")

    def type_decl(self, c: _Kids) -> ast.TypeDecl:
        gen = next((x for x in c if isinstance(x, _Generics)), None)
        return ast.TypeDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                            self.ident(_after(c, "TYPE")), gen.params if gen else (),
                            next(x for x in c if isinstance(x, ast.TypeExpr)))

    def refined_where(self, c: _Kids) -> ast.RefinedType:
        base = c[0]
        pred = c[2]
        span = self.span(c)
        if (isinstance(pred, ast.Closure) and len(pred.params) == 1 and pred.ret is None
                and isinstance(pred.params[0].pattern, ast.IdentPat)):
            body = pred.body
            braced = False
            if isinstance(body, ast.Block) and not body.stmts and body.tail is not None:
                body, braced = body.tail, True
            return ast.RefinedType(span, base, pred.params[0].pattern.name, body,
                                   ast.RefinementForm.LAMBDA, (body,), braced)
        if _is_named_predicate(pred):
            return ast.RefinedType(span, base, None, pred, ast.RefinementForm.NAMED, (pred,))
        return ast.RefinedType(span, base, None, pred, ast.RefinementForm.WHERE, (pred,))

    def sigma_type(self, c: _Kids) -> ast.RefinedType:
        base = next(x for x in c if isinstance(x, ast.TypeExpr))
        pred = _after(c, "WHERE")
        return ast.RefinedType(self.span(c), base, self.ident(c[0]), pred,
                               ast.RefinementForm.SIGMA, (pred,))

    def sum_type(self, c: _Kids) -> ast.SumType:
        leading = isinstance(c[0], Token) and c[0].type == "PIPE"
        return ast.SumType(self.span(c), tuple(_of(c, ast.Variant)), leading)

    def variant(self, c: _Kids) -> ast.Variant:
        return ast.Variant(self.span(c), tuple(_of(c, ast.Attribute)),
                           self.ident(next(x for x in c if isinstance(x, Token))))

    def variant_tuple(self, c: _Kids) -> ast.Variant:
        return ast.Variant(self.span(c), tuple(_of(c, ast.Attribute)),
                           self.ident(next(x for x in c if isinstance(x, Token))),
                           tuple(_of(c, ast.TypeExpr)))

    def variant_record(self, c: _Kids) -> ast.Variant:
        return ast.Variant(self.span(c), tuple(_of(c, ast.Attribute)),
                           self.ident(next(x for x in c if isinstance(x, Token))),
                           None, tuple(_of(c, ast.FieldDecl)))

    def field_decl(self, c: _Kids) -> ast.FieldDecl:
        name = next(x for x in c if isinstance(x, Token) and x.type == "IDENT")
        return ast.FieldDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                             self.ident(name), next(x for x in c if isinstance(x, ast.TypeExpr)),
                             _after(c, "EQUAL"))

    def assoc_type(self, c: _Kids) -> ast.AssocTypeDecl:
        default = _after(c, "EQUAL")
        bounds = tuple(x for x in _of(c, ast.TypeExpr) if x is not default)
        return ast.AssocTypeDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                                 self.ident(_after(c, "TYPE")), bounds, default)

    def _protocol(self, c: _Kids, form: str) -> ast.ProtocolDecl:
        name = next(x for x in c if isinstance(x, Token) and x.type == "IDENT")
        gen = next((x for x in c if isinstance(x, _Generics)), None)
        return ast.ProtocolDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                                self.ident(name), gen.params if gen else (),
                                tuple(_of(c, ast.TypeExpr)), tuple(_of(c, ast.Item)), form)

    def protocol_type_decl(self, c: _Kids) -> ast.ProtocolDecl:
        return self._protocol(c, "type")

    def protocol_decl(self, c: _Kids) -> ast.ProtocolDecl:
        return self._protocol(c, "bare")

    def context_protocol_decl(self, c: _Kids) -> ast.ProtocolDecl:
        return self._protocol(c, "context")

    def context_decl(self, c: _Kids) -> ast.ContextDecl:
        name = next(x for x in c if isinstance(x, Token) and x.type == "IDENT")
        gen = next((x for x in c if isinstance(x, _Generics)), None)
        return ast.ContextDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                               self.ident(name), gen.params if gen else (),
                               tuple(_of(c, ast.Item)), _has(c, "ASYNC"))

    def implement_block(self, c: _Kids) -> ast.ImplementBlock:
        gen = next((x for x in c if isinstance(x, _Generics)), None)
        where = next((x for x in c if isinstance(x, _Where)), None)
        types = _of(c, ast.TypeExpr)
        proto, target = (types[0], types[1]) if _has(c, "FOR") else (None, types[0])
        return ast.ImplementBlock(self.span(c), tuple(_of(c, ast.Attribute)),
                                  gen.params if gen else (), proto, target,
                                  where.preds if where else (), tuple(_of(c, ast.Item)))

    def const_decl(self, c: _Kids) -> ast.ConstDecl:
        return ast.ConstDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                             self.ident(_after(c, "CONST")), _after(c, "COLON"), _after(c, "EQUAL"))

    def static_decl(self, c: _Kids) -> ast.StaticDecl:
        name = next(x for x in c if isinstance(x, Token) and x.type == "IDENT")
        return ast.StaticDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                              _has(c, "MUT"), self.ident(name), _after(c, "COLON"), _after(c, "EQUAL"))

    def using_group(self, c: _Kids) -> ast.ContextGroupDecl:
        return ast.ContextGroupDecl(self.span(c), tuple(_of(c, ast.Attribute)), self._vis(c),
                                    self.ident(_after(c, "USING")), tuple(_of(c, ast.UsingEntry)))

    # ------------------------------------------------------------ types

    def path_type(self, c: _Kids) -> ast.TypeExpr:
        if len(c) == 4 and c[1] is None:
            # a lone name (the `[<...>]` part absent): the three nodes share one span
            span = self.tspan(c[0])
            if c[0].value == "_":
                return ast.InferType(span)
            return ast.PathType(span, ast.Path(span, (ast.Ident(span, c[0].value),)), ())
        idents = [x for x in c if isinstance(x, Token) and x.type == "IDENT"]
        args = tuple(_of(c, ast.TypeExpr))
        span = self.span(c)
        if len(idents) == 1 and idents[0].value == "_" and not args and not _has(c, "LT"):
            return ast.InferType(span)
        path = ast.Path(self.span(idents), tuple(self.ident(t) for t in idents))
        return ast.PathType(span, path, args)

    def refined_inline(self, c: _Kids) -> ast.RefinedType:
        body: _RefineBody = c[2]
        pred = body.parts[0]
        for p in body.parts[1:]:
            pred = ast.Binary(_join(pred.span, p.span), "&&", pred, p)
        return ast.RefinedType(self.span(c), c[0], body.binder, pred, ast.RefinementForm.INLINE,
                               body.parts)

    def refine_body(self, c: _Kids) -> _RefineBody:
        return _RefineBody(self.span(c), None, tuple(_of(c, ast.Expr)))

    def refine_body_named(self, c: _Kids) -> _RefineBody:
        return _RefineBody(self.span(c), self.ident(c[0]), tuple(_of(c, ast.Expr)))

    def implicit_cmp(self, c: _Kids) -> _Implicit:
        return _Implicit(self.tspan(c[0]), c[0])

    def refine_pred(self, c: _Kids) -> ast.Expr:
        items: list[Any] = []
        for x in c:
            if isinstance(x, _Implicit):
                items.append(ast.ImplicitSubject(x.span))
                items.append(x.op)
            elif x is not None:
                items.append(x)
        return self._climb(items) if len(items) > 1 else cast(ast.Expr, items[0])

    def unit_type(self, c: _Kids) -> ast.TupleType:
        return ast.TupleType(self.span(c), ())

    def paren_type(self, c: _Kids) -> ast.TypeExpr:
        return cast(ast.TypeExpr, c[1])

    def tuple_type(self, c: _Kids) -> ast.TupleType:
        return ast.TupleType(self.span(c), tuple(_of(c, ast.TypeExpr)))

    def array_type(self, c: _Kids) -> ast.ArrayType:
        return ast.ArrayType(self.span(c), c[1], c[3])

    def slice_type(self, c: _Kids) -> ast.SliceType:
        return ast.SliceType(self.span(c), c[1])

    def ref_type(self, c: _Kids) -> ast.RefType:
        return ast.RefType(self.span(c), _has(c, "MUT"), c[-1])

    def fn_type(self, c: _Kids) -> ast.FnType:
        params: list[ast.TypeExpr] = []
        ret = None
        after_rpar = False
        for x in c:
            if isinstance(x, Token) and x.type == "RPAR":
                after_rpar = True
            elif isinstance(x, ast.TypeExpr):
                if after_rpar:
                    ret = x
                else:
                    params.append(x)
        using = next((x for x in c if isinstance(x, ast.UsingClause)), None)
        return ast.FnType(self.span(c), _has(c, "ASYNC"), tuple(params), ret, using)

    def impl_type(self, c: _Kids) -> ast.ImplType:
        return ast.ImplType(self.span(c), tuple(_of(c, ast.TypeExpr)))

    def dyn_type(self, c: _Kids) -> ast.DynType:
        return ast.DynType(self.span(c), tuple(_of(c, ast.TypeExpr)))

    def never_type(self, c: _Kids) -> ast.NeverType:
        return ast.NeverType(self.span(c))

    def lifetime_type(self, c: _Kids) -> ast.LifetimeType:
        return ast.LifetimeType(self.span(c), str(c[0].value))

    def record_type(self, c: _Kids) -> ast.RecordType:
        return ast.RecordType(self.span(c), tuple(_of(c, ast.FieldDecl)))

    # ------------------------------------------------------------ statements

    def block(self, c: _Kids) -> ast.Block:
        stmts: list[ast.Stmt] = []
        tail: ast.Expr | None = None
        for x in c[1:-1]:
            if x is None:
                continue
            if isinstance(x, ast.Stmt):
                stmts.append(x)
            elif isinstance(x, ast.Item):
                stmts.append(ast.ItemStmt(x.span, x))
            else:
                tail = x
        if tail is None and stmts:
            last = stmts[-1]
            if isinstance(last, ast.ExprStmt) and not last.semicolon:
                stmts.pop()
                tail = last.expr
        return ast.Block(self.span(c), tuple(stmts), tail)

    body_block = block

    def let_stmt(self, c: _Kids) -> ast.LetStmt:
        if len(c) == 9:     # LET pattern [COLON type] [EQUAL expr [ELSE block]] SEMICOLON
            return ast.LetStmt(self.span(c), c[1], c[3], c[5], c[7])
        pattern = next(x for x in c if isinstance(x, ast.Pattern))
        return ast.LetStmt(self.span(c), pattern, _after(c, "COLON"), _after(c, "EQUAL"),
                           _after(c, "ELSE"))

    def expr_stmt(self, c: _Kids) -> ast.ExprStmt:
        return ast.ExprStmt(self.span(c), c[0], True)

    def blocklike_stmt(self, c: _Kids) -> ast.ExprStmt:
        return ast.ExprStmt(c[0].span, c[0], False)

    def provide_stmt(self, c: _Kids) -> ast.ProvideStmt:
        return ast.ProvideStmt(self.span(c), tuple(_of(c, ast.ProvideBinding)), None, "scope")

    def provide_in(self, c: _Kids) -> ast.ProvideStmt:
        return ast.ProvideStmt(self.span(c), tuple(_of(c, ast.ProvideBinding)), c[-1], "in")

    def provide_block(self, c: _Kids) -> ast.ProvideStmt:
        return ast.ProvideStmt(self.span(c), tuple(_of(c, ast.ProvideBinding)), c[-1], "block")

    def provide_binding(self, c: _Kids) -> ast.ProvideBinding:
        return ast.ProvideBinding(self.span(c), c[0], c[2])

    # ------------------------------------------------------------ operators

    def binseq(self, c: _Kids) -> ast.Expr:
        if len(c) == 4 and c[3] is None and c[1].__class__ is Token:     # `a op b`
            return _binary(str(c[1].value), c[0], c[2])
        return self._climb([x for x in c if x is not None])

    def _climb(self, items: Sequence[Any]) -> ast.Expr:
        """Fold `operand (op operand | _IsTest)*` by precedence (iterative shunting-yard)."""
        vals: list[ast.Expr] = [items[0]]
        ops: list[tuple[int, bool, Token]] = []

        def reduce() -> None:
            _, _, op = ops.pop()
            right = vals.pop()
            left = vals.pop()
            vals.append(_binary(str(op.value), left, right))

        i = 1
        n = len(items)
        while i < n:
            it = items[i]
            if isinstance(it, _IsTest):
                while ops and ops[-1][0] >= _IS_PRECEDENCE:
                    reduce()
                left = vals.pop()
                vals.append(ast.IsPattern(_join(left.span, it.span), left, it.pattern, it.negated))
                i += 1
                continue
            prec, right_assoc = _PRECEDENCE[str(it.value)]
            while ops and (ops[-1][0] > prec or (ops[-1][0] == prec and not right_assoc)):
                reduce()
            ops.append((prec, right_assoc, it))
            vals.append(items[i + 1])
            i += 2
        while ops:
            reduce()
        return vals[0]

    def is_test(self, c: _Kids) -> _IsTest:
        return _IsTest(self.span(c), c[-1], _has(c, "NOT"))

    def method_ref(self, c: _Kids) -> ast.MethodRef:
        args: _Args = c[-1]
        return ast.MethodRef(self.span(c), self.ident(c[1]), tuple(_of(c, ast.TypeExpr)), args.args)

    def return_expr(self, c: _Kids) -> ast.Return:
        return ast.Return(self.span(c), c[1] if len(c) > 1 else None)

    def break_expr(self, c: _Kids) -> ast.Break:
        return ast.Break(self.span(c), c[1] if len(c) > 1 else None)

    def closure(self, c: _Kids) -> ast.Closure:
        ret = _after(c, "ARROW")
        body = c[-1]
        return ast.Closure(self.span(c), tuple(_of(c, ast.ClosureParam)), ret, body,
                           _has(c, "ASYNC"), _has(c, "MOVE"))

    def closure_param(self, c: _Kids) -> ast.ClosureParam:
        return ast.ClosureParam(self.span(c), c[0], _after(c, "COLON"))

    def unary(self, c: _Kids) -> ast.Unary:
        return ast.Unary(self.span(c), str(c[0].value), c[1])

    def unary_mut(self, c: _Kids) -> ast.Unary:
        return ast.Unary(self.span(c), "&mut", c[2])

    def range_to(self, c: _Kids) -> ast.Range:
        return ast.Range(self.span(c), None, c[1], c[0].type == "DOTDOTEQ")

    def spawn(self, c: _Kids) -> ast.Spawn:
        return ast.Spawn(self.span(c), c[1])

    # ------------------------------------------------------------ postfix

    def field(self, c: _Kids) -> ast.Field:
        return ast.Field(self.span(c), c[0], self.ident(c[2]))

    def opt_field(self, c: _Kids) -> ast.Field:
        return ast.Field(self.span(c), c[0], self.ident(c[2]), True)

    def method_call(self, c: _Kids) -> ast.MethodCall:
        args: _Args = c[-1]
        types = tuple(_of(c[3:], ast.TypeExpr)) if len(c) > 4 else ()
        return ast.MethodCall(self.span(c), c[0], self.ident(c[2]), types, args.args)

    def opt_method_call(self, c: _Kids) -> ast.MethodCall:
        args: _Args = c[-1]
        return ast.MethodCall(self.span(c), c[0], self.ident(c[2]), (), args.args, True)

    def tuple_index(self, c: _Kids) -> ast.TupleIndex:
        return ast.TupleIndex(self.span(c), c[0], int(c[2].value))

    def await_expr(self, c: _Kids) -> ast.Await:
        return ast.Await(self.span(c), c[0])

    def call(self, c: _Kids) -> ast.Call:
        args: _Args = c[-1]
        return ast.Call(self.span(c), c[0], tuple(_of(c[1:], ast.TypeExpr)), args.args)

    def type_application(self, c: _Kids) -> ast.TypeApplication:
        return ast.TypeApplication(self.span(c), c[0], tuple(_of(c[1:], ast.TypeExpr)))

    def index(self, c: _Kids) -> ast.Index:
        return ast.Index(self.span(c), c[0], c[2])

    def try_expr(self, c: _Kids) -> ast.Try:
        return ast.Try(self.span(c), c[0])

    def cast(self, c: _Kids) -> ast.Cast:
        return ast.Cast(self.span(c), c[0], c[2])

    def record_lit(self, c: _Kids) -> ast.RecordLit:
        path = _expr_path(c[0])
        if path is None:
            raise BuildError("E0001", "a record literal needs a type name before `{`", c[0].span)
        base = next((x for x in c if isinstance(x, _RecordBase)), None)
        return ast.RecordLit(self.span(c), path, tuple(_of(c, ast.FieldInit)),
                             base.expr if base else None)

    def call_args(self, c: _Kids) -> _Args:
        return _Args(self.span(c), tuple(x for x in c[1:-1] if x is not None))

    def field_init(self, c: _Kids) -> ast.FieldInit:
        return ast.FieldInit(self.span(c), self.ident(c[0]), c[2] if len(c) > 2 else None)

    def record_base(self, c: _Kids) -> _RecordBase:
        return _RecordBase(self.span(c), c[1])

    # ------------------------------------------------------------ primary

    def name(self, c: _Kids) -> ast.Name:
        return ast.Name(self.tspan(c[0]), c[0].value)

    def unit(self, c: _Kids) -> ast.Tuple:
        return ast.Tuple(self.span(c), ())

    def paren(self, c: _Kids) -> ast.Paren:
        return ast.Paren(self.span(c), c[1])

    def tuple_expr(self, c: _Kids) -> ast.Tuple:
        return ast.Tuple(self.span(c), tuple(x for x in c[1:-1] if isinstance(x, ast.Expr)))

    def array(self, c: _Kids) -> ast.ArrayLit:
        return ast.ArrayLit(self.span(c), tuple(x for x in c[1:-1] if x is not None))

    def array_repeat(self, c: _Kids) -> ast.ArrayRepeat:
        return ast.ArrayRepeat(self.span(c), c[1], c[3])

    def async_block(self, c: _Kids) -> ast.AsyncBlock:
        return ast.AsyncBlock(self.span(c), c[-1], _has(c, "MOVE"))

    def continue_expr(self, c: _Kids) -> ast.Continue:
        return ast.Continue(self.span(c))

    def loop_expr(self, c: _Kids) -> ast.Loop:
        return ast.Loop(self.span(c), c[1])

    def while_expr(self, c: _Kids) -> ast.While:
        return ast.While(self.span(c), c[1], c[2])

    def for_expr(self, c: _Kids) -> ast.For:
        return ast.For(self.span(c), c[1], c[3], c[4])

    def unsafe_block(self, c: _Kids) -> ast.UnsafeBlock:
        return ast.UnsafeBlock(self.span(c), c[1])

    def if_expr(self, c: _Kids) -> ast.If:
        else_ = c[4] if len(c) > 4 else None
        return ast.If(self.span(c), c[1], c[2], else_)

    def let_cond(self, c: _Kids) -> ast.Expr:
        """`let P = a && b && c` means `(let P = a) && b && c`: re-hang the `&&` spine."""
        let_span = self.tspan(c[0])
        pattern, value = c[1], c[3]
        spine: list[ast.Binary] = []
        node = value
        while isinstance(node, ast.Binary) and node.op == "&&":
            spine.append(node)
            node = node.left
        result: ast.Expr = ast.LetCondition(_join(let_span, node.span), pattern, node)
        for b in reversed(spine):
            result = ast.Binary(_join(let_span, b.span), "&&", result, b.right)
        return result

    def match_expr(self, c: _Kids) -> ast.Match:
        return ast.Match(self.span(c), c[1], tuple(_of(c, ast.MatchArm)))

    def _arm(self, c: _Kids) -> ast.MatchArm:
        guard = next((x for x in c if isinstance(x, _Guard)), None)
        pattern = next(x for x in c if isinstance(x, ast.Pattern))
        body = _after(c, "FATARROW")
        return ast.MatchArm(self.span(c), tuple(_of(c, ast.Attribute)), pattern,
                            guard.expr if guard else None, body,
                            guard.keyword if guard else "if", _has(c, "COMMA"))

    match_arm = _arm
    last_arm = _arm

    def arm_block(self, c: _Kids) -> ast.Expr:
        return cast(ast.Expr, c[0])

    def guard(self, c: _Kids) -> _Guard:
        return _Guard(self.span(c), str(c[0].value), c[1])

    # ------------------------------------------------------------ literals

    def number(self, c: _Kids) -> ast.Expr:
        return self._number(c[0])

    def _number(self, t: Token) -> ast.Expr:
        text = str(t.value)
        v = decode_number(text)
        span = self.tspan(t)
        if v.error is not None:
            self.contexts[-1].number_errors.append((span.start - self.contexts[-1].base,
                                                    span.end - self.contexts[-1].base, v.error))
        if isinstance(v.value, float):
            return ast.FloatLit(span, v.value, v.suffix, text)
        return ast.IntLit(span, v.value, v.suffix, text)

    def string(self, c: _Kids) -> ast.TextLit:
        text = str(c[0].value)
        return ast.TextLit(self.tspan(c[0]), decode_escapes(text[1:-1]), False, text)

    def raw_string(self, c: _Kids) -> ast.TextLit:
        text = str(c[0].value)
        return ast.TextLit(self.tspan(c[0]), raw_body(text), True, text)

    def char(self, c: _Kids) -> ast.CharLit:
        text = str(c[0].value)
        return ast.CharLit(self.tspan(c[0]), decode_escapes(text[1:-1]), text)

    def byte(self, c: _Kids) -> ast.ByteLit:
        text = str(c[0].value)
        value = decode_escapes(text[2:-1])
        return ast.ByteLit(self.tspan(c[0]), ord(value[0]) & 0xFF if value else 0, text)

    def byte_string(self, c: _Kids) -> ast.ByteStringLit:
        text = str(c[0].value)
        value = decode_escapes(text[2:-1]).encode("utf-8", "surrogatepass")
        return ast.ByteStringLit(self.tspan(c[0]), value, text)

    def true(self, c: _Kids) -> ast.BoolLit:
        return ast.BoolLit(self.tspan(c[0]), True)

    def false(self, c: _Kids) -> ast.BoolLit:
        return ast.BoolLit(self.tspan(c[0]), False)

    def fstring(self, c: _Kids) -> ast.FString:
        t: Token = c[0]
        text = str(t.value)
        raw = text.startswith('f"""')
        start = 4 if raw else 2
        body = text[start:-3] if raw else text[start:-1]
        parts = self._interpolate(t, body, start, raw)
        return ast.FString(self.tspan(t), parts, raw, text)

    def route(self, c: _Kids) -> ast.RouteLiteral:
        t: Token = c[0]
        text = str(t.value)
        body = text[7:-1]
        return ast.RouteLiteral(self.tspan(t), self._interpolate(t, body, 7, False), text)

    def _interpolate(self, t: Token, body: str, start: int,
                     raw: bool) -> tuple[ast.FStringText | ast.FStringExpr, ...]:
        ctx = self.contexts[-1]
        tok_span = self.tspan(t)
        src_start = tok_span.start + start          # absolute offset of body[0]
        parts: list[ast.FStringText | ast.FStringExpr] = []
        for seg in split_fstring(body, raw):
            seg_span = _sub_span(tok_span, t, start + seg.start, start + seg.end)
            if not seg.is_expr:
                parts.append(ast.FStringText(seg_span, seg.text))
                continue
            expr = None
            if seg.closed and seg.expr_text.strip() and self.parse_expr is not None \
                    and ctx.fstring_depth < 4:
                expr = self.parse_expr(ctx, seg.expr_text, src_start + seg.expr_start)
            if expr is None:
                self.literal_segment(ctx, seg_span, seg.text)
                parts.append(ast.FStringText(seg_span, seg.text))
            else:
                parts.append(ast.FStringExpr(seg_span, expr, seg.spec, seg.text[1:-1]))
        return tuple(parts)

    @staticmethod
    def literal_segment(ctx: ParseContext, seg_span: Span, text: str) -> None:
        """Note (W0001) an f-string `{...}` segment kept as text: it is not an expression."""
        ctx.warnings.append((seg_span.start - ctx.base, seg_span.end - ctx.base, "W0001",
                             f"f-string segment `{text}` is not an expression; "
                             "kept as literal text (write `{{` for a literal brace)"))

    # ------------------------------------------------------------ patterns

    def or_pat(self, c: _Kids) -> ast.OrPat:
        return ast.OrPat(self.span(c), tuple(_of(c, ast.Pattern)))

    def path_pat(self, c: _Kids) -> ast.Pattern:
        path: ast.Path = c[0]
        if len(path.segments) == 1:
            if path.segments[0].name == "_":
                return ast.WildcardPat(path.span)
            return ast.IdentPat(path.span, path.segments[0])
        return ast.PathPat(path.span, path)

    def ident_pat(self, c: _Kids) -> ast.IdentPat:
        return ast.IdentPat(self.span(c), self.ident(c[-1]), _has(c, "MUT"), _has(c, "REF"))

    def bind_pat(self, c: _Kids) -> ast.IdentPat:
        return ast.IdentPat(self.span(c), self.ident(c[0]), False, False, c[2])

    def type_test_pat(self, c: _Kids) -> ast.TypeTestPat:
        return ast.TypeTestPat(self.span(c), self.ident(c[0]), c[2])

    def variant_pat(self, c: _Kids) -> ast.VariantPat:
        return ast.VariantPat(self.span(c), c[0], tuple(_of(c[1:], ast.Pattern)))

    def record_pat(self, c: _Kids) -> ast.RecordPat:
        return ast.RecordPat(self.span(c), c[0], tuple(_of(c, ast.FieldPat)), _has(c, "DOTDOT"))

    def unit_pat(self, c: _Kids) -> ast.TuplePat:
        return ast.TuplePat(self.span(c), ())

    def paren_pat(self, c: _Kids) -> ast.Pattern:
        return cast(ast.Pattern, c[1])

    def tuple_pat(self, c: _Kids) -> ast.TuplePat:
        return ast.TuplePat(self.span(c), tuple(_of(c, ast.Pattern)))

    def slice_pat(self, c: _Kids) -> ast.SlicePat:
        return ast.SlicePat(self.span(c), tuple(_of(c, ast.Pattern)))

    def rest_pat(self, c: _Kids) -> ast.RestPat:
        return ast.RestPat(self.span(c))

    def ref_pat(self, c: _Kids) -> ast.RefPat:
        return ast.RefPat(self.span(c), False, c[-1])

    def _lit(self, c: _Kids) -> ast.Expr:
        if isinstance(c[0], Token) and c[0].type == "MINUS":
            num = self._number(c[1])
            return ast.Unary(self.span(c), "-", num)
        return cast(ast.Expr, c[0])

    def literal_pat(self, c: _Kids) -> ast.LiteralPat:
        return ast.LiteralPat(self.span(c), self._lit(c))

    def range_pat(self, c: _Kids) -> ast.RangePat:
        k = next(i for i, x in enumerate(c) if isinstance(x, Token) and x.type in ("DOTDOT", "DOTDOTEQ"))
        return ast.RangePat(self.span(c), self._lit(c[:k]), self._lit(c[k + 1:]),
                            c[k].type == "DOTDOTEQ")

    def field_pat(self, c: _Kids) -> ast.FieldPat:
        return ast.FieldPat(self.span(c), self.ident(c[0]), c[2] if len(c) > 2 else None)


def _binary(op: str, left: ast.Expr, right: ast.Expr) -> ast.Expr:
    """The node for `left op right`: an assignment, a range or a binary operation."""
    span = _join(left.span, right.span)
    if op in _ASSIGN_OPS:
        return ast.Assign(span, op, left, right)
    if op == ".." or op == "..=":
        return ast.Range(span, left, right, op == "..=")
    return ast.Binary(span, op, left, right)


def _sub_span(tok_span: Span, t: Token, a: int, b: int) -> Span:
    """The span of characters [a, b) inside token `t` (relative to the token start)."""
    text = str(t.value)
    line, col = tok_span.line, tok_span.column
    nl_a = text.count("\n", 0, a)
    if nl_a:
        line_a = line + nl_a
        col_a = a - text.rfind("\n", 0, a)
    else:
        line_a, col_a = line, col + a
    nl_b = text.count("\n", 0, b)
    if nl_b:
        line_b = line + nl_b
        col_b = b - text.rfind("\n", 0, b)
    else:
        line_b, col_b = line, col + b
    return _span(tok_span.file, tok_span.start + a, tok_span.start + b, line_a, col_a, line_b, col_b)


def _expr_path(e: ast.Expr) -> ast.Path | None:
    """`a.b.C` written as an expression (Name/Field chain) as a Path, else None."""
    segs: list[ast.Ident] = []
    node = e
    while isinstance(node, ast.Field) and not node.optional:
        segs.append(node.name)
        node = node.target
    if not isinstance(node, ast.Name):
        return None
    segs.append(ast.Ident(node.span, node.name))
    segs.reverse()
    return ast.Path(e.span, tuple(segs))


def _is_named_predicate(e: ast.Expr) -> bool:
    return _expr_path(e) is not None and not (isinstance(e, ast.Name) and e.name in ("it", "self"))
