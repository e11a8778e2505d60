"""Expressions and statements: the bidirectional core of stage 4.

`expr(e, expected)` computes the type of `e`, using `expected` (when given)
to type literals, closures, constructors and empty collections, but never
reporting a mismatch with it: the caller does that with `coerce`, which
knows what the expectation came from ("`find` expects", "the annotation
expects"). Every expression's type is recorded by node identity.

`.await` is allowed in async fns, async closures and async blocks, and, as
the seed's hello world does it, in the entry `fn main` (E1206 elsewhere).
"""

from __future__ import annotations

from weftc.diagnostics import Label
from weftc.resolve.scopes import Binding, Scope, new_local
from weftc.resolve.symbols import ConstSym, FieldSym, FnSym, VariantSym
from weftc.syntax import ast
from weftc.typecheck.base import FnCtx
from weftc.typecheck.checked import ParamSig, Signature
from weftc.typecheck.exhaustive import Space, missing_patterns, reachable
from weftc.typecheck.paths import ContextPath, ModulePath, TypePath
from weftc.typecheck.patterns import Patterns
from weftc.types import model as m
from weftc.types.model import (
    BOOL,
    CHAR,
    FLOAT,
    INT,
    NEVER,
    TEXT,
    UNIT,
    UNKNOWN,
    FnT,
    FutureT,
    Named,
    Prim,
    Ref,
    TupleT,
    Type,
    list_of,
)

ITERATOR = Named(m.PRELUDE, "Iterator")  # what `for` accepts besides List and Map
_ARITH = {"+", "-", "*", "/", "%", "**"}
_BITS = {"&", "|", "^", "<<", ">>"}
_ORDER = {"<", "<=", ">", ">="}


