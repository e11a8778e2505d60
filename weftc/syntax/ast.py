"""The typed AST of the Verum subset: what every later stage and the formatter read.

Shape rules:

* Every node is a frozen, slotted dataclass whose FIRST field is `span: Span`.
* Nodes fall in five families, each with an empty abstract base used in field
  types: `Item`, `Stmt`, `Expr`, `Pattern`, `TypeExpr`. Helper records that are
  not in a family (`Ident`, `Param`, `MatchArm`, ...) derive from `Node`.
* Sequences are tuples. Optional parts are `None`. Where the source offers two
  spellings of the same thing, a field remembers which one was written so the
  formatter can print it back (`RefinedType.form`, `Visibility.keyword`,
  `FnDecl.expr_body`, `ExprStmt.semicolon`, ...).
* The tree is syntax only: `Name("None")` is not yet a constructor and
  `Field(Name("Type"), "Variant")` is not yet a path; the resolver decides.

Compatibility: other stages build on these names. Extend by adding nodes, or
fields at the end with defaults; never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, is_dataclass
from enum import StrEnum
from typing import final

from weftc.source import Span
from weftc.syntax.frozen import fast_init


class Node:
    """Base of every AST node (each subclass declares `span` first)."""

    __slots__ = ()
    span: Span


class Item(Node):
    """A declaration: top level, inside `module`/`implement`/protocol/context, or in a block."""

    __slots__ = ()


class Stmt(Node):
    __slots__ = ()


class Expr(Node):
    __slots__ = ()


class Pattern(Node):
    __slots__ = ()


class TypeExpr(Node):
    __slots__ = ()


# ================================================================ shared pieces


@final
@dataclass(frozen=True, slots=True)
class Ident(Node):
    """A name as written, with its own span (for diagnostics on the name)."""

    span: Span
    name: str


@final
@dataclass(frozen=True, slots=True)
class Path(Node):
    """A dotted name `a.b.c` in a type, mount, pattern or record literal."""

    span: Span
    segments: tuple[Ident, ...]

    @property
    def dotted(self) -> str:
        return ".".join(s.name for s in self.segments)


@final
@dataclass(frozen=True, slots=True)
class AttrArg(Node):
    """`expr` or `key = expr` inside `@name(...)`."""

    span: Span
    key: Ident | None
    value: Expr


@final
@dataclass(frozen=True, slots=True)
class Attribute(Node):
    """`@name` (args None) or `@name(args)`; unknown names are kept, not errors."""

    span: Span
    name: Ident
    args: tuple[AttrArg, ...] | None


@final
@dataclass(frozen=True, slots=True)
class Visibility(Node):
    """`public`, `pub`, `internal`, `protected`, `private`, or `public(cog|super|in path)`.

    `keyword` is the word written; `scope` is `"cog"`, `"super"` or `"in"` for the
    restricted form (then `path` is set for `"in"`).
    """

    span: Span
    keyword: str
    scope: str | None = None
    path: Path | None = None


@final
@dataclass(frozen=True, slots=True)
class GenericParam(Node):
    """`T`, `T: A + B`, `T = Default` or a lifetime `'a` (kind "lifetime")."""

    span: Span
    name: Ident
    bounds: tuple[TypeExpr, ...] = ()
    default: TypeExpr | None = None
    kind: str = "type"


@final
@dataclass(frozen=True, slots=True)
class WherePredicate(Node):
    """`T: Bound + Other` in a `where` clause of a fn or implement block."""

    span: Span
    target: TypeExpr
    bounds: tuple[TypeExpr, ...]


@final
@dataclass(frozen=True, slots=True)
class UsingEntry(Node):
    """One context in a `using` list: `Ctx`, `!Ctx`, `Ctx as a`, `name: Ctx`, `Ctx if cond`."""

    span: Span
    context: TypeExpr
    negated: bool = False
    alias: Ident | None = None
    name: Ident | None = None
    condition: Expr | None = None


@final
@dataclass(frozen=True, slots=True)
class UsingClause(Node):
    """`using A` (bracketed False) or `using [A, B]`."""

    span: Span
    entries: tuple[UsingEntry, ...]
    bracketed: bool


@final
@dataclass(frozen=True, slots=True)
class Contract(Node):
    """`requires e, f` or `ensures e` (kind is the keyword); `result` names the return value."""

    span: Span
    kind: str
    conditions: tuple[Expr, ...]


@final
@dataclass(frozen=True, slots=True)
class Param(Node):
    """`pattern: Type [= default]`, with optional attributes."""

    span: Span
    attributes: tuple[Attribute, ...]
    pattern: Pattern
    type: TypeExpr
    default: Expr | None = None


@final
@dataclass(frozen=True, slots=True)
class SelfParam(Node):
    """`self`, `mut self`, `&self` or `&mut self` (`is_ref`/`mutable` say which)."""

    span: Span
    is_ref: bool
    mutable: bool


@final
@dataclass(frozen=True, slots=True)
class FieldDecl(Node):
    """A record field `[attrs] [vis] name: Type [= default]`."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    name: Ident
    type: TypeExpr
    default: Expr | None = None


