"""Verum expressions and refinement predicates as Z3 terms.

`Universe` owns what every obligation of one program shares: fresh-constant
naming, the *axioms* (the declared refinement of every fresh value — true on
every path, because the value is only ever that refined thing), and how to
show a model's values in source terms. `ExprEncoder` turns the pure
expression forms into terms; `PredicateEncoder` binds a refinement's subject
(and a contract's parameters) by name, and `weftc.verify.walk.BodyWalker`
extends the same encoder with control flow.

Encodings (docs/verification.md): Int and the sized integers → Z3 Int
(sized ones add their range), Float → Z3 Real (an approximation that does not
model rounding, NaN or infinities), Bool → Bool, Text and Char → String.
Integer `/` and `%` follow Python's floor semantics exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import z3

from weftc.modules import Program
from weftc.routes.table import Route
from weftc.syntax import ast
from weftc.typecheck.checked import CheckedProgram
from weftc.types import Named, Prim, Ref, Refined, Type, display
from weftc.verify.facts import FactSet
from weftc.verify.regex import regex_to_z3
from weftc.verify.values import EnumVal, ListVal, RecordVal, Unencodable, Value

UNFOLD_DEPTH = 8

_SIZED = {"Int8": (-2**7, 2**7 - 1), "Int16": (-2**15, 2**15 - 1), "Int32": (-2**31, 2**31 - 1),
          "Int64": (-2**63, 2**63 - 1), "ISize": (-2**63, 2**63 - 1),
          "UInt8": (0, 2**8 - 1), "UInt16": (0, 2**16 - 1), "UInt32": (0, 2**32 - 1),
          "UInt64": (0, 2**64 - 1), "USize": (0, 2**64 - 1)}


@dataclass(frozen=True, slots=True)
class Part:
    """One conjunct of a refinement, encoded: its source text and its term."""

    text: str
    term: z3.BoolRef


class Universe:
    """Shared state of one program's verification (see the module docstring)."""

    def __init__(self, checked: CheckedProgram) -> None:
        self.checked = checked
        self.program: Program = checked.program
        self.axioms = FactSet()
        self.labels: dict[str, str] = {}
        self.enum_names: dict[str, tuple[str, ...]] = {}
        self.local_names: dict[int, str] = {}
        self.routes: tuple[Route, ...] = ()
        self._counts: dict[tuple[str, str], int] = {}
        self.scope = ""
        self.module_of_file = {info.source.name: name
                               for name, info in self.program.modules.items()}

    # ------------------------------------------------------------ naming

    def const(self, sort: z3.SortRef, label: str) -> z3.ExprRef:
        """A fresh constant named after `label` within the current function
        (`f/id`, `f/id#2` when reused): names never depend on other
        functions, so editing one function leaves every other function's
        obligations — and their cache keys — unchanged."""
        key = (self.scope, label)
        n = self._counts.get(key, 0) + 1
        self._counts[key] = n
        name = f"{self.scope}/{label}" if n == 1 else f"{self.scope}/{label}#{n}"
        self.labels[name] = label
        return z3.Const(name, sort)

    def text(self, node: ast.Node) -> str:
        src = self.program.sources.get(node.span.file)
        if src is None:
            return "<expr>"
        return " ".join(src.text[node.span.start:node.span.end].split())

    def module_of(self, node: ast.Node) -> str:
        return self.module_of_file.get(node.span.file, self.program.entry)

    # ------------------------------------------------------------ values of types

    def fresh(self, t: Type | None, label: str,
              extra: Mapping[str, Value] | None = None) -> Value:
        """An unconstrained value of `t` with `t`'s refinements as axioms
        (`extra` binds other names they mention: earlier parameters, arguments)."""
        base, refinements = peel(t)
        value = self._fresh_base(base, label)
        for r in refinements:
            self.assume(r, value, extra=extra)
        return value

    def _fresh_base(self, t: Type | None, label: str) -> Value:
        if isinstance(t, Prim):
            if t.name in ("Int", *_SIZED):
                v = self.const(z3.IntSort(), label)
                if t.name in _SIZED:
                    lo, hi = _SIZED[t.name]
                    self.axioms.append(z3.And(v >= lo, v <= hi))
                return v
            if t.name == "Float":
                return self.const(z3.RealSort(), label)
            if t.name == "Bool":
                return self.const(z3.BoolSort(), label)
            if t.name in ("Text", "Char"):
                v = self.const(z3.StringSort(), label)
                if t.name == "Char":
                    self.axioms.append(z3.Length(v) == 1)
                return v
            return None
        if isinstance(t, Named):
            if t.qualified == "core.prelude.List":
                n = self.const(z3.IntSort(), f"len({label})")
                self.axioms.append(n >= 0)
                return ListVal(n)
            world = self.checked.world
            if world.record_fields(t) is not None:
                return RecordVal(t, label)
            variants = world.variants(t)
            if variants is not None and t.module != "core.prelude":
                names = tuple(f"{t.name}.{v.name.name}" for v in variants)
                tag = self.const(z3.IntSort(), label)
                self.enum_names[str(tag)] = names
                self.axioms.append(z3.And(tag >= 0, tag < len(names)))
                return EnumVal(t, tag, names)
        return None

    def field(self, record: RecordVal, name: str) -> Value:
        """`record.name`, created on first use with the field's refinement as an axiom."""
        if name in record.fields:
            return record.fields[name]
        fields = self.checked.world.record_fields(record.type) or {}
        ftype = fields[name][0] if name in fields else None
        base, refinements = peel(ftype)
        value = self._fresh_base(base, f"{record.label}.{name}")
        record.fields[name] = value
        for r in refinements:
            self.assume(r, value, siblings=record)
        return value

    def enum_value(self, t: Named, index: int) -> EnumVal | None:
        variants = self.checked.world.variants(t)
        if variants is None or t.module == "core.prelude":
            return None
        names = tuple(f"{t.name}.{v.name.name}" for v in variants)
        return EnumVal(t, z3.IntVal(index), names)

    # ------------------------------------------------------------ refinements

    def parts(self, r: Refined, value: Value, siblings: RecordVal | None = None,
              extra: Mapping[str, Value] | None = None) -> list[Part]:
        """Every conjunct of `r` (and of the refinements under it) over `value`."""
        out: list[Part] = []
        for t in peel(r)[1]:
            enc = PredicateEncoder(self, self.module_of(t.predicate),
                                   _subject_bindings(t, value, extra), siblings, 0)
            for conj in split_conjuncts(t.predicate):
                out.append(Part(self.text(conj), enc.boolean(conj)))
        return out

    def assume(self, r: Refined, value: Value, siblings: RecordVal | None = None,
               extra: Mapping[str, Value] | None = None) -> None:
        """Add `r` over `value` as an axiom; a part that cannot be encoded is dropped
        (a weaker hypothesis is still sound)."""
        if value is None:
            return
        for conj in split_conjuncts(r.predicate):
            try:
                enc = PredicateEncoder(self, self.module_of(r.predicate),
                                       _subject_bindings(r, value, extra), siblings, 0)
                self.axioms.append(enc.boolean(conj))
            except Unencodable:
                continue

    # ------------------------------------------------------------ shown values

    def show(self, name: str, value: z3.ExprRef) -> str:
        """A model value in Verum syntax."""
        if name in self.enum_names and z3.is_int_value(value):
            names = self.enum_names[name]
            i = value.as_long()
            return names[i] if 0 <= i < len(names) else str(i)
        return show_value(value)


