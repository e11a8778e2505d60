"""Calls: functions, methods, static functions, constructors and context operations.

A call instantiates the callee's generics (its own, its implement block's,
or a protocol's `Self`) with fresh inference variables, binds the block's
variables by unifying its target with the receiver type, checks each
argument against its parameter (arguments that flow into refined
parameters become obligations) and gives the instantiated result; calling
an async function gives a `Future` of it. Overloads (`@overload`) are chosen
by argument count, then by the first whose parameter types fit.

Handlers: an argument for a parameter named `handler` of a bare generic
type must be a `Handler` or a function whose (awaited) result implements
`IntoResponse`; that is how `Router.route(path, method, f)` checks `f`.
"""

from __future__ import annotations

from weftc.diagnostics import Label
from weftc.modules import Symbol
from weftc.modules.suggest import closest
from weftc.resolve.symbols import FnSym, TypeSym, VariantSym
from weftc.resolve.world import MethodEntry, substitute
from weftc.syntax import ast
from weftc.typecheck.checked import Signature
from weftc.typecheck.paths import ContextPath, ModulePath, Paths, TypePath
from weftc.types import model as m
from weftc.types.model import UNKNOWN, FnT, FutureT, Named, Type, TypeVar

HANDLER = "core.net.weft.handler.Handler"
INTO_RESPONSE = "core.net.weft.error.IntoResponse"
# Functions whose `handler` parameter is served over HTTP (so it must answer with a response).
HANDLER_TAKERS = ("core.net.weft.router.Router.", "core.net.weft.app.WeftApp.")
# Method lookup sees through these owning pointers (`Heap<dyn P>`'s methods are P's).
POINTERS = frozenset({"core.prelude.Heap", "core.prelude.Shared"})