@final
@dataclass(frozen=True, slots=True)
class Variant(Node):
    """A sum-type variant: unit (`payload` and `fields` None), `V(T, U)` or `V { f: T }`."""

    span: Span
    attributes: tuple[Attribute, ...]
    name: Ident
    payload: tuple[TypeExpr, ...] | None = None
    fields: tuple[FieldDecl, ...] | None = None


# ================================================================ types


@final
@dataclass(frozen=True, slots=True)
class PathType(TypeExpr):
    """`Int`, `List<T>`, `core.time.Duration`, `Self.Error`."""

    span: Span
    path: Path
    args: tuple[TypeExpr, ...] = ()


@final
@dataclass(frozen=True, slots=True)
class TupleType(TypeExpr):
    """`(A, B)`; `()` is unit (no elements)."""

    span: Span
    elements: tuple[TypeExpr, ...]


@final
@dataclass(frozen=True, slots=True)
class ArrayType(TypeExpr):
    span: Span
    element: TypeExpr
    length: Expr


@final
@dataclass(frozen=True, slots=True)
class SliceType(TypeExpr):
    span: Span
    element: TypeExpr


@final
@dataclass(frozen=True, slots=True)
class RefType(TypeExpr):
    span: Span
    mutable: bool
    target: TypeExpr


@final
@dataclass(frozen=True, slots=True)
class FnType(TypeExpr):
    """`fn(A, &B) -> R [using ...]`, `async fn(A) -> R`."""

    span: Span
    is_async: bool
    params: tuple[TypeExpr, ...]
    ret: TypeExpr | None
    using: UsingClause | None = None


@final
@dataclass(frozen=True, slots=True)
class ImplType(TypeExpr):
    """`impl P + Q` (an opaque type satisfying the bounds)."""

    span: Span
    bounds: tuple[TypeExpr, ...]


@final
@dataclass(frozen=True, slots=True)
class DynType(TypeExpr):
    span: Span
    bounds: tuple[TypeExpr, ...]


@final
@dataclass(frozen=True, slots=True)
class InferType(TypeExpr):
    """`_`."""

    span: Span


@final
@dataclass(frozen=True, slots=True)
class NeverType(TypeExpr):
    """`!`."""

    span: Span


@final
@dataclass(frozen=True, slots=True)
class LifetimeType(TypeExpr):
    """A lifetime bound such as `'static` (parsed, ignored by later stages)."""

    span: Span
    name: str


@final
@dataclass(frozen=True, slots=True)
class RecordType(TypeExpr):
    """`{ f: T, ... }` as a type body or an anonymous record type."""

    span: Span
    fields: tuple[FieldDecl, ...]


@final
@dataclass(frozen=True, slots=True)
class SumType(TypeExpr):
    """`[|] V1 | V2(T) | V3 { f: T }`; `leading_bar` remembers the optional first `|`."""

    span: Span
    variants: tuple[Variant, ...]
    leading_bar: bool = False


class RefinementForm(StrEnum):
    """Which of the five surface spellings produced a `RefinedType`."""

    INLINE = "inline"    # Int{> 0}, Int{x: x > 0}, Int{it >= 0, it <= 10}
    LAMBDA = "lambda"    # Int where |n| n >= 1   /   where |n| { n >= 1 }
    WHERE = "where"      # Int where it >= 1
    SIGMA = "sigma"      # n: Int where n >= 0
    NAMED = "named"      # Text where is_valid_email


@final
@dataclass(frozen=True, slots=True)
class RefinedType(TypeExpr):
    """A base type plus a predicate over its value, whatever the surface form.

    `binder` is the explicit value name (`x` in `Int{x: ...}`, `n` in `|n|` or
    `n: Int where`), None when the predicate uses `it`/`self`/an implicit
    subject. `predicate` is the whole condition (comma lists joined with `&&`);
    `parts` keeps the comma-separated predicates as written (one element when
    there were no commas). For `NAMED`, `predicate` is the function path
    expression. `braced` is True for `where |n| { ... }`.
    """

    span: Span
    base: TypeExpr
    binder: Ident | None
    predicate: Expr
    form: RefinementForm
    parts: tuple[Expr, ...] = ()
    braced: bool = False