def peel(t: Type | None) -> tuple[Type | None, list[Refined]]:
    """The base under any refinements and references, and the refinements,
    outermost first (`Adult` is `Age where it >= 18`: both predicates)."""
    refinements: list[Refined] = []
    while isinstance(t, (Refined, Ref)):
        if isinstance(t, Refined):
            refinements.append(t)
            t = t.base
        else:
            t = t.inner
    return t, refinements


def show_value(value: z3.ExprRef) -> str:
    if z3.is_int_value(value):
        return str(value.as_long())
    if z3.is_true(value):
        return "true"
    if z3.is_false(value):
        return "false"
    if z3.is_rational_value(value):
        frac = value.as_fraction()
        return str(float(frac)) if frac.denominator != 1 else f"{frac.numerator}.0"
    if z3.is_algebraic_value(value):
        return str(value.as_decimal(6)).rstrip("?")
    if z3.is_string_value(value):
        return _quote(value.as_string())
    return str(value)


def _quote(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{out}"'


def split_conjuncts(e: ast.Expr) -> list[ast.Expr]:
    """`a && b && c` (and braces around a lone expression) as `[a, b, c]`."""
    if isinstance(e, ast.Block) and not e.stmts and e.tail is not None:
        return split_conjuncts(e.tail)
    if isinstance(e, ast.Paren):
        inner = split_conjuncts(e.expr)
        return inner if len(inner) > 1 else [e]
    if isinstance(e, ast.Binary) and e.op == "&&":
        return split_conjuncts(e.left) + split_conjuncts(e.right)
    return [e]


def _subject_bindings(r: Refined, value: Value,
                      extra: Mapping[str, Value] | None) -> dict[str, Value]:
    names = dict(extra or {})
    names.update({"it": value, "self": value, "result": value})
    if r.binder is not None:
        names[r.binder] = value
    return names


def refined_name(r: Refined) -> str:
    return r.name if r.name is not None else display(r.base) + "{…}"


# ================================================================ expressions


class ExprEncoder:
    """The pure expression forms; subclasses say what names and calls mean."""

    def __init__(self, universe: Universe, depth: int = 0) -> None:
        self.u = universe
        self.depth = depth
        self.subject: Value = None

    # -------------------------------------------------------------- hooks

    def name(self, e: ast.Name) -> Value:
        raise Unencodable(f"`{e.name}`")

    def call(self, e: ast.Call) -> Value:
        raise Unencodable(f"the call `{self.u.text(e)}`")

    def user_method(self, e: ast.MethodCall, receiver: Value, args: list[Value]) -> Value:
        raise Unencodable(f"the method call `{self.u.text(e)}`")

    def other(self, e: ast.Expr) -> Value:
        raise Unencodable(f"`{self.u.text(e)}`")

    def variant_of_field(self, e: ast.Field) -> Value:
        return None

    # -------------------------------------------------------------- core

    def boolean(self, e: ast.Expr) -> z3.BoolRef:
        v = self.expr(e)
        if not (isinstance(v, z3.ExprRef) and z3.is_bool(v)):
            raise Unencodable(f"`{self.u.text(e)}` as a condition")
        return v

    def expr(self, e: ast.Expr) -> Value:
        return self.encode(e)

    def encode(self, e: ast.Expr) -> Value:
        if isinstance(e, ast.IntLit):
            return z3.IntVal(e.value)
        if isinstance(e, ast.FloatLit):
            return z3.RealVal(repr(e.value))
        if isinstance(e, ast.BoolLit):
            return z3.BoolVal(e.value)
        if isinstance(e, ast.TextLit):
            return z3.StringVal(e.value)
        if isinstance(e, ast.CharLit):
            return z3.StringVal(e.value)
        if isinstance(e, ast.Paren):
            return self.expr(e.expr)
        if isinstance(e, ast.ImplicitSubject):
            if self.subject is None:
                raise Unencodable("an implicit subject outside a refinement")
            return self.subject
        if isinstance(e, ast.Name):
            return self.name(e)
        if isinstance(e, ast.Unary):
            return self.unary(e)
        if isinstance(e, ast.Binary):
            return self.binary(e)
        if isinstance(e, ast.Field):
            return self.field(e)
        if isinstance(e, ast.MethodCall):
            return self.method_call(e)
        if isinstance(e, ast.Call):
            return self.call(e)
        if isinstance(e, ast.Cast):
            return self.cast(e)
        if isinstance(e, ast.If):
            return self.if_expr(e)
        if isinstance(e, ast.Block) and not e.stmts and e.tail is not None:
            return self.expr(e.tail)
        return self.other(e)

    def unary(self, e: ast.Unary) -> Value:
        v = self.expr(e.operand)
        if e.op == "-" and isinstance(v, z3.ArithRef):
            return -v
        if e.op == "!" and isinstance(v, z3.BoolRef):
            return z3.Not(v)
        raise Unencodable(f"`{self.u.text(e)}`")

    def binary(self, e: ast.Binary) -> Value:
        a = self.expr(e.left)
        b = self.expr(e.right)
        return binary_term(e.op, a, b, lambda: self.u.text(e))

    def field(self, e: ast.Field) -> Value:
        variant = self.variant_of_field(e)
        if variant is not None:
            return variant
        target = self.expr(e.target)
        if isinstance(target, RecordVal):
            return self.u.field(target, e.name.name)
        return self.opaque_field(e)

    def opaque_field(self, e: ast.Field) -> Value:
        """A field of a value without a record encoding."""
        raise Unencodable(f"the field `{self.u.text(e)}`")

    def method_call(self, e: ast.MethodCall) -> Value:
        receiver = self.expr(e.receiver)
        args = [self.expr(a) for a in e.args]
        builtin = text_method(e, receiver, args)
        if builtin is not None:
            return builtin
        return self.user_method(e, receiver, args)

    def cast(self, e: ast.Cast) -> Value:
        v = self.expr(e.expr)
        target = self.u.text(e.type)
        if isinstance(v, z3.ArithRef):
            if target == "Float" and v.is_int():
                return z3.ToReal(v)
            if target in ("Int", *_SIZED) and v.is_real():
                return z3.If(v >= 0, z3.ToInt(v), -z3.ToInt(-v))
        return v

    def if_expr(self, e: ast.If) -> Value:
        c = self.boolean(e.condition)
        a = self.expr(e.then)
        if e.else_ is None:
            raise Unencodable("an `if` without `else` as a value")
        b = self.expr(e.else_)
        a, b = coerce_pair(a, b)
        if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef) and a.sort() == b.sort():
            return z3.If(c, a, b)
        raise Unencodable(f"`{self.u.text(e)}`")

    # -------------------------------------------------------------- unfolding

    def unfold(self, decl: ast.FnDecl, module: str, bindings: dict[str, Value]) -> Value:
        """The value of a `pure` function's single-expression body over `bindings`."""
        body = unfold_body(decl)
        if body is None or "pure" not in decl.modifiers:
            raise Unencodable(f"`{decl.name.name}` (only `pure` functions with a "
                              "single-expression body are unfolded)")
        if self.depth >= UNFOLD_DEPTH:
            raise Unencodable(f"`{decl.name.name}` (unfolding deeper than {UNFOLD_DEPTH})")
        enc = PredicateEncoder(self.u, module, bindings, None, self.depth + 1)
        return enc.expr(body)


