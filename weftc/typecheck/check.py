"""The stage-4 driver: every body of every user module, then the final tables.

Stdlib modules are declarations: their signatures are computed when a
program uses them, their (absent) bodies are not checked. For user modules
each function, method, protocol default method, constant and type
declaration is checked; nested functions are checked after the body that
declares them. Bounds on generic parameters met at calls
(`extract_json<T: JsonDeserialize<T>>`, `layer<L: Layer<S>>`) are checked
once all inference is done (E1212). At the end every recorded type is fully
substituted.

The entry's `fn main` gets two leniencies from the seed: `.await` without
`async`, and a tail value when no return type is written (its value is the
process status the runtime reports).
"""

from __future__ import annotations

from weftc.diagnostics import Diagnostic, Label, sort_key
from weftc.modules import Program
from weftc.resolve.scopes import Binding, Scope, new_local
from weftc.resolve.world import ImplInfo, TypeEnv, World
from weftc.syntax import ast
from weftc.typecheck.base import FnCtx
from weftc.typecheck.checked import CheckedProgram, Obligation, ParamSig, Signature
from weftc.typecheck.exprs import Exprs
from weftc.types import model as m
from weftc.types.model import NEVER, UNIT, Ref, Refined, Type, TypeVar


class Checker(Exprs):
    def __init__(self, program: Program, world: World) -> None:
        super().__init__(program, world)
        self.nested = []
        self.items = Scope()
        self._pending_bounds = []
        self.checked: list[Signature] = []

    def run(self) -> None:
        impls = {id(i.block): i for lst in self.world.impls.values() for i in lst}
        for name, info in self.program.modules.items():
            if info.is_stdlib:
                continue
            self.module = name
            for item in info.items:
                self.item(item, impls)
        while self.nested:
            decl, module, items = self.nested.pop(0)
            self.module = module
            self.function(decl, module, kind="nested", owner=None, items=items)
        for t, proto, node in self._pending_bounds:
            z = self.subst.zonk(t)
            if not self.world.implements(z, proto.qualified) and node is not None:
                self.err("E1212", f"{m.display(z)} does not implement `{proto.name}`, which "
                         "this call requires", node.span)

    def item(self, item: ast.Item, impls: dict[int, ImplInfo]) -> None:
        if isinstance(item, ast.FnDecl):
            self.function(item, self.module, kind="fn", owner=None)
        elif isinstance(item, ast.ImplementBlock):
            impl = impls.get(id(item))
            if impl is None:
                return
            self.conformance(impl)
            owner = impl.protocol.qualified if impl.protocol else \
                (m.display(impl.target))
            for member in item.items:
                if isinstance(member, ast.FnDecl):
                    self.function(member, self.module, kind="method", owner=owner, impl=impl)
        elif isinstance(item, ast.ProtocolDecl):
            q = f"{self.module}.{item.name.name}"
            vars_: dict[str, Type] = {g.name.name: TypeVar(g.name.name, q) for g in item.generics}
            for member in item.members:
                if isinstance(member, ast.FnDecl):
                    self.function(member, self.module, kind="protocol", owner=q,
                                  self_type=TypeVar("Self", q), vars_=vars_)
        elif isinstance(item, ast.ContextDecl):
            q = f"{self.module}.{item.name.name}"
            for member in item.members:
                if isinstance(member, ast.FnDecl):
                    self.signature(member, self.module, kind="ctx-op", owner=q)
                elif isinstance(member, ast.ConstDecl) and member.type is not None:
                    self.world.lower(member.type, TypeEnv(self.module))
        elif isinstance(item, (ast.ConstDecl, ast.StaticDecl)):
            self.fn = FnCtx(item.name.name, UNIT, False, qualified=f"{self.module}."
                            f"{item.name.name}")
            self.env = TypeEnv(self.module)
            self.scope = Scope()
            if item.value is not None and item.type is not None:
                self.check(item.value, self.lower(item.type), "let", "the annotation expects")
            elif item.value is not None:
                self.expr(item.value)
            elif item.type is not None:
                self.lower(item.type)
        elif isinstance(item, ast.TypeDecl):
            self.type_decl(item)

    def type_decl(self, decl: ast.TypeDecl) -> None:
        q = f"{self.module}.{decl.name.name}"
        env = TypeEnv(self.module, {g.name.name: TypeVar(g.name.name, q)
                                    for g in decl.generics if g.kind == "type"})
        body = decl.body
        if isinstance(body, ast.RecordType):
            for f in body.fields:
                self.world.lower(f.type, env)
        elif isinstance(body, ast.SumType):
            for v in body.variants:
                for p in v.payload or ():
                    self.world.lower(p, env)
                for f in v.fields or ():
                    self.world.lower(f.type, env)
        elif isinstance(body, ast.RefinedType):
            self.world.lower(body.base, env)
        else:
            self.world.lower(body, env)

    def conformance(self, impl: ImplInfo) -> None:
        """E1215 for protocol members without a default that the block does not define."""
        if impl.protocol is None:
            return
        decl = self.world.protocol_decl(impl.protocol)
        if decl is None:
            return
        missing = [x.name.name for x in decl.members
                   if isinstance(x, ast.FnDecl) and x.body is None
                   and x.name.name not in impl.methods]
        if missing:
            self.err("E1215", f"`implement {impl.protocol.name} for {m.display(impl.target)}` "
                     f"is missing {', '.join(f'`{n}`' for n in missing)}", impl.block.span,
                     labels=[Label(decl.name.span, f"protocol `{impl.protocol.name}` "
                                   "declared here")])

    def function(self, decl: ast.FnDecl, module: str, *, kind: str, owner: str | None,
                 impl: ImplInfo | None = None, self_type: Type | None = None,
                 vars_: dict[str, Type] | None = None, items: Scope | None = None) -> None:
        sig = self.signature(decl, module, kind=kind, owner=owner, impl=impl,
                             self_type=self_type, vars_=vars_)
        if decl.body is None:
            return
        self.checked.append(sig)
        env = self.type_env_for(sig, impl)
        env.vars.update(vars_ or {})
        self.env = env
        self.module = module
        self.items = items if items is not None else Scope()
        self.scope = Scope(self.items)
        if sig.self_kind is not None and sig.self_type is not None:
            st = sig.self_type
            self.scope.bind("self", Binding(new_local("self", decl.name.span,
                                                      "mut" in sig.self_kind),
                                            Ref(st, "mut" in sig.self_kind)
                                            if sig.self_kind.startswith("&") else st))
        for p in sig.params:
            if p.pattern is not None:
                self.pattern(p.pattern, p.type)
        entry_main = module == self.program.entry and kind == "fn" and decl.name.name == "main"
        self.fn = FnCtx(decl.name.name, sig.ret, sig.is_async, entry_main=entry_main,
                        throws=decl.throws is not None,
                        ret_span=decl.ret.span if decl.ret is not None else None,
                        qualified=sig.qualified)
        body = decl.body
        lenient = entry_main and decl.ret is None
        t = self.expr(body, None if lenient else sig.ret)
        if lenient:
            return
        labels = [Label(decl.ret.span, "return type declared here")] if decl.ret else []
        if isinstance(body, ast.Block) and body.tail is None:
            if self.subst.shallow(t) != NEVER and not self.subst.unify(sig.ret, UNIT):
                self.err("E1211", f"`{decl.name.name}` returns {self.show(sig.ret)}, but its body "
                         "ends without a value", decl.name.span, labels=labels)
            return
        tail = body.tail if isinstance(body, ast.Block) and body.tail is not None else body
        self.coerce(tail, t, sig.ret, "return", f"`{decl.name.name}` returns", labels,
                    code="E1211")

    # ------------------------------------------------------------ results

    def finish(self) -> CheckedProgram:
        z = self.subst.zonk
        types = {k: z(v) for k, v in self.expr_types.items()}
        obligations = []
        for ob in self.obligations:
            target = z(ob.target)
            if isinstance(target, Refined):
                obligations.append(Obligation(ob.span, ob.value, target, ob.kind, ob.function))
        sigs = {k: _zonk_sig(s, z) for k, s in self.signatures.items()}
        checked = tuple(sigs[id(s.decl)] for s in self.checked)
        local_types = {k: z(v) for k, v in self.local_types.items()}
        return CheckedProgram(self.program, self.world, sigs, types, dict(self.symbols),
                              tuple(obligations), checked, local_types)


def _zonk_sig(s: Signature, z: object) -> Signature:
    assert callable(z)
    params = tuple(ParamSig(p.name, z(p.type), p.span, p.pattern) for p in s.params)
    return Signature(s.name, s.qualified, s.module, s.decl, s.kind, params, z(s.ret), s.is_async,
                     s.using, s.effects, s.self_kind,
                     z(s.self_type) if s.self_type is not None else None, s.generics)


def check_types(program: Program) -> tuple[CheckedProgram, list[Diagnostic]]:
    """Stage 3 + 4 over a loaded program: names, types, obligations, tables."""
    world = World(program)
    checker = Checker(program, world)
    checker.run()
    checked = checker.finish()
    diags = world.diagnostics + checker.diagnostics
    user_files = {info.source.name for info in program.modules.values() if not info.is_stdlib}
    diags = [d for d in diags if d.span.file in user_files or d.is_error]
    diags.sort(key=sort_key)
    return checked, _dedupe(diags)


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for d in diags:
        key = (d.code, d.span.start, d.span.end, d.span.file)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
