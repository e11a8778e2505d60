"""The checker's state and the helpers every part of it uses.

`Base` holds the tables being filled (expression types, symbols,
signatures, obligations), the current function's context (`FnCtx`: its
return type, whether `.await` is allowed, the loop stack) and the current
lexical scope. `coerce` is the one place where a value meets an expected
type: it records a refinement obligation when the expected type is refined
and the value does not already carry that refinement, then unifies the
bases and reports E1201 in source terms when they differ.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from weftc.diagnostics import Diagnostic, Label, error, warning
from weftc.modules import Program
from weftc.modules.bindings import declared_effects
from weftc.resolve.scopes import Scope
from weftc.resolve.symbols import Resolved
from weftc.resolve.world import ImplInfo, TypeEnv, World
from weftc.source import Span
from weftc.syntax import ast
from weftc.typecheck.checked import Obligation, ParamSig, Signature
from weftc.typecheck.infer import Subst
from weftc.types import model as m
from weftc.types.model import UNIT, UNKNOWN, Refined, Type, TypeVar, display


@dataclass(slots=True)
class FnCtx:
    """What a body being checked needs to know about its function or closure."""

    name: str
    ret: Type
    is_async: bool
    entry_main: bool = False
    throws: bool = False
    loops: list[Type] = field(default_factory=list)
    ret_span: Span | None = None
    qualified: str = ""


def pattern_text(p: ast.Pattern) -> str:
    if isinstance(p, ast.IdentPat):
        return p.name.name
    return "_" if isinstance(p, ast.WildcardPat) else "<pattern>"


class Base(abc.ABC):
    def __init__(self, program: Program, world: World) -> None:
        self.program = program
        self.world = world
        self.subst = Subst(world)
        self.diagnostics: list[Diagnostic] = []
        self.expr_types: dict[int, Type] = {}
        self.symbols: dict[int, Resolved] = {}
        self.local_types: dict[int, Type] = {}
        self.signatures: dict[int, Signature] = {}
        self.obligations: list[Obligation] = []
        self.module = program.entry
        self.scope = Scope()
        self.fn: FnCtx = FnCtx("<none>", UNKNOWN, False)
        self.env = TypeEnv(program.entry)
        self._keep: list[object] = []

    # ------------------------------------------------------------ abstract parts

    @abc.abstractmethod
    def expr(self, e: ast.Expr, expected: Type | None = None) -> Type: ...

    @abc.abstractmethod
    def bind_pattern(self, p: ast.Pattern, t: Type) -> object: ...

    # ------------------------------------------------------------ reporting

    def err(self, code: str, message: str, span: Span, *, labels: list[Label] | None = None,
            notes: list[str] | None = None, help: str | None = None) -> None:
        self.diagnostics.append(error(code, message, span, labels=labels or [],
                                      notes=notes or [], help=help))

    def warn(self, code: str, message: str, span: Span, *, notes: list[str] | None = None) -> None:
        self.diagnostics.append(warning(code, message, span, notes=notes or []))

    def src(self, node: ast.Node) -> str:
        """The source text of a node, shortened for a message."""
        for info in self.program.modules.values():
            if info.source.name == node.span.file:
                text = info.source.text[node.span.start:node.span.end]
                text = text.split("\n", 1)[0].strip()
                return text if len(text) <= 40 else text[:37] + "..."
        return "<expr>"

    def show(self, t: Type) -> str:
        return display(self.subst.zonk(t, keep_vars=True))

    # ------------------------------------------------------------ types

    def lower(self, t: ast.TypeExpr) -> Type:
        env = TypeEnv(self.env.module, self.env.vars, self.env.self_type, self.subst.fresh)
        return self.world.lower(t, env)

    def record(self, e: ast.Expr, t: Type) -> Type:
        self.expr_types[id(e)] = t
        return t

    def carries(self, actual: Type, target: Refined) -> bool:
        """Whether `actual` already is (a refinement of) `target`."""
        t = self.subst.resolve(actual)
        while True:
            if isinstance(t, m.Ref):
                t = self.subst.resolve(t.inner)
            elif isinstance(t, Refined):
                if t == target:
                    return True
                t = self.subst.resolve(t.base)
            else:
                return False

    def coerce(self, e: ast.Expr, actual: Type, expected: Type, kind: str, expects: str,
               labels: list[Label] | None = None, code: str = "E1201") -> bool:
        """Accept `e` (of type `actual`) where `expected` is required, or report."""
        want = self.subst.resolve(expected)
        while isinstance(want, m.Ref):
            want = self.subst.resolve(want.inner)
        ok = self.subst.unify(actual, expected)
        if ok and isinstance(want, Refined) and not self.carries(actual, want) \
                and self.subst.shallow(actual) != m.NEVER:
            self.obligations.append(Obligation(e.span, e, want, kind,
                                                self.fn.qualified or self.fn.name))
        if not ok:
            notes = []
            got = self.subst.shallow(actual)
            if isinstance(got, m.FutureT) and self.subst.unify(got.result, expected):
                notes.append("this is a future: add `.await` to get its value")
            self.err(code, f"`{self.src(e)}` has type {self.show(actual)} here; {expects} "
                     f"{self.show(expected)}", e.span, labels=labels, notes=notes)
        return ok

    def check(self, e: ast.Expr, expected: Type, kind: str, expects: str,
              labels: list[Label] | None = None, code: str = "E1201") -> Type:
        t = self.expr(e, expected)
        self.coerce(e, t, expected, kind, expects, labels, code)
        return t

    # ------------------------------------------------------------ signatures

    def signature(self, decl: ast.FnDecl, module: str, *, kind: str, owner: str | None,
                  impl: ImplInfo | None = None, self_type: Type | None = None,
                  vars_: dict[str, Type] | None = None) -> Signature:
        """The signature of a declared function (cached by declaration)."""
        cached = self.signatures.get(id(decl))
        if cached is not None:
            return cached
        qualified = f"{owner or module}.{decl.name.name}"
        gens = tuple(TypeVar(g.name.name, qualified) for g in decl.generics if g.kind == "type")
        base_vars: dict[str, Type] = dict(vars_ or {})
        if impl is not None:
            base_vars.update({g.name: g for g in impl.generics})
            self_type = impl.target if self_type is None else self_type
        base_vars.update({g.name: g for g in gens})
        env = TypeEnv(module, base_vars, self_type)
        for g, gdecl in zip(gens, [g for g in decl.generics if g.kind == "type"], strict=True):
            self.world.bounds[g] = self.world.lower_bounds(gdecl.bounds, env)
        for pred in decl.where:
            tv = self.world.lower(pred.target, env)
            if isinstance(tv, TypeVar):
                self.world.bounds[tv] = self.world.bounds.get(tv, ()) + \
                    self.world.lower_bounds(pred.bounds, env)
        params: list[ParamSig] = []
        self_kind = None
        for p in decl.params:
            if isinstance(p, ast.SelfParam):
                self_kind = ("&" if p.is_ref else "") + ("mut " if p.mutable else "") + "self"
                continue
            params.append(ParamSig(pattern_text(p.pattern), self.world.lower(p.type, env),
                                   p.span, p.pattern))
        ret = self.world.lower(decl.ret, env) if decl.ret is not None else UNIT
        using = tuple(e.context.path.dotted for e in (decl.using.entries if decl.using else ())
                      if isinstance(e.context, ast.PathType) and not e.negated)
        sig = Signature(decl.name.name, qualified, module, decl, kind, tuple(params), ret,
                        "async" in decl.modifiers, using, declared_effects(decl), self_kind,
                        self_type, gens)
        self.signatures[id(decl)] = sig
        return sig

    def type_env_for(self, sig: Signature, impl: ImplInfo | None) -> TypeEnv:
        vars_: dict[str, Type] = {}
        if impl is not None:
            vars_.update({g.name: g for g in impl.generics})
        vars_.update({g.name: g for g in sig.generics})
        return TypeEnv(sig.module, vars_, sig.self_type)