def unfold_body(decl: ast.FnDecl) -> ast.Expr | None:
    body = decl.body
    if isinstance(body, ast.Block):
        if body.stmts or body.tail is None:
            return None
        return body.tail
    return body


def param_names(decl: ast.FnDecl) -> list[str | None]:
    out: list[str | None] = []
    for p in decl.params:
        if isinstance(p, ast.Param):
            out.append(p.pattern.name.name if isinstance(p.pattern, ast.IdentPat) else None)
    return out


def length_of(value: Value) -> z3.ArithRef | None:
    """`len(x)` of a Text or List value; None for anything else."""
    if isinstance(value, z3.SeqRef):
        return z3.Length(value)
    if isinstance(value, ListVal):
        return value.length
    return None


def coerce_pair(a: Value, b: Value) -> tuple[Value, Value]:
    """Int meets Float: the Int side becomes Real (a literal `0` beside a Float)."""
    if isinstance(a, z3.ArithRef) and isinstance(b, z3.ArithRef):
        if a.is_int() and b.is_real():
            return z3.ToReal(a), b
        if a.is_real() and b.is_int():
            return a, z3.ToReal(b)
    return a, b


def binary_term(op: str, a: Value, b: Value, text: Callable[[], str]) -> Value:
    if op in ("&&", "||"):
        if isinstance(a, z3.BoolRef) and isinstance(b, z3.BoolRef):
            return z3.And(a, b) if op == "&&" else z3.Or(a, b)
        raise Unencodable(f"`{text()}`")
    if isinstance(a, EnumVal) and isinstance(b, EnumVal) and op in ("==", "!="):
        return a.tag == b.tag if op == "==" else a.tag != b.tag
    if not (isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef)):
        raise Unencodable(f"`{text()}`")
    return _scalar_term(op, *coerce_pair(a, b), text)


