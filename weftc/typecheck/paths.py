"""Names and dotted paths in expressions: locals, module items, types, contexts, variants.

Verum writes every path with dots, so `a.b` is decided here: when `a` is a
local it is a value and `.b` a field; otherwise `a` may name a type
(`ApiError.NotFound`, `Router.new`), a context (`Database.find`,
`Config.db_url`) or a module (`core.time.Duration`). Bare constructors
(`NotFound` for `ApiError.NotFound`) follow §5's rule: allowed when the sum
type is declared in the same module, named by an explicit mount, or is one
of `Maybe`/`Result`/`Ordering`; otherwise E1103.
"""

from __future__ import annotations

from dataclasses import dataclass

from weftc.diagnostics import Label
from weftc.modules import ModuleRef, Symbol
from weftc.modules.suggest import closest
from weftc.resolve.symbols import ConstSym, ContextSym, FnSym, ModuleSym, TypeSym, VariantSym
from weftc.resolve.world import TypeEnv
from weftc.syntax import ast
from weftc.typecheck.base import Base
from weftc.types import model as m
from weftc.types.model import UNKNOWN, FnT, Named, Type

BARE_ALWAYS = frozenset({"core.prelude.Maybe", "core.prelude.Result", "core.prelude.Ordering"})


@dataclass(frozen=True, slots=True)
class TypePath:
    sym: Symbol
    type: Type


@dataclass(frozen=True, slots=True)
class ContextPath:
    sym: Symbol


@dataclass(frozen=True, slots=True)
class ModulePath:
    module: str


PathTarget = TypePath | ContextPath | ModulePath


@dataclass(frozen=True, slots=True)
class BareVariant:
    type: Named
    variant: ast.Variant
    index: int
    allowed: bool