# ================================================================ items


@final
@dataclass(frozen=True, slots=True)
class MountTree(Node):
    """One node of a mount tree.

    `path` is the dotted prefix written at this node. `kind` is "single"
    (`a.b.c [as x]`), "glob" (`a.b.*`) or "group" (`a.b.{...}`, children set).
    `relative` is True for a leading `.` (only on the root).
    """

    span: Span
    path: tuple[Ident, ...]
    kind: str
    alias: Ident | None = None
    children: tuple[MountTree, ...] = ()
    relative: bool = False


@final
@dataclass(frozen=True, slots=True)
class Mount(Item):
    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    tree: MountTree


@final
@dataclass(frozen=True, slots=True)
class ModuleDecl(Item):
    """`module a.b;` (items None) or inline `module name { items }`."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    path: Path
    items: tuple[Item, ...] | None


@final
@dataclass(frozen=True, slots=True)
class FnDecl(Item):
    """A function, method, protocol/context member signature or nested fn.

    `modifiers` in source order (`pure`, `async`, `unsafe`, `meta`, ...).
    `body` is a Block, an Expr when `expr_body` (`= expr;`), or None (`;`).
    `using_before_ret` records the rarer `fn f() using [X] -> T` placement.
    """

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    modifiers: tuple[str, ...]
    name: Ident
    generics: tuple[GenericParam, ...]
    params: tuple[Param | SelfParam, ...]
    throws: tuple[TypeExpr, ...] | None
    ret: TypeExpr | None
    contracts: tuple[Contract, ...]
    using: UsingClause | None
    where: tuple[WherePredicate, ...]
    body: Expr | None
    expr_body: bool = False
    using_before_ret: bool = False


@final
@dataclass(frozen=True, slots=True)
class TypeDecl(Item):
    """`type Name<G> is BODY;` where BODY is any TypeExpr (record, sum, refined, alias...)."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    name: Ident
    generics: tuple[GenericParam, ...]
    body: TypeExpr


@final
@dataclass(frozen=True, slots=True)
class AssocTypeDecl(Item):
    """`type Error: Bound = Default;` in a protocol/context, `type Error = T;` in implement."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    name: Ident
    bounds: tuple[TypeExpr, ...]
    default: TypeExpr | None


@final
@dataclass(frozen=True, slots=True)
class ProtocolDecl(Item):
    """A protocol. `form`: "type" (`type P is protocol {...};`), "bare" (`protocol P {...}`)
    or "context" (`context protocol P {...}`)."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    name: Ident
    generics: tuple[GenericParam, ...]
    extends: tuple[TypeExpr, ...]
    members: tuple[Item, ...]
    form: str = "type"


@final
@dataclass(frozen=True, slots=True)
class ImplementBlock(Item):
    """`implement<G> Proto for Target where ... { items }`; `protocol` None when inherent."""

    span: Span
    attributes: tuple[Attribute, ...]
    generics: tuple[GenericParam, ...]
    protocol: TypeExpr | None
    target: TypeExpr
    where: tuple[WherePredicate, ...]
    items: tuple[Item, ...]


@final
@dataclass(frozen=True, slots=True)
class ContextDecl(Item):
    """`context [async] Name<G> { fn ...; const ...; type ...; }` (a DI interface)."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    name: Ident
    generics: tuple[GenericParam, ...]
    members: tuple[Item, ...]
    is_async: bool = False


@final
@dataclass(frozen=True, slots=True)
class ContextGroupDecl(Item):
    """`using Name = [!IO, !Random];` (a named context group)."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    name: Ident
    entries: tuple[UsingEntry, ...]


@final
@dataclass(frozen=True, slots=True)
class ConstDecl(Item):
    """`const NAME[: T] [= expr];` (value None for protocol/context members)."""

    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    name: Ident
    type: TypeExpr | None
    value: Expr | None


@final
@dataclass(frozen=True, slots=True)
class StaticDecl(Item):
    span: Span
    attributes: tuple[Attribute, ...]
    visibility: Visibility | None
    mutable: bool
    name: Ident
    type: TypeExpr
    value: Expr | None