def _scalar_term(op: str, a: z3.ExprRef, b: z3.ExprRef, text: Callable[[], str]) -> Value:
    if a.sort() != b.sort():
        raise Unencodable(f"`{text()}` (operands of different kinds)")
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if isinstance(a, z3.SeqRef):
        if op == "+":
            return z3.Concat(a, b)
        raise Unencodable(f"`{text()}`")
    if isinstance(a, z3.BoolRef):
        raise Unencodable(f"`{text()}`")
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op in ("/", "%"):
        if a.is_real():
            if op == "%":
                raise Unencodable(f"`{text()}` (Float remainder)")
            return a / b
        # Python's floor division: for b < 0, a // b == (-a) div (-b) in SMT-LIB.
        q = z3.If(b >= 0, a / b, (-a) / (-b))
        return q if op == "/" else a - b * q
    raise Unencodable(f"the operator `{op}` in `{text()}`")


def text_method(e: ast.MethodCall, receiver: Value, args: list[Value]) -> Value:
    """`len`, `is_empty`, `starts_with`, `ends_with`, `contains`, `matches` on Text
    (and `len`/`is_empty` on List); None when it is not one of them."""
    m = e.method.name
    if isinstance(receiver, ListVal):
        if m == "len" and not args:
            return receiver.length
        if m == "is_empty" and not args:
            return receiver.length == 0
        return None
    if not (isinstance(receiver, z3.SeqRef)):
        if isinstance(receiver, z3.ArithRef) and m == "abs" and not args:
            return z3.If(receiver < 0, -receiver, receiver)
        return None
    if m == "len" and not args:
        return z3.Length(receiver)
    if m == "is_empty" and not args:
        return z3.Length(receiver) == 0
    if len(args) == 1 and isinstance(args[0], z3.SeqRef):
        if m == "starts_with":
            return z3.PrefixOf(args[0], receiver)
        if m == "ends_with":
            return z3.SuffixOf(args[0], receiver)
        if m == "contains":
            return z3.Contains(receiver, args[0])
    if m == "matches" and len(e.args) == 1:
        pat = e.args[0]
        if not isinstance(pat, ast.TextLit):
            raise Unencodable("`matches` with a pattern that is not a literal")
        return z3.InRe(receiver, regex_to_z3(pat.value))
    return None