class Calls(Paths):
    # ------------------------------------------------------------ argument checking

    def check_args(self, params: list[Type], args: tuple[ast.Expr, ...], node: ast.Node,
                   callee: str, decl: ast.Node | None, sig: Signature | None = None,
                   kind: str = "arg") -> None:
        if len(params) != len(args):
            self.err("E1202", f"`{callee}` takes {len(params)} argument"
                     f"{'' if len(params) == 1 else 's'} but {len(args)} "
                     f"{'was' if len(args) == 1 else 'were'} given", node.span,
                     labels=[Label(decl.span, "declared here")] if decl is not None else [])
            for a in args:
                self.expr(a)
            return
        for i, (p, a) in enumerate(zip(params, args, strict=True)):
            labels = []
            if sig is not None and i < len(sig.params):
                ps = sig.params[i]
                labels = [Label(ps.span, f"parameter `{ps.name}` declared here")]
            t = self.check(a, p, kind, f"`{callee}` expects", labels)
            if sig is not None and i < len(sig.params) and sig.params[i].name == "handler" \
                    and sig.qualified.startswith(HANDLER_TAKERS) \
                    and not self.world.bounds_of(sig.params[i].type) \
                    and isinstance(sig.params[i].type, TypeVar):
                self.check_handler(a, t)

    def check_handler(self, a: ast.Expr, t: Type) -> None:
        z = self.subst.zonk(t)
        if isinstance(m.strip(z), FnT):
            fn = m.strip(z)
            assert isinstance(fn, FnT)
            ret = fn.ret.result if isinstance(fn.ret, FutureT) else fn.ret
            if not self.world.implements(ret, INTO_RESPONSE):
                self.err("E1212", f"handler `{self.src(a)}` returns {m.display(ret)}, which does "
                         "not implement IntoResponse", a.span,
                         help="return a Response, Text, Json<T>, or a Result of such types")
        elif not self.world.implements(z, HANDLER):
            self.err("E1212", f"`{self.src(a)}` has type {m.display(z)}, which is neither a "
                     "function nor a Handler", a.span)

    # ------------------------------------------------------------ instantiation

    def instantiate(self, sig: Signature, entry: MethodEntry | None, receiver: Type | None,
                    type_args: tuple[ast.TypeExpr, ...], node: ast.Node | None = None
                    ) -> tuple[list[Type], Type]:
        binds: dict[TypeVar, Type] = {}
        explicit = [self.lower(t) for t in type_args]
        for i, g in enumerate(sig.generics):
            binds[g] = explicit[i] if i < len(explicit) else self.subst.fresh()
        if entry is not None and entry.impl is not None:
            for g in entry.impl.generics:
                binds[g] = self.subst.fresh()
            if receiver is not None:
                self.subst.unify(substitute(entry.impl.target, binds), receiver)
        elif entry is not None and entry.protocol is not None:
            proto = entry.protocol
            pdecl = self.world.protocol_decl(proto)
            binds[TypeVar("Self", proto.qualified)] = receiver or self.subst.fresh()
            for gp, a in zip(pdecl.generics if pdecl else (), proto.args, strict=False):
                binds[TypeVar(gp.name.name, proto.qualified)] = a
        params = [substitute(p.type, binds) for p in sig.params]
        ret = substitute(sig.ret, binds)
        for g in sig.generics:
            for b in self.world.bounds.get(g, ()):
                bb = substitute(b, binds)
                if isinstance(bb, Named):
                    self._pending_bounds.append((binds[g], bb, node))
        return params, (FutureT(ret) if sig.is_async else ret)

    _pending_bounds: list[tuple[Type, Named, ast.Node | None]]

    def method_sig(self, entry: MethodEntry) -> Signature:
        kind = "method" if entry.impl is not None and entry.protocol is None else \
            "method" if entry.impl is not None else "protocol"
        vars_: dict[str, Type] = {}
        self_type: Type | None = None
        if entry.impl is None and entry.protocol is not None:
            pdecl = self.world.protocol_decl(entry.protocol)
            self_type = TypeVar("Self", entry.protocol.qualified)
            vars_ = {g.name.name: TypeVar(g.name.name, entry.protocol.qualified)
                     for g in (pdecl.generics if pdecl else ())}
        return self.signature(entry.decl, entry.module, kind=kind, owner=entry.owner,
                              impl=entry.impl, self_type=self_type, vars_=vars_)

    def pick(self, entries: list[MethodEntry], nargs: int, static: bool) -> MethodEntry | None:
        def arity(e: MethodEntry) -> int:
            sig = self.method_sig(e)
            return len(sig.params) + (1 if static and sig.self_kind is not None else 0)
        fitting = [e for e in entries if arity(e) == nargs]
        if not fitting:
            return entries[0] if entries else None
        return fitting[0]

    # ------------------------------------------------------------ method calls

    def method_call(self, e: ast.MethodCall, expected: Type | None) -> Type:
        target = self.path_target(e.receiver)
        if isinstance(target, TypePath):
            return self.static_call(target, e, expected)
        if isinstance(target, ContextPath):
            return self.context_call(target.sym, e)
        if isinstance(target, ModulePath):
            info = self.program.modules.get(target.module)
            found = info.exports.get(e.method.name) if info is not None else None
            if isinstance(found, Symbol):
                return self.call_symbol(found, e, e.args, e.type_args, expected)
            self.err("E1101", f"`{e.method.name}` not found in module `{target.module}`",
                     e.method.span)
            return self.infer_args(e.args)
        rt = self.expr(e.receiver)
        inner = self.subst.shallow(rt)
        if e.optional and isinstance(inner, Named) and inner.qualified == "core.prelude.Maybe":
            got = self.call_method_on(inner.args[0], e.method, e.type_args, e.args, e, None)
            return m.maybe(m.strip_refinement(got))
        return self.call_method_on(rt, e.method, e.type_args, e.args, e, expected)

    def call_method_on(self, rt: Type, method: ast.Ident, type_args: tuple[ast.TypeExpr, ...],
                       args: tuple[ast.Expr, ...], node: ast.Expr, expected: Type | None) -> Type:
        recv = self.subst.zonk(rt, keep_vars=True)
        s = self.subst.shallow(recv)
        if isinstance(s, (m.Unknown, m.Var)):
            return self.infer_args(args)
        entries = self.world.find_method(s, method.name)
        if not entries and isinstance(s, Named) and s.qualified in POINTERS and s.args:
            return self.call_method_on(s.args[0], method, type_args, args, node, expected)
        if not entries:
            field = self.field_type(s, method.name)
            if field is not None and isinstance(self.subst.shallow(field), FnT):
                return self.call_value(field, args, node, method.name)
            names = self.world.method_names(s)
            guess = closest(method.name, names)
            self.err("E1203", f"no method `{method.name}` on type {m.display(self.subst.zonk(s))}",
                     method.span, notes=[f"did you mean `{guess}`?"] if guess else [])
            return self.infer_args(args)
        entry = self.pick(entries, len(args), static=False)
        assert entry is not None
        sig = self.method_sig(entry)
        self.symbols[id(node)] = FnSym(entry.module, method.name, entry.decl, sig.kind,
                                       entry.owner)
        params, ret = self.instantiate(sig, entry, s, type_args, node)
        self.check_args(params, args, node, f"{m.display(self.subst.zonk(s))}.{method.name}",
                        entry.decl.name, sig)
        return ret

    def static_call(self, tp: TypePath, e: ast.MethodCall, expected: Type | None) -> Type:
        t = tp.type
        st = self.subst.shallow(t)
        if isinstance(st, Named) and expected is not None:
            want = self.subst.shallow(expected)
            if isinstance(want, Named) and want.qualified == st.qualified:
                self.subst.unify(st, want)
        if isinstance(st, Named):
            for i, v in enumerate(self.world.variants(st) or ()):
                if v.name.name == e.method.name:
                    self.symbols[id(e)] = VariantSym(st.module, st.name, v.name.name, i)
                    payload = self.world.variant_payload(st, v)
                    self.check_args(list(payload), e.args, e, f"{st.name}.{v.name.name}", v,
                                    kind="variant")
                    return st
        entries = self.world.find_method(st, e.method.name)
        if not entries:
            names = self.world.method_names(st)
            if isinstance(st, Named):
                names += [v.name.name for v in self.world.variants(st) or ()]
            guess = closest(e.method.name, names)
            self.err("E1203", f"no function or variant `{e.method.name}` on type "
                     f"{m.display(self.subst.zonk(st))}", e.method.span,
                     notes=[f"did you mean `{guess}`?"] if guess else [])
            return self.infer_args(e.args)
        entry = self.pick(entries, len(e.args), static=True)
        assert entry is not None
        sig = self.method_sig(entry)
        self.symbols[id(e)] = FnSym(entry.module, e.method.name, entry.decl, sig.kind, entry.owner)
        params, ret = self.instantiate(sig, entry, st, e.type_args, e)
        if sig.self_kind is not None:
            params = [st, *params]
        self.check_args(params, e.args, e, f"{tp.sym.name}.{e.method.name}", entry.decl.name, sig)
        return ret

    def context_call(self, sym: Symbol, e: ast.MethodCall) -> Type:
        decl = sym.decl
        assert isinstance(decl, ast.ContextDecl)
        for member in decl.members:
            if isinstance(member, ast.FnDecl) and member.name.name == e.method.name:
                sig = self.signature(member, sym.module, kind="ctx-op", owner=sym.qualified)
                self.symbols[id(e)] = FnSym(sym.module, member.name.name, member, "ctx-op",
                                            sym.qualified)
                params, ret = self.instantiate(sig, None, None, e.type_args, e)
                self.check_args(params, e.args, e, f"{sym.name}.{e.method.name}",
                                member.name, sig, kind="ctx-arg")
                return ret
        names = [x.name.name for x in decl.members if isinstance(x, (ast.FnDecl, ast.ConstDecl))]
        guess = closest(e.method.name, names)
        self.err("E1203", f"context `{sym.name}` has no operation `{e.method.name}`",
                 e.method.span, notes=[f"did you mean `{guess}`?"] if guess else [],
                 labels=[Label(decl.name.span, "context declared here")])
        return self.infer_args(e.args)

    def infer_args(self, args: tuple[ast.Expr, ...]) -> Type:
        for a in args:
            self.expr(a)
        return UNKNOWN

    # ------------------------------------------------------------ plain calls

    def call(self, e: ast.Call, expected: Type | None) -> Type:
        callee = e.callee
        if isinstance(callee, ast.Name) and self.scope.lookup(callee.name) is None:
            entry = self.world.lookup(self.module, callee.name)
            if isinstance(entry, Symbol):
                t = self.call_symbol(entry, callee, e.args, e.type_args, expected)
                if id(callee) in self.symbols:
                    self.symbols[id(e)] = self.symbols[id(callee)]
                return t
            if entry is None:
                bv = self.bare_variant(callee.name, expected)
                if bv is not None:
                    self.check_bare_allowed(bv, callee)
                    return self.construct_variant(bv.type, bv.variant, bv.index, e, callee,
                                                  expected)
        if isinstance(callee, ast.Field):
            target = self.path_target(callee.target)
            if target is not None:
                mc = ast.MethodCall(e.span, callee.target, callee.name, e.type_args, e.args)
                self._keep.append(mc)
                t = self.method_call(mc, expected)
                if id(mc) in self.symbols:
                    self.symbols[id(e)] = self.symbols[id(callee)] = self.symbols[id(mc)]
                return t
        ft = self.expr(callee)
        return self.call_value(ft, e.args, e, self.src(callee))

    def call_value(self, ft: Type, args: tuple[ast.Expr, ...], node: ast.Node,
                   name: str) -> Type:
        s = self.subst.shallow(ft)
        if isinstance(s, m.Var):
            params = [self.subst.fresh() for _ in args]
            ret = self.subst.fresh()
            self.subst.unify(s, FnT(tuple(params), ret))
            s = FnT(tuple(params), ret)
        if isinstance(s, FnT):
            self.check_args(list(s.params), args, node, name, None)
            return FutureT(s.ret) if s.is_async else s.ret
        if not isinstance(s, m.Unknown):
            self.err("E1208", f"`{name}` has type {self.show(s)}, which is not callable",
                     node.span)
        return self.infer_args(args)

    def call_symbol(self, sym: Symbol, node: ast.Expr, args: tuple[ast.Expr, ...],
                    type_args: tuple[ast.TypeExpr, ...], expected: Type | None) -> Type:
        decl = sym.decl
        if isinstance(decl, ast.FnDecl):
            sig = self.signature(decl, sym.module, kind="fn", owner=None)
            self.symbols[id(node)] = FnSym(sym.module, sym.name, decl)
            params, ret = self.instantiate(sig, None, None, type_args, node)
            self.check_args(params, args, node, sym.name, decl.name, sig)
            return ret
        if isinstance(decl, ast.TypeDecl) and isinstance(decl.body, ast.TupleType):
            self.symbols[id(node)] = TypeSym(sym.module, sym.name, decl)
            t = self.world.decl_type(sym, tuple(self.lower(a) for a in type_args),
                                     self.subst.fresh)
            if isinstance(t, Named):
                if expected is not None:
                    want = self.subst.shallow(expected)
                    if isinstance(want, Named) and want.qualified == t.qualified:
                        self.subst.unify(t, want)
                fields = self.world.tuple_fields(t) or ()
                self.check_args(list(fields), args, node, sym.name, decl.name, kind="field")
                return t
        t = self.symbol_value(sym, node)
        return self.call_value(t, args, node, sym.name)

    def construct_variant(self, t: Named, v: ast.Variant, index: int, call: ast.Call,
                          callee: ast.Expr, expected: Type | None) -> Type:
        self.symbols[id(callee)] = self.symbols[id(call)] = VariantSym(t.module, t.name,
                                                                       v.name.name, index)
        if expected is not None:
            want = self.subst.shallow(expected)
            if isinstance(want, Named) and want.qualified == t.qualified:
                self.subst.unify(t, want)
        payload = self.world.variant_payload(t, v)
        self.check_args(list(payload), call.args, call, v.name.name, v, kind="variant")
        return t

    # ------------------------------------------------------------ fields

    def field_type(self, t: Type, name: str) -> Type | None:
        s = self.subst.shallow(t)
        if isinstance(s, Named):
            fields = self.world.record_fields(s)
            if fields is not None and name in fields:
                return fields[name][0]
        return None