@final
@dataclass(frozen=True, slots=True)
class Module(Node):
    """A parsed file."""

    span: Span
    items: tuple[Item, ...]


# ================================================================ statements


@final
@dataclass(frozen=True, slots=True)
class LetStmt(Stmt):
    """`let PAT [: T] [= e] [else { ... }];`."""

    span: Span
    pattern: Pattern
    type: TypeExpr | None
    value: Expr | None
    else_block: Block | None = None


@final
@dataclass(frozen=True, slots=True)
class ExprStmt(Stmt):
    """An expression statement; `semicolon` False only for block-like expressions."""

    span: Span
    expr: Expr
    semicolon: bool


@final
@dataclass(frozen=True, slots=True)
class ProvideBinding(Node):
    span: Span
    context: TypeExpr
    value: Expr


@final
@dataclass(frozen=True, slots=True)
class ProvideStmt(Stmt):
    """`provide A = x[, B = y]` then `;` (form "scope"), `in { }` ("in") or `{ }` ("block")."""

    span: Span
    bindings: tuple[ProvideBinding, ...]
    body: Block | None
    form: str


@final
@dataclass(frozen=True, slots=True)
class ItemStmt(Stmt):
    """A nested declaration (`fn`, `type`, `const`) inside a block."""

    span: Span
    item: Item


# ================================================================ expressions


@final
@dataclass(frozen=True, slots=True)
class IntLit(Expr):
    """`text` is the source spelling (for the formatter); `suffix` e.g. "u8"."""

    span: Span
    value: int
    suffix: str | None
    text: str


@final
@dataclass(frozen=True, slots=True)
class FloatLit(Expr):
    span: Span
    value: float
    suffix: str | None
    text: str


@final
@dataclass(frozen=True, slots=True)
class BoolLit(Expr):
    span: Span
    value: bool


@final
@dataclass(frozen=True, slots=True)
class TextLit(Expr):
    """`"..."` (escapes decoded into `value`) or `\"\"\"...\"\"\"` (raw True); `text` is the source."""

    span: Span
    value: str
    raw: bool
    text: str


@final
@dataclass(frozen=True, slots=True)
class CharLit(Expr):
    span: Span
    value: str
    text: str


@final
@dataclass(frozen=True, slots=True)
class ByteLit(Expr):
    span: Span
    value: int
    text: str


@final
@dataclass(frozen=True, slots=True)
class ByteStringLit(Expr):
    span: Span
    value: bytes
    text: str


@final
@dataclass(frozen=True, slots=True)
class FStringText(Node):
    """Literal text of an f-string or route literal, escapes and `{{`/`}}` decoded."""

    span: Span
    value: str


@final
@dataclass(frozen=True, slots=True)
class FStringExpr(Node):
    """An interpolated `{expr}` or `{expr:spec}`; `source` is the text between the braces."""

    span: Span
    expr: Expr
    spec: str | None
    source: str


@final
@dataclass(frozen=True, slots=True)
class FString(Expr):
    """`f"..."` / `f\"\"\"...\"\"\"`; a Text value. With no `{}` it is all FStringText."""

    span: Span
    parts: tuple[FStringText | FStringExpr, ...]
    raw: bool
    text: str


@final
@dataclass(frozen=True, slots=True)
class RouteLiteral(Expr):
    """`route#"/api/{v}/users/{id}"`: a path the compiler proves the router serves."""

    span: Span
    parts: tuple[FStringText | FStringExpr, ...]
    text: str


@final
@dataclass(frozen=True, slots=True)
class Name(Expr):
    """A bare identifier in expression position (also `self`, `Self`, `it`, `result`)."""

    span: Span
    name: str


@final
@dataclass(frozen=True, slots=True)
class ImplicitSubject(Expr):
    """The value a refinement constrains, left out: the left side of `> 0` in `Int{> 0}`."""

    span: Span


@final
@dataclass(frozen=True, slots=True)
class Field(Expr):
    """`target.name` (also `Type.Variant`, `module.item`); `optional` for `target?.name`."""

    span: Span
    target: Expr
    name: Ident
    optional: bool = False


@final
@dataclass(frozen=True, slots=True)
class TupleIndex(Expr):
    span: Span
    target: Expr
    index: int


@final
@dataclass(frozen=True, slots=True)
class Call(Expr):
    """`callee(args)` or `callee<T>(args)`."""

    span: Span
    callee: Expr
    type_args: tuple[TypeExpr, ...]
    args: tuple[Expr, ...]