class Paths(Base):
    _bare_index: dict[str, dict[str, list[tuple[Symbol, bool]]]]

    # ------------------------------------------------------------ classification

    def path_target(self, e: ast.Expr) -> PathTarget | None:
        """What a receiver names when it is not a value (None: it is a value)."""
        if isinstance(e, ast.Name):
            if self.scope.lookup(e.name) is not None:
                return None
            if e.name == "Self" and self.env.self_type is not None:
                st = m.strip(self.env.self_type)
                if isinstance(st, Named):
                    sym = self.world.symbol(st)
                    if sym is not None:
                        return self._note(e, TypePath(sym, self.env.self_type))
                return None
            return self._note(e, self._classify(self.world.lookup(self.module, e.name), ()))
        if isinstance(e, ast.TypeApplication):
            inner = self.path_target(e.target)
            if isinstance(inner, TypePath):
                args = tuple(self.lower(a) for a in e.args)
                return self._note(e, TypePath(inner.sym, self.world.decl_type(
                    inner.sym, args, self.subst.fresh) if isinstance(inner.sym.decl, ast.TypeDecl)
                    else Named(inner.sym.module, inner.sym.name, args)))
            return inner
        if isinstance(e, ast.Field):
            dotted = _dotted(e)
            if dotted is not None and dotted in self.program.modules \
                    and self.scope.lookup(dotted.split(".")[0]) is None:
                return self._note(e, ModulePath(dotted))
            inner = self.path_target(e.target)
            if isinstance(inner, ModulePath):
                info = self.program.modules.get(inner.module)
                found = info.exports.get(e.name.name) if info is not None else None
                return self._note(e, self._classify(found, ()))
        return None

    def _note(self, e: ast.Expr, target: PathTarget | None) -> PathTarget | None:
        if isinstance(target, TypePath):
            decl = target.sym.decl
            assert isinstance(decl, (ast.TypeDecl, ast.ProtocolDecl))
            self.symbols[id(e)] = TypeSym(target.sym.module, target.sym.name, decl)
        elif isinstance(target, ContextPath):
            assert isinstance(target.sym.decl, ast.ContextDecl)
            self.symbols[id(e)] = ContextSym(target.sym.module, target.sym.name, target.sym.decl)
        elif isinstance(target, ModulePath):
            self.symbols[id(e)] = ModuleSym(target.module)
        return target

    def _classify(self, entry: object, args: tuple[Type, ...]) -> PathTarget | None:
        if isinstance(entry, ModuleRef):
            return ModulePath(entry.module)
        if isinstance(entry, Symbol):
            if isinstance(entry.decl, ast.TypeDecl):
                return TypePath(entry, self.world.decl_type(entry, args, self.subst.fresh))
            if isinstance(entry.decl, ast.ProtocolDecl):
                return TypePath(entry, Named(entry.module, entry.name, args))
            if isinstance(entry.decl, ast.ContextDecl):
                return ContextPath(entry)
        return None

    # ------------------------------------------------------------ bare constructors

    def bare_variants(self, name: str) -> list[tuple[Symbol, bool]]:
        if not hasattr(self, "_bare_index"):
            self._bare_index = {}
        index = self._bare_index.get(self.module)
        if index is None:
            index = {}
            info = self.program.modules[self.module]
            explicit = {spec.bound_name for spec in info.imports if not spec.glob}
            entries = list(info.scope.items()) + [(k, v) for k, v in self.program.prelude.items()
                                                   if k not in info.scope]
            for key, entry in entries:
                if not isinstance(entry, Symbol) or not isinstance(entry.decl, ast.TypeDecl) \
                        or not isinstance(entry.decl.body, ast.SumType):
                    continue
                allowed = (entry.module == self.module or key in explicit
                           or entry.qualified in BARE_ALWAYS)
                for v in entry.decl.body.variants:
                    index.setdefault(v.name.name, []).append((entry, allowed))
            self._bare_index[self.module] = index
        return index.get(name, [])

    def bare_variant(self, name: str, expected: Type | None) -> BareVariant | None:
        found = self.bare_variants(name)
        if not found:
            return None
        want = self.subst.shallow(expected) if expected is not None else None
        pick = found[0]
        for cand in found:
            if isinstance(want, Named) and want.qualified == cand[0].qualified:
                pick = cand
                break
        else:
            for cand in found:
                if cand[1]:
                    pick = cand
                    break
        sym, allowed = pick
        t = self.world.decl_type(sym, (), self.subst.fresh)
        assert isinstance(t, Named) and isinstance(sym.decl, ast.TypeDecl)
        assert isinstance(sym.decl.body, ast.SumType)
        for i, v in enumerate(sym.decl.body.variants):
            if v.name.name == name:
                return BareVariant(t, v, i, allowed)
        return None

    def check_bare_allowed(self, bv: BareVariant, node: ast.Node) -> None:
        if not bv.allowed:
            self.err("E1103", f"bare constructor `{bv.variant.name.name}` is not allowed here; "
                     f"write `{bv.type.name}.{bv.variant.name.name}`", node.span,
                     notes=[f"`{bv.type.name}` comes from a glob mount; bare constructors need "
                            "their sum type declared in this file or mounted by name"],
                     labels=[Label(bv.variant.name.span, "variant declared here")])

    def variant_value(self, t: Named, v: ast.Variant, index: int, node: ast.Expr) -> Type:
        """The value `T.V` (unit variant) or the constructor function `T.V` (payload)."""
        self.symbols[id(node)] = VariantSym(t.module, t.name, v.name.name, index)
        if v.payload:
            return FnT(self.world.variant_payload(t, v), t)
        if v.fields:
            self.err("E1102", f"`{t.name}.{v.name.name}` has named fields; build it with "
                     f"`{t.name}.{v.name.name} {{ ... }}`", node.span)
            return t
        return t

    # ------------------------------------------------------------ plain names

    def name_value(self, e: ast.Name, expected: Type | None) -> Type:
        local = self.scope.lookup(e.name)
        if local is not None:
            self.symbols[id(e)] = local.symbol
            return local.type
        entry = self.world.lookup(self.module, e.name)
        if isinstance(entry, Symbol):
            return self.symbol_value(entry, e)
        if entry is None:
            bv = self.bare_variant(e.name, expected)
            if bv is not None:
                self.check_bare_allowed(bv, e)
                return self.variant_value(bv.type, bv.variant, bv.index, e)
        if isinstance(entry, ModuleRef):
            self.err("E1102", f"`{e.name}` is a module, not a value", e.span)
            return UNKNOWN
        self.unknown_name(e.name, e)
        return UNKNOWN

    def unknown_name(self, name: str, node: ast.Node) -> None:
        if name == "self":
            self.err("E1101", "`self` is only defined inside methods that take `self`",
                     node.span)
            return
        pool = self.scope.all_names() + self.world.visible_names(self.module)
        guess = closest(name, pool)
        self.err("E1101", f"unknown name `{name}`", node.span,
                 notes=[f"did you mean `{guess}`?"] if guess else [])

    def symbol_value(self, sym: Symbol, node: ast.Expr) -> Type:
        decl = sym.decl
        if isinstance(decl, ast.FnDecl):
            sig = self.signature(decl, sym.module, kind="fn", owner=None)
            self.symbols[id(node)] = FnSym(sym.module, sym.name, decl)
            binds = {g: self.subst.fresh() for g in sig.generics}
            return self.subst.instantiate(
                FnT(tuple(p.type for p in sig.params), sig.ret, sig.is_async, sig.using), binds)
        if isinstance(decl, (ast.ConstDecl, ast.StaticDecl)):
            self.symbols[id(node)] = ConstSym(sym.module, sym.name, decl)
            return self.const_type(decl, sym.module)
        if isinstance(decl, ast.TypeDecl) and isinstance(decl.body, ast.TupleType) \
                and decl.body.elements:
            self.symbols[id(node)] = TypeSym(sym.module, sym.name, decl)
            t = self.world.decl_type(sym, (), self.subst.fresh)
            if isinstance(t, Named):
                return FnT(self.world.tuple_fields(t) or (), t)
        what = "a type" if isinstance(decl, (ast.TypeDecl, ast.ProtocolDecl)) else \
            "a context" if isinstance(decl, ast.ContextDecl) else "not a value"
        self.err("E1102", f"`{sym.name}` is {what}, not a value", node.span,
                 labels=[Label(decl.name.span, "declared here")],
                 help="call one of its functions (`Name.f(..)`) or build it with a literal"
                 if isinstance(decl, ast.TypeDecl) else None)
        return UNKNOWN

    def const_type(self, decl: ast.ConstDecl | ast.StaticDecl, module: str) -> Type:
        if decl.type is not None:
            return self.world.lower(decl.type, TypeEnv(module, fresh=self.subst.fresh))
        if decl.value is not None:
            saved = self.module
            self.module = module
            try:
                return m.strip_refinement(self.expr(decl.value))
            finally:
                self.module = saved
        return UNKNOWN


def _dotted(e: ast.Expr) -> str | None:
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Field):
        inner = _dotted(e.target)
        return f"{inner}.{e.name.name}" if inner is not None else None
    return None