# ================================================================ predicates


class PredicateEncoder(ExprEncoder):
    """A refinement predicate, contract or unfolded body: names bound by `bindings`.

    Other names are sibling record fields (for a field's refinement), then
    module constants, variants and `pure` functions of the predicate's module.
    """

    def __init__(self, universe: Universe, module: str, bindings: Mapping[str, Value],
                 siblings: RecordVal | None, depth: int) -> None:
        super().__init__(universe, depth)
        self.module = module
        self.bindings = bindings
        self.siblings = siblings
        self.subject = bindings.get("it")

    def name(self, e: ast.Name) -> Value:
        if e.name in self.bindings:
            v = self.bindings[e.name]
            if v is None:
                raise Unencodable(f"`{e.name}` (a value the verifier cannot represent)")
            return v
        if self.siblings is not None:
            fields = self.u.checked.world.record_fields(self.siblings.type) or {}
            if e.name in fields:
                return self.u.field(self.siblings, e.name)
        found = self.u.program.lookup(self.module, e.name)
        decl = getattr(found, "decl", None)
        if isinstance(decl, ast.FnDecl) and self.subject is not None:
            # `type Small is Int where is_small;`: the named predicate applied to the value.
            return self.unfold(decl, getattr(found, "module", self.module),
                               bind_params(decl, [self.subject], None))
        if isinstance(decl, ast.ConstDecl) and decl.value is not None:
            return PredicateEncoder(self.u, getattr(found, "module", self.module), {}, None,
                                    self.depth + 1).expr(decl.value)
        raise Unencodable(f"`{e.name}`")

    def field(self, e: ast.Field) -> Value:
        # `self.lo` inside a field's refinement names a sibling field.
        if isinstance(e.target, ast.Name) and e.target.name in ("self", "it") \
                and self.siblings is not None and not isinstance(self.bindings.get("self"),
                                                                  RecordVal):
            fields = self.u.checked.world.record_fields(self.siblings.type) or {}
            if e.name.name in fields:
                return self.u.field(self.siblings, e.name.name)
        return super().field(e)

    def variant_of_field(self, e: ast.Field) -> Value:
        if not isinstance(e.target, ast.Name) or e.target.name in self.bindings:
            return None
        found = self.u.program.lookup(self.module, e.target.name)
        decl = getattr(found, "decl", None)
        if isinstance(decl, ast.TypeDecl) and isinstance(decl.body, ast.SumType):
            for i, v in enumerate(decl.body.variants):
                if v.name.name == e.name.name:
                    return self.u.enum_value(Named(getattr(found, "module", self.module),
                                                   decl.name.name), i)
        return None

    def call(self, e: ast.Call) -> Value:
        args = [self.expr(a) for a in e.args]
        if isinstance(e.callee, ast.Name):
            if e.callee.name == "len" and len(args) == 1:
                n = length_of(args[0])
                if n is not None:
                    return n
            found = self.u.program.lookup(self.module, e.callee.name)
            decl = getattr(found, "decl", None)
            if isinstance(decl, ast.FnDecl):
                module = getattr(found, "module", self.module)
                return self.unfold(decl, module, bind_params(decl, args, None))
        raise Unencodable(f"the call `{self.u.text(e)}`")

    def user_method(self, e: ast.MethodCall, receiver: Value, args: list[Value]) -> Value:
        raise Unencodable(f"the method call `{self.u.text(e)}` in a predicate")


def bind_params(decl: ast.FnDecl, args: list[Value], receiver: Value) -> dict[str, Value]:
    bindings: dict[str, Value] = {}
    for name, value in zip(param_names(decl), args, strict=False):
        if name is not None:
            bindings[name] = value
    if receiver is not None:
        bindings["self"] = receiver
    return bindings