@final
@dataclass(frozen=True, slots=True)
class MethodCall(Expr):
    """`receiver.method<T>(args)`; `optional` for `receiver?.method(...)`."""

    span: Span
    receiver: Expr
    method: Ident
    type_args: tuple[TypeExpr, ...]
    args: tuple[Expr, ...]
    optional: bool = False


@final
@dataclass(frozen=True, slots=True)
class MethodRef(Expr):
    """`.method(args)` on the right of `|>` (`xs |> .len()`)."""

    span: Span
    method: Ident
    type_args: tuple[TypeExpr, ...]
    args: tuple[Expr, ...]


@final
@dataclass(frozen=True, slots=True)
class Index(Expr):
    span: Span
    target: Expr
    index: Expr


@final
@dataclass(frozen=True, slots=True)
class Await(Expr):
    span: Span
    target: Expr


@final
@dataclass(frozen=True, slots=True)
class Try(Expr):
    """Postfix `?`."""

    span: Span
    target: Expr


@final
@dataclass(frozen=True, slots=True)
class Cast(Expr):
    span: Span
    expr: Expr
    type: TypeExpr


@final
@dataclass(frozen=True, slots=True)
class Unary(Expr):
    """Prefix `-`, `!`, `~`, `*` (deref), `&`, `&mut`."""

    span: Span
    op: str
    operand: Expr


@final
@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """Arithmetic, bitwise, comparison, `&&`, `||`, `??` and `|>` (op is the token text)."""

    span: Span
    op: str
    left: Expr
    right: Expr


@final
@dataclass(frozen=True, slots=True)
class Assign(Expr):
    """`target = value` or compound (`op` is "=", "+=", "<<=", ...)."""

    span: Span
    op: str
    target: Expr
    value: Expr


@final
@dataclass(frozen=True, slots=True)
class Range(Expr):
    span: Span
    start: Expr | None
    end: Expr | None
    inclusive: bool


@final
@dataclass(frozen=True, slots=True)
class IsPattern(Expr):
    """`expr is PAT` / `expr is not PAT`."""

    span: Span
    expr: Expr
    pattern: Pattern
    negated: bool


@final
@dataclass(frozen=True, slots=True)
class LetCondition(Expr):
    """`let PAT = value` inside an `if`/`while` head (may be `&&`-chained)."""

    span: Span
    pattern: Pattern
    value: Expr


@final
@dataclass(frozen=True, slots=True)
class Paren(Expr):
    span: Span
    expr: Expr


@final
@dataclass(frozen=True, slots=True)
class Tuple(Expr):
    """`()` (unit), `(a,)`, `(a, b)`."""

    span: Span
    elements: tuple[Expr, ...]


@final
@dataclass(frozen=True, slots=True)
class ArrayLit(Expr):
    span: Span
    elements: tuple[Expr, ...]


@final
@dataclass(frozen=True, slots=True)
class ArrayRepeat(Expr):
    """`[value; count]`."""

    span: Span
    value: Expr
    count: Expr


@final
@dataclass(frozen=True, slots=True)
class FieldInit(Node):
    """`name: value` or shorthand `name` (value None)."""

    span: Span
    name: Ident
    value: Expr | None


@final
@dataclass(frozen=True, slots=True)
class RecordLit(Expr):
    """`Path { f: e, g, ..base }`."""

    span: Span
    path: Path
    fields: tuple[FieldInit, ...]
    base: Expr | None = None


@final
@dataclass(frozen=True, slots=True)
class Block(Expr):
    """`{ stmts [tail] }`; `tail` is the value (None = unit)."""

    span: Span
    stmts: tuple[Stmt, ...]
    tail: Expr | None


@final
@dataclass(frozen=True, slots=True)
class If(Expr):
    """`if cond { } [else if ... | else { }]`; `cond` may contain a LetCondition."""

    span: Span
    condition: Expr
    then: Block
    else_: Block | If | None


@final
@dataclass(frozen=True, slots=True)
class MatchArm(Node):
    """`[attrs] PAT [if|where guard] => body[,]`."""

    span: Span
    attributes: tuple[Attribute, ...]
    pattern: Pattern
    guard: Expr | None
    body: Expr
    guard_keyword: str = "if"
    comma: bool = False


@final
@dataclass(frozen=True, slots=True)
class Match(Expr):
    span: Span
    scrutinee: Expr
    arms: tuple[MatchArm, ...]


@final
@dataclass(frozen=True, slots=True)
class Loop(Expr):
    span: Span
    body: Block


@final
@dataclass(frozen=True, slots=True)
class While(Expr):
    span: Span
    condition: Expr
    body: Block