class Exprs(Patterns):
    def expr(self, e: ast.Expr, expected: Type | None = None) -> Type:
        return self.record(e, self._expr(e, expected))

    def _expr(self, e: ast.Expr, expected: Type | None) -> Type:
        if isinstance(e, ast.IntLit):
            if e.suffix:
                return Prim(m.INT_SUFFIXES.get(e.suffix, "Int"))
            want = self.subst.shallow(expected) if expected is not None else None
            if isinstance(want, Prim) and want.name in m.INTEGERS:
                return want
            return INT
        if isinstance(e, ast.FloatLit):
            return FLOAT
        if isinstance(e, ast.BoolLit):
            return BOOL
        if isinstance(e, (ast.TextLit, ast.FString, ast.RouteLiteral)):
            for part in getattr(e, "parts", ()):
                if isinstance(part, ast.FStringExpr):
                    self.expr(part.expr)
            return TEXT
        if isinstance(e, ast.CharLit):
            return CHAR
        if isinstance(e, ast.ByteLit):
            return Prim("UInt8")
        if isinstance(e, ast.ByteStringLit):
            return list_of(Prim("UInt8"))
        if isinstance(e, ast.Name):
            return self.name_value(e, expected)
        if isinstance(e, ast.Paren):
            return self.expr(e.expr, expected)
        if isinstance(e, ast.Field):
            return self.field(e, expected)
        if isinstance(e, ast.TupleIndex):
            return self.tuple_index(e)
        if isinstance(e, ast.Call):
            return self.call(e, expected)
        if isinstance(e, ast.MethodCall):
            return self.method_call(e, expected)
        if isinstance(e, ast.Await):
            return self.await_(e)
        if isinstance(e, ast.Try):
            return self.try_(e)
        if isinstance(e, ast.Cast):
            return self.cast(e)
        if isinstance(e, ast.Unary):
            return self.unary(e, expected)
        if isinstance(e, ast.Binary):
            return self.binary(e, expected)
        if isinstance(e, ast.Assign):
            return self.assign(e)
        if isinstance(e, ast.Tuple):
            return self.tuple_(e, expected)
        if isinstance(e, ast.ArrayLit):
            return self.array(e, expected)
        if isinstance(e, ast.ArrayRepeat):
            self.check(e.count, INT, "arg", "an array length must be")
            return list_of(self.expr(e.value))
        if isinstance(e, ast.RecordLit):
            return self.record_lit(e, expected)
        if isinstance(e, ast.Block):
            return self.block(e, expected)
        if isinstance(e, (ast.UnsafeBlock,)):
            return self.block(e.body, expected)
        if isinstance(e, ast.If):
            return self.if_(e, expected)
        if isinstance(e, ast.Match):
            return self.match(e, expected)
        if isinstance(e, ast.Loop):
            self.fn.loops.append(self.subst.fresh())
            self.block(e.body, UNIT)
            brk = self.fn.loops.pop()
            return NEVER if isinstance(self.subst.resolve(brk), m.Var) else brk
        if isinstance(e, ast.While):
            outer = self.scope
            self.scope = outer.child()
            self.check(e.condition, BOOL, "cond", "a `while` condition must be")
            self.fn.loops.append(UNIT)
            self.block(e.body, UNIT)
            self.fn.loops.pop()
            self.scope = outer
            return UNIT
        if isinstance(e, ast.For):
            return self.for_(e)
        if isinstance(e, ast.Return):
            return self.return_(e)
        if isinstance(e, ast.Break):
            if e.value is not None:
                target = self.fn.loops[-1] if self.fn.loops else UNKNOWN
                self.check(e.value, target, "break", "the loop's value must be")
            elif self.fn.loops:
                self.subst.unify(self.fn.loops[-1], UNIT)
            return NEVER
        if isinstance(e, ast.Continue):
            return NEVER
        if isinstance(e, ast.Closure):
            return self.closure(e, expected)
        if isinstance(e, ast.AsyncBlock):
            saved = self.fn
            self.fn = FnCtx(saved.name, self.subst.fresh(), True, loops=[],
                           qualified=saved.qualified)
            t = self.block(e.body, None)
            self.fn = saved
            return FutureT(t)
        if isinstance(e, ast.Spawn):
            self.expr(e.expr)
            return UNKNOWN
        if isinstance(e, ast.Range):
            elem: Type = INT
            for end in (e.start, e.end):
                if end is not None:
                    elem = m.strip_refinement(self.expr(end))
            return list_of(elem)
        if isinstance(e, ast.IsPattern):
            t = self.expr(e.expr)
            outer = self.scope
            self.scope = outer.child()
            self.pattern(e.pattern, t)
            self.scope = outer
            return BOOL
        if isinstance(e, ast.LetCondition):
            t = self.expr(e.value)
            self.pattern(e.pattern, t)
            return BOOL
        if isinstance(e, ast.TypeApplication):
            self.err("E1102", f"`{self.src(e)}` is a type, not a value", e.span)
            return UNKNOWN
        if isinstance(e, ast.MethodRef):
            self.err("E1208", "`.method(..)` without a receiver is only allowed after `|>`",
                     e.span)
            return UNKNOWN
        return UNKNOWN

    # ------------------------------------------------------------ members

    def field(self, e: ast.Field, expected: Type | None) -> Type:
        target = self.path_target(e.target)
        name = e.name.name
        if isinstance(target, TypePath):
            st = self.subst.shallow(target.type)
            if isinstance(st, Named):
                for i, v in enumerate(self.world.variants(st) or ()):
                    if v.name.name == name:
                        if expected is not None:
                            want = self.subst.shallow(expected)
                            if isinstance(want, Named) and want.qualified == st.qualified:
                                self.subst.unify(st, want)
                        return self.variant_value(st, v, i, e)
                for impl in self.world.impls_of(st):
                    if name in impl.consts:
                        c = impl.consts[name]
                        self.symbols[id(e)] = ConstSym(impl.module, name, c, st.qualified)
                        return self.const_type(c, impl.module)
            entries = self.world.find_method(st, name)
            if entries:
                sig = self.method_sig(entries[0])
                self.symbols[id(e)] = FnSym(entries[0].module, name, entries[0].decl, sig.kind,
                                            entries[0].owner)
                params, ret = self.instantiate(sig, entries[0], st, ())
                if sig.self_kind is not None:
                    params = [st, *params]
                return FnT(tuple(params), ret.result if isinstance(ret, FutureT) else ret,
                           sig.is_async)
            self.err("E1203", f"no variant, constant or function `{name}` on type "
                     f"{self.show(st)}", e.name.span, notes=self._guess(
                         name, [v.name.name for v in (self.world.variants(st) or ())]
                         if isinstance(st, Named) else []))
            return UNKNOWN
        if isinstance(target, ContextPath):
            decl = target.sym.decl
            assert isinstance(decl, ast.ContextDecl)
            for member in decl.members:
                if isinstance(member, ast.ConstDecl) and member.name.name == name:
                    self.symbols[id(e)] = ConstSym(target.sym.module, name, member,
                                                   target.sym.qualified)
                    return self.const_type(member, target.sym.module)
            self.err("E1203", f"context `{target.sym.name}` has no constant `{name}`",
                     e.name.span, labels=[Label(decl.name.span, "context declared here")])
            return UNKNOWN
        if isinstance(target, ModulePath):
            info = self.program.modules.get(target.module)
            found = info.exports.get(name) if info is not None else None
            from weftc.modules import Symbol
            if isinstance(found, Symbol):
                return self.symbol_value(found, e)
            self.err("E1101", f"`{name}` not found in module `{target.module}`", e.name.span)
            return UNKNOWN
        t = self.expr(e.target)
        s = self.subst.shallow(t)
        if isinstance(s, (m.Unknown, m.Var)):
            return UNKNOWN
        if isinstance(s, Named):
            fields = self.world.record_fields(s)
            if fields is not None and name in fields:
                self.symbols[id(e)] = FieldSym(s.qualified, name)
                return fields[name][0]
            pool = list(fields or {})
            self.err("E1203", f"type {self.show(s)} has no field `{name}`", e.name.span,
                     notes=self._guess(name, pool) or (
                         [f"`{name}` is a method: call it with `.{name}()`"]
                         if self.world.find_method(s, name) else []))
            return UNKNOWN
        self.err("E1203", f"type {self.show(s)} has no field `{name}`", e.name.span)
        return UNKNOWN

    def tuple_index(self, e: ast.TupleIndex) -> Type:
        s = self.subst.shallow(self.expr(e.target))
        elems: tuple[Type, ...] | None = None
        if isinstance(s, TupleT):
            elems = s.elements
        elif isinstance(s, Named):
            elems = self.world.tuple_fields(s)
        elif isinstance(s, (m.Unknown, m.Var)):
            return UNKNOWN
        if elems is None or e.index >= len(elems):
            self.err("E1203", f"type {self.show(s)} has no field `{e.index}`", e.span)
            return UNKNOWN
        return elems[e.index]

    # ------------------------------------------------------------ postfix operators

    def await_(self, e: ast.Await) -> Type:
        if not self.fn.is_async and not self.fn.entry_main:
            self.err("E1206", "`.await` is only allowed inside `async fn`, async closures and "
                     "async blocks", e.span, notes=[f"`{self.fn.name}` is not async"],
                     help="declare the function `async fn`")
        t = self.subst.shallow(self.expr(e.target))
        if isinstance(t, FutureT):
            return t.result
        if not isinstance(t, (m.Unknown, m.Var)) and t != NEVER:
            self.err("E1213", f"`{self.src(e.target)}` has type {self.show(t)}, which is not a "
                     "future; only calls of async functions can be awaited", e.span)
        return UNKNOWN if not isinstance(t, Prim) else t

    def try_(self, e: ast.Try) -> Type:
        t = self.subst.shallow(self.expr(e.target))
        ret = self.subst.shallow(self.fn.ret)
        if isinstance(t, (m.Unknown,)) or t == NEVER:
            return UNKNOWN
        if isinstance(t, Named) and t.qualified == "core.prelude.Result":
            ok, bad = t.args[0], t.args[1]
            if isinstance(ret, m.Var):
                self.subst.unify(ret, m.result(self.subst.fresh(), bad))
                return ok
            if isinstance(ret, Named) and ret.qualified == "core.prelude.Result":
                if not self.subst.unify(bad, ret.args[1]):
                    self.err("E1205", f"`?` would return the error {self.show(bad)}, but "
                             f"`{self.fn.name}` returns errors of type {self.show(ret.args[1])}",
                             e.span, help="convert it first: `.map_err(|e| ...)?`")
                return ok
            if self.fn.throws or isinstance(ret, m.Unknown):
                return ok
            self.err("E1205", f"`?` on a Result needs a function returning Result; "
                     f"`{self.fn.name}` returns {self.show(ret)}", e.span,
                     help="change the return type to `Result<..., ...>` or handle the error "
                     "with `match`")
            return ok
        if isinstance(t, Named) and t.qualified == "core.prelude.Maybe":
            if isinstance(ret, m.Var):
                self.subst.unify(ret, m.maybe(self.subst.fresh()))
            elif not (isinstance(ret, Named) and ret.qualified == "core.prelude.Maybe") \
                    and not isinstance(ret, m.Unknown):
                self.err("E1205", f"`?` on a Maybe needs a function returning Maybe; "
                         f"`{self.fn.name}` returns {self.show(ret)}", e.span,
                         help="use `match` or `.ok_or(err)?` to turn None into an error")
            return t.args[0]
        if isinstance(t, m.Var):
            return UNKNOWN
        self.err("E1205", f"`?` needs a Result or a Maybe; `{self.src(e.target)}` has type "
                 f"{self.show(t)}", e.span,
                 notes=["this is a future: add `.await` before `?`"]
                 if isinstance(t, FutureT) else [])
        return UNKNOWN

    def cast(self, e: ast.Cast) -> Type:
        src = self.subst.shallow(self.expr(e.expr))
        target = self.lower(e.type)
        dst = self.subst.shallow(target)
        okay = {"Char", "Bool"} | m.NUMERIC
        if isinstance(src, (m.Unknown, m.Var)) or isinstance(dst, m.Unknown):
            return target
        if isinstance(src, Prim) and isinstance(dst, Prim) and src.name in okay \
                and dst.name in m.NUMERIC | {"Char"} and not (src.name == "Bool"
                                                             and dst.name == "Float"):
            w = self.subst.resolve(target)
            if isinstance(w, m.Refined):
                from weftc.typecheck.checked import Obligation
                self.obligations.append(Obligation(e.span, e.expr, w, "cast",
                                                    self.fn.qualified or self.fn.name))
            return target
        self.err("E1209", f"cannot cast {self.show(src)} to {self.show(target)}: `as` converts "
                 "between numeric types only", e.span)
        return target

    def unary(self, e: ast.Unary, expected: Type | None) -> Type:
        if e.op in ("&", "&mut"):
            want = self.subst.shallow(expected) if expected is not None else None
            return Ref(self.expr(e.operand, want), e.op == "&mut")
        t = self.expr(e.operand, expected)
        s = self.subst.shallow(t)
        if e.op == "*":
            r = self.subst.resolve(t)
            return r.inner if isinstance(r, Ref) else t
        if isinstance(s, (m.Unknown, m.Var)):
            return s
        if e.op == "-" and isinstance(s, Prim) and s.name in m.NUMERIC:
            return s
        if e.op == "!" and (s == BOOL or (isinstance(s, Prim) and s.name in m.INTEGERS)):
            return s
        if e.op == "~" and isinstance(s, Prim) and s.name in m.INTEGERS:
            return s
        self.err("E1214", f"operator `{e.op}` cannot be applied to {self.show(s)}", e.span)
        return UNKNOWN

    def binary(self, e: ast.Binary, expected: Type | None) -> Type:
        op = e.op
        if op in ("&&", "||"):
            self.check(e.left, BOOL, "cond", f"`{op}` expects")
            self.check(e.right, BOOL, "cond", f"`{op}` expects")
            return BOOL
        if op == "??":
            lt = self.subst.shallow(self.expr(e.left))
            inner: Type = UNKNOWN
            if isinstance(lt, Named) and lt.qualified == "core.prelude.Maybe":
                inner = lt.args[0]
            elif not isinstance(lt, (m.Unknown, m.Var)):
                self.err("E1214", f"`??` needs a Maybe on its left; found {self.show(lt)}",
                         e.left.span)
            self.check(e.right, inner, "arg", "the default must have the Maybe's type")
            return inner
        if op == "|>":
            lt = self.expr(e.left)
            if isinstance(e.right, ast.MethodRef):
                return self.record(e.right, self.call_method_on(
                    lt, e.right.method, e.right.type_args, e.right.args, e.right, expected))
            ft = self.expr(e.right)
            s = self.subst.shallow(ft)
            if isinstance(s, FnT) and len(s.params) == 1:
                self.coerce(e.left, lt, s.params[0], "arg", f"`{self.src(e.right)}` expects")
                return s.ret
            if not isinstance(s, (m.Unknown, m.Var)):
                self.err("E1208", f"the right side of `|>` must be a one-argument function; "
                         f"found {self.show(s)}", e.right.span)
            return UNKNOWN
        lt = m.strip_refinement(self.subst.resolve(self.expr(e.left)))
        ls = self.subst.shallow(lt)
        rt = self.expr(e.right, ls)
        rs = self.subst.shallow(rt)
        if isinstance(ls, (m.Unknown, m.Var)) or isinstance(rs, (m.Unknown,)):
            self.subst.unify(lt, rt)
            return BOOL if op in _ORDER | {"==", "!="} else ls
        if not self.subst.unify(ls, rs):
            self.err("E1201", f"`{self.src(e.right)}` has type {self.show(rs)} here; `{op}` "
                     f"with {self.show(ls)} on its left expects {self.show(ls)}", e.right.span)
            return BOOL if op in _ORDER | {"==", "!="} else UNKNOWN
        if op in ("==", "!="):
            return BOOL
        name = ls.name if isinstance(ls, Prim) else None
        if op in _ORDER:
            if name in m.NUMERIC | {"Text", "Char"}:
                return BOOL
        elif op in _ARITH:
            if name in m.NUMERIC or (op == "+" and name == "Text"):
                return ls
        elif op in _BITS:
            if name in m.INTEGERS or (name == "Bool" and op in ("&", "|", "^")):
                return ls
        self.err("E1214", f"operator `{op}` cannot be applied to {self.show(ls)}", e.span)
        return UNKNOWN

    def assign(self, e: ast.Assign) -> Type:
        target = self.expr(e.target)
        if e.op == "=":
            self.check(e.value, target, "let", f"`{self.src(e.target)}` has type")
            return UNIT
        op = ast.Binary(e.span, e.op[:-1], e.target, e.value)
        self._keep.append(op)
        self.binary(op, None)
        return UNIT

    # ------------------------------------------------------------ aggregates

    def tuple_(self, e: ast.Tuple, expected: Type | None) -> Type:
        if not e.elements:
            return UNIT
        want = self.subst.shallow(expected) if expected is not None else None
        hints: tuple[Type | None, ...] = want.elements if isinstance(want, TupleT) and \
            len(want.elements) == len(e.elements) else (None,) * len(e.elements)
        return TupleT(tuple(self.expr(x, h) for x, h in zip(e.elements, hints, strict=True)))

    def array(self, e: ast.ArrayLit, expected: Type | None) -> Type:
        want = self.subst.shallow(expected) if expected is not None else None
        elem: Type = want.args[0] if isinstance(want, Named) and want.args and \
            want.qualified == "core.prelude.List" else self.subst.fresh()
        for x in e.elements:
            self.check(x, elem, "arg", "the list's elements have type")
        return list_of(elem)

    def record_lit(self, e: ast.RecordLit, expected: Type | None) -> Type:
        v = None
        target: TypePath | None = None
        names = [s.name for s in e.path.segments]
        if len(names) > 1:
            v = self._resolve_variant(e.path, expected or self.subst.fresh())
        else:
            head = ast.Name(e.path.span, names[0])
            self._keep.append(head)
            found = self.path_target(head)
            target = found if isinstance(found, TypePath) else None
            if target is None:
                bv = self.bare_variant(names[0], expected)
                if bv is not None:
                    self.check_bare_allowed(bv, e)
                    v = (bv.type, bv.variant, bv.index)
        fields: dict[str, tuple[Type, ast.FieldDecl]] | None
        if v is not None:
            result: Type = v[0]
            self.symbols[id(e)] = VariantSym(v[0].module, v[0].name, v[1].name.name, v[2])
            fields = self.world.variant_fields(v[0], v[1]) if v[1].fields is not None else None
            label, kind = f"{v[0].name}.{v[1].name.name}", "variant"
        elif target is not None:
            result = target.type
            if id(head) in self.symbols:
                self.symbols[id(e)] = self.symbols[id(head)]
            st = self.subst.shallow(result)
            fields = self.world.record_fields(st) if isinstance(st, Named) else None
            label, kind = e.path.dotted, "field"
        else:
            self.err("E1101", f"unknown record type `{e.path.dotted}`", e.path.span,
                     notes=self._guess(names[-1], self.world.visible_names(self.module)))
            for f in e.fields:
                if f.value is not None:
                    self.expr(f.value)
            return UNKNOWN
        if expected is not None:
            want = self.subst.shallow(expected)
            st = self.subst.shallow(result)
            if isinstance(want, Named) and isinstance(st, Named) and want.qualified == st.qualified:
                self.subst.unify(st, want)
        if fields is None:
            self.err("E1102", f"`{label}` is not a record; it cannot be built with `{{ ... }}`",
                     e.path.span)
            return result
        if e.base is not None:
            self.check(e.base, result, "field", "`..` expects")
        owner = self.subst.shallow(result)
        seen: set[str] = set()
        for f in e.fields:
            name = f.name.name
            if name not in fields:
                self.err("E1203", f"`{label}` has no field `{name}`", f.name.span,
                         notes=self._guess(name, list(fields)))
                if f.value is not None:
                    self.expr(f.value)
                continue
            seen.add(name)
            ft, fdecl = fields[name]
            if isinstance(owner, Named):
                self.symbols[id(f)] = FieldSym(owner.qualified, name)
            value = f.value if f.value is not None else ast.Name(f.name.span, name)
            if f.value is None:
                self._keep.append(value)
            self.check(value, ft, kind, f"field `{name}` of `{label}` expects",
                       [Label(fdecl.span, "field declared here")])
            if f.value is None and id(value) in self.symbols:
                self.symbols[id(f.name)] = self.symbols[id(value)]
        missing = [k for k, (_, d) in fields.items()
                   if k not in seen and d.default is None]
        if missing and e.base is None:
            self.err("E1204", f"missing field{'s' if len(missing) > 1 else ''} "
                     f"{', '.join(f'`{k}`' for k in missing)} in `{label}`", e.path.span,
                     labels=[Label(fields[missing[0]][1].span, "declared here")])
        return result

    # ------------------------------------------------------------ blocks and control flow

    def block(self, b: ast.Block, expected: Type | None) -> Type:
        outer = self.scope
        self.scope = outer.child()
        outer_items = self.items
        self.items = Scope(outer_items)
        try:
            for item in (s.item for s in b.stmts if isinstance(s, ast.ItemStmt)):
                self.declare_nested(item)
            diverges = False
            for s in b.stmts:
                if self.stmt(s) == NEVER:
                    diverges = True
            if b.tail is not None:
                t = self.expr(b.tail, expected)
                return self.record(b, t)
            return self.record(b, NEVER if diverges else UNIT)
        finally:
            self.scope = outer
            self.items = outer_items

    def stmt(self, s: ast.Stmt) -> Type:
        if isinstance(s, ast.LetStmt):
            declared = self.lower(s.type) if s.type is not None else None
            if s.value is not None:
                if declared is not None:
                    vt = self.check(s.value, declared, "let", "the annotation expects")
                else:
                    vt = self.expr(s.value)
            else:
                vt = declared or self.subst.fresh()
            if s.else_block is not None:
                self.block(s.else_block, None)
            self.pattern(s.pattern, declared if declared is not None else vt)
            return NEVER if self.subst.shallow(vt) == NEVER and s.value is not None else UNIT
        if isinstance(s, ast.ExprStmt):
            t = self.expr(s.expr, UNIT if not s.semicolon else None)
            return NEVER if self.subst.shallow(t) == NEVER else UNIT
        if isinstance(s, ast.ProvideStmt):
            for b in s.bindings:
                self.provided_context(b)
            if s.body is not None:
                self.block(s.body, None)
            return UNIT
        return UNIT

    def provided_context(self, b: ast.ProvideBinding) -> None:
        self.expr(b.value)
        if not isinstance(b.context, ast.PathType):
            return
        head = ast.Name(b.context.span, b.context.path.segments[0].name)
        self._keep.append(head)
        target = self.path_target(head) if len(b.context.path.segments) == 1 else None
        if target is None and len(b.context.path.segments) == 1:
            self.unknown_name(head.name, b.context)
        elif target is not None and not isinstance(target, ContextPath):
            self.err("E1102", f"`{b.context.path.dotted}` is not a context; `provide` needs one",
                     b.context.span)
        if id(head) in self.symbols:
            self.symbols[id(b)] = self.symbols[id(head)]

    def declare_nested(self, item: ast.Item) -> None:
        if isinstance(item, ast.FnDecl):
            sig = self.signature(item, self.module, kind="nested", owner=None)
            sym = FnSym(self.module, item.name.name, item, "nested")
            binding = Binding(sym, FnT(tuple(p.type for p in sig.params), sig.ret, sig.is_async))
            self.scope.bind(item.name.name, binding)
            self.items.bind(item.name.name, binding)
            self.nested.append((item, self.module, self.items))
        elif isinstance(item, ast.ConstDecl):
            t = self.lower(item.type) if item.type is not None else None
            vt = self.check(item.value, t, "let", "the annotation expects") \
                if item.value is not None and t is not None else \
                self.expr(item.value) if item.value is not None else UNKNOWN
            local = new_local(item.name.name, item.name.span)
            self.scope.bind(item.name.name, Binding(local, t or vt))
            self.items.bind(item.name.name, self.scope.names[item.name.name])

    # Nested fns are checked after their enclosing body, seeing only the items
    # (fns, consts) declared in the blocks around them, not the locals.
    nested: list[tuple[ast.FnDecl, str, Scope]]
    items: Scope

    def if_(self, e: ast.If, expected: Type | None) -> Type:
        outer = self.scope
        self.scope = outer.child()
        self.check(e.condition, BOOL, "cond", "an `if` condition must be")
        then = self.block(e.then, expected if e.else_ is not None else None)
        self.scope = outer
        if e.else_ is None:
            return UNIT
        other = self.expr(e.else_, expected or then)
        if self.subst.shallow(then) == NEVER:
            return other
        if self.subst.shallow(other) != NEVER and expected is None:
            self.coerce(e.else_, other, then, "branch", "the `if` branch before has type")
        if expected is None:
            return then
        # The branches were inferred, not proven, against a refined expectation:
        # the `if` is the flow into it (stage 5 proves it branch by branch).
        want = self.subst.resolve(expected)
        return m.strip_refinement(want) if isinstance(want, m.Refined) else expected

    def match(self, e: ast.Match, expected: Type | None) -> Type:
        st = self.expr(e.scrutinee)
        result: Type | None = expected
        rows: list[Space] = []
        outer = self.scope
        for arm in e.arms:
            self.scope = outer.child()
            space = self.pattern(arm.pattern, st)
            if arm.guard is not None:
                self.check(arm.guard, BOOL, "cond", "a guard must be")
            if not reachable(rows, space):
                self.warn("W1201", "unreachable match arm: the arms above cover every value it "
                          "matches", arm.pattern.span)
            if arm.guard is None:
                rows.append(space)
            if result is None:
                t = self.expr(arm.body)
                if self.subst.shallow(t) != NEVER:
                    result = t
            else:
                self.check(arm.body, result, "branch", "the match arms before have type"
                           if expected is None else "the match must produce")
            self.scope = outer
        missing = missing_patterns(rows)
        if missing:
            shown = ", ".join(f"`{x}`" for x in missing)
            self.err("E1207", f"non-exhaustive match: missing {shown}", e.scrutinee.span,
                     notes=[f"the matched value has type {self.show(st)}"],
                     help="add an arm for each missing pattern, or `_ => ...`")
        return result if result is not None else NEVER

    def for_(self, e: ast.For) -> Type:
        it = self.subst.shallow(self.expr(e.iterable))
        elem: Type = UNKNOWN
        if isinstance(it, Named) and it.qualified == "core.prelude.List" and it.args:
            elem = it.args[0]
        elif isinstance(it, Named) and it.qualified == "core.prelude.Map" and len(it.args) == 2:
            elem = TupleT(it.args)
        elif not isinstance(it, (m.Unknown, m.Var, m.AssocT)) \
                and self.world.implements(it, ITERATOR.qualified):
            elem = self.world.project(it, "Item", ITERATOR)
        elif not isinstance(it, (m.Unknown, m.Var)):
            self.err("E1214", f"cannot iterate over a value of type {self.show(it)}",
                     e.iterable.span)
        outer = self.scope
        self.scope = outer.child()
        self.pattern(e.pattern, elem)
        self.fn.loops.append(UNIT)
        self.block(e.body, UNIT)
        self.fn.loops.pop()
        self.scope = outer
        return UNIT

    def return_(self, e: ast.Return) -> Type:
        labels = [Label(self.fn.ret_span, "return type declared here")] if self.fn.ret_span else []
        if e.value is None:
            if not self.subst.unify(self.fn.ret, UNIT):
                self.err("E1211", f"`return` without a value in `{self.fn.name}`, which returns "
                         f"{self.show(self.fn.ret)}", e.span, labels=labels)
            return NEVER
        self.check(e.value, self.fn.ret, "return", f"`{self.fn.name}` returns", labels,
                   code="E1211")
        return NEVER

    def closure(self, e: ast.Closure, expected: Type | None) -> Type:
        want = self.subst.shallow(expected) if expected is not None else None
        hint = want if isinstance(want, FnT) and len(want.params) == len(e.params) else None
        outer = self.scope
        self.scope = Scope(outer)
        params: list[Type] = []
        sigs: list[ParamSig] = []
        for i, p in enumerate(e.params):
            t = self.lower(p.type) if p.type is not None else \
                hint.params[i] if hint is not None else self.subst.fresh()
            params.append(t)
            self.pattern(p.pattern, t)
            sigs.append(ParamSig(self.src(p.pattern), t, p.span, p.pattern))
        ret = self.lower(e.ret) if e.ret is not None else \
            (hint.ret if hint is not None else self.subst.fresh())
        if e.is_async and isinstance(self.subst.shallow(ret), FutureT):
            inner = self.subst.shallow(ret)
            assert isinstance(inner, FutureT)
            ret = inner.result
        saved = self.fn
        self.fn = FnCtx(saved.name, ret, e.is_async, loops=[], throws=saved.throws,
                       qualified=saved.qualified)
        body = self.expr(e.body, ret)
        self.coerce(e.body, body, ret, "return", "the closure returns")
        self.fn = saved
        self.scope = outer
        self.signatures[id(e)] = Signature("<closure>", f"{saved.name}.<closure>", self.module,
                                           e, "closure", tuple(sigs), ret, e.is_async, (), None,
                                           None, None, ())
        return FnT(tuple(params), ret, e.is_async)