@final
@dataclass(frozen=True, slots=True)
class For(Expr):
    span: Span
    pattern: Pattern
    iterable: Expr
    body: Block


@final
@dataclass(frozen=True, slots=True)
class Return(Expr):
    span: Span
    value: Expr | None


@final
@dataclass(frozen=True, slots=True)
class Break(Expr):
    span: Span
    value: Expr | None


@final
@dataclass(frozen=True, slots=True)
class Continue(Expr):
    span: Span


@final
@dataclass(frozen=True, slots=True)
class ClosureParam(Node):
    span: Span
    pattern: Pattern
    type: TypeExpr | None


@final
@dataclass(frozen=True, slots=True)
class Closure(Expr):
    """`[async] [move] |params| [-> R] body`; `||` for no parameters."""

    span: Span
    params: tuple[ClosureParam, ...]
    ret: TypeExpr | None
    body: Expr
    is_async: bool = False
    is_move: bool = False


@final
@dataclass(frozen=True, slots=True)
class AsyncBlock(Expr):
    span: Span
    body: Block
    is_move: bool = False


@final
@dataclass(frozen=True, slots=True)
class UnsafeBlock(Expr):
    span: Span
    body: Block


@final
@dataclass(frozen=True, slots=True)
class Spawn(Expr):
    span: Span
    expr: Expr


# ================================================================ patterns


@final
@dataclass(frozen=True, slots=True)
class WildcardPat(Pattern):
    span: Span


@final
@dataclass(frozen=True, slots=True)
class RestPat(Pattern):
    """`..` inside a slice or tuple pattern."""

    span: Span


@final
@dataclass(frozen=True, slots=True)
class LiteralPat(Pattern):
    """A literal (possibly negative number) to compare against."""

    span: Span
    value: Expr


@final
@dataclass(frozen=True, slots=True)
class IdentPat(Pattern):
    """`x`, `mut x`, `ref x`, `x @ PAT`. A bare `None` also parses as this."""

    span: Span
    name: Ident
    mutable: bool = False
    by_ref: bool = False
    subpattern: Pattern | None = None


@final
@dataclass(frozen=True, slots=True)
class PathPat(Pattern):
    """A dotted constant or unit variant: `WsState.Open`."""

    span: Span
    path: Path


@final
@dataclass(frozen=True, slots=True)
class TuplePat(Pattern):
    span: Span
    elements: tuple[Pattern, ...]


@final
@dataclass(frozen=True, slots=True)
class VariantPat(Pattern):
    """`Some(p)`, `Type.Variant(p, q)`."""

    span: Span
    path: Path
    args: tuple[Pattern, ...]


@final
@dataclass(frozen=True, slots=True)
class FieldPat(Node):
    """`name: PAT` or shorthand `name` (pattern None)."""

    span: Span
    name: Ident
    pattern: Pattern | None


@final
@dataclass(frozen=True, slots=True)
class RecordPat(Pattern):
    """`Name { f: p, g, .. }`; `rest` for a trailing `..`."""

    span: Span
    path: Path
    fields: tuple[FieldPat, ...]
    rest: bool


@final
@dataclass(frozen=True, slots=True)
class RefPat(Pattern):
    span: Span
    mutable: bool
    pattern: Pattern


@final
@dataclass(frozen=True, slots=True)
class RangePat(Pattern):
    span: Span
    start: Expr | None
    end: Expr | None
    inclusive: bool


@final
@dataclass(frozen=True, slots=True)
class SlicePat(Pattern):
    span: Span
    elements: tuple[Pattern, ...]


@final
@dataclass(frozen=True, slots=True)
class OrPat(Pattern):
    span: Span
    alternatives: tuple[Pattern, ...]


@final
@dataclass(frozen=True, slots=True)
class TypeTestPat(Pattern):
    """`x is Int` as a match pattern."""

    span: Span
    name: Ident
    type: TypeExpr


@final
@dataclass(frozen=True, slots=True)
class TypeApplication(Expr):
    """`Shared<Int>` in expression position, before `.method(...)`: `Shared<Int>.new(0)`."""

    span: Span
    target: Expr
    args: tuple[TypeExpr, ...]


def _install_fast_inits() -> None:
    """Every node stores its fields through slot descriptors (see `weftc.syntax.frozen`)."""
    for value in list(globals().values()):
        if isinstance(value, type) and value.__module__ == __name__ and is_dataclass(value):
            fast_init(value)


_install_fast_inits()
