"""Patterns: checked against the type of what they match, binding names into the scope.

A bare name that is a unit variant of the scrutinee's type (`None`, `Open`
when matching a `WsState`) is that variant, not a new binding; variant
patterns may be bare whatever the mount (they are resolved against the
scrutinee). Each pattern also yields its exhaustiveness `Space`.
"""

from __future__ import annotations

from weftc.diagnostics import Label
from weftc.modules import Symbol
from weftc.modules.suggest import closest
from weftc.resolve.scopes import Binding, new_local
from weftc.resolve.symbols import FieldSym, TypeSym, VariantSym
from weftc.syntax import ast
from weftc.typecheck.calls import Calls
from weftc.typecheck.exhaustive import WILD, Ctor, CtorInfo, Or, Space, Wild
from weftc.typecheck.paths import TypePath
from weftc.types import model as m
from weftc.types.model import UNKNOWN, Named, Ref, TupleT, Type

SLICE_CTORS = (CtorInfo("nil", 0, "[]", "slice"), CtorInfo("cons", 2, "[_, ..]", "slice"))


def _is_rest(p: ast.Pattern) -> bool:
    """`..` or `name @ ..` inside a slice pattern."""
    return isinstance(p, ast.RestPat) or (isinstance(p, ast.IdentPat)
                                          and isinstance(p.subpattern, ast.RestPat))


class Patterns(Calls):
    def bind_pattern(self, p: ast.Pattern, t: Type) -> Space:
        return self.pattern(p, t)

    def _sum_ctors(self, t: Named) -> tuple[CtorInfo, ...]:
        out = []
        bare = t.qualified in ("core.prelude.Maybe", "core.prelude.Result",
                               "core.prelude.Ordering")
        for v in self.world.variants(t) or ():
            label = v.name.name if bare else f"{t.name}.{v.name.name}"
            if v.fields is not None:
                out.append(CtorInfo(v.name.name, len(v.fields), label, "record"))
            else:
                out.append(CtorInfo(v.name.name, len(v.payload or ()), label,
                                    "tuple" if v.payload else "unit"))
        return tuple(out)

    def _variant_of(self, t: Type, name: str) -> tuple[Named, ast.Variant, int] | None:
        s = self.subst.shallow(t)
        if isinstance(s, Named):
            for i, v in enumerate(self.world.variants(s) or ()):
                if v.name.name == name:
                    return s, v, i
        return None

    def _resolve_variant(self, path: ast.Path, t: Type) -> tuple[Named, ast.Variant, int] | None:
        names = [s.name for s in path.segments]
        found = self._variant_of(t, names[-1])
        if len(names) == 1:
            if found is not None:
                return found
            bv = self.bare_variant(names[0], t)
            return (bv.type, bv.variant, bv.index) if bv is not None else None
        owner_expr: ast.Expr = ast.Name(path.segments[0].span, names[0])
        for seg in path.segments[1:-1]:
            owner_expr = ast.Field(seg.span, owner_expr, seg)
        self._keep.append(owner_expr)
        target = self.path_target(owner_expr)
        if isinstance(target, TypePath):
            owner = self.subst.shallow(target.type)
            if isinstance(owner, Named):
                for i, v in enumerate(self.world.variants(owner) or ()):
                    if v.name.name == names[-1]:
                        self.subst.unify(owner, t)
                        return owner, v, i
                self.err("E1203", f"`{owner.name}` has no variant `{names[-1]}`",
                         path.segments[-1].span, notes=self._guess(
                             names[-1], [v.name.name for v in self.world.variants(owner) or ()]))
                return None
        return found

    @staticmethod
    def _guess(name: str, pool: list[str]) -> list[str]:
        g = closest(name, pool)
        return [f"did you mean `{g}`?"] if g else []

    def _expect_variant(self, v: tuple[Named, ast.Variant, int], t: Type, node: ast.Node) -> None:
        owner = v[0]
        if not self.subst.unify(owner, t):
            self.err("E1201", f"pattern `{self.src(node)}` matches {owner.name} values; the "
                     f"value matched has type {self.show(t)}", node.span)

    def pattern(self, p: ast.Pattern, t: Type) -> Space:
        if isinstance(p, (ast.WildcardPat, ast.RestPat)):
            return WILD
        if isinstance(p, ast.IdentPat):
            if p.subpattern is None and not p.mutable and not p.by_ref:
                v = self._variant_of(t, p.name.name)
                if v is None and p.name.name in ("None", "Some", "Ok", "Err"):
                    bv = self.bare_variant(p.name.name, t)
                    v = (bv.type, bv.variant, bv.index) if bv is not None else None
                if v is not None and not v[1].payload and not v[1].fields:
                    self._expect_variant(v, t, p)
                    self.symbols[id(p)] = VariantSym(v[0].module, v[0].name, v[1].name.name, v[2])
                    return Ctor(v[1].name.name, (), self._sum_ctors(v[0]),
                                self._label(v[0], v[1]), "unit")
            sym = new_local(p.name.name, p.name.span, p.mutable)
            self.symbols[id(p)] = sym
            self.local_types[sym.id] = t
            self.scope.bind(p.name.name, Binding(sym, Ref(t) if p.by_ref else t))
            return self.pattern(p.subpattern, t) if p.subpattern is not None else WILD
        if isinstance(p, ast.LiteralPat):
            lt = self.expr(p.value, t)
            self.coerce(p.value, lt, m.strip_refinement(t), "pattern", "the matched value has type")
            if isinstance(p.value, ast.BoolLit):
                sib = (CtorInfo("false", 0, "false", "unit"), CtorInfo("true", 0, "true", "unit"))
                return Ctor(str(p.value.value).lower(), (), sib, str(p.value.value).lower(), "unit")
            return Ctor(f"lit:{self.src(p.value)}", (), None, self.src(p.value), "literal")
        if isinstance(p, ast.PathPat):
            before = len(self.diagnostics)
            v = self._resolve_variant(p.path, t)
            if v is None and len(self.diagnostics) > before:
                return WILD
            if v is None:
                self.err("E1101", f"unknown variant `{p.path.dotted}`", p.span)
                return WILD
            self._expect_variant(v, t, p)
            self.symbols[id(p)] = VariantSym(v[0].module, v[0].name, v[1].name.name, v[2])
            return Ctor(v[1].name.name, (), self._sum_ctors(v[0]), self._label(v[0], v[1]), "unit")
        if isinstance(p, ast.TuplePat):
            return self._tuple_pattern(p, t)
        if isinstance(p, ast.VariantPat):
            return self._variant_pattern(p, t)
        if isinstance(p, ast.RecordPat):
            return self._record_pattern(p, t)
        if isinstance(p, ast.RefPat):
            return self.pattern(p.pattern, t)
        if isinstance(p, ast.RangePat):
            for end in (p.start, p.end):
                if end is not None:
                    self.check(end, m.strip_refinement(t), "pattern", "the matched value has type")
            return Ctor(f"range:{self.src(p)}", (), None, self.src(p), "literal")
        if isinstance(p, ast.SlicePat):
            s = self.subst.shallow(t)
            elem = s.args[0] if isinstance(s, Named) and s.args else UNKNOWN
            spaces = [self.pattern(e, elem) for e in p.elements]
            return self._slice_space(p, spaces)
        if isinstance(p, ast.OrPat):
            return Or(tuple(self.pattern(a, t) for a in p.alternatives))
        if isinstance(p, ast.TypeTestPat):
            sym = new_local(p.name.name, p.name.span)
            self.scope.bind(p.name.name, Binding(sym, self.lower(p.type)))
            return Ctor(f"type:{self.src(p)}", (), None, self.src(p), "literal")
        return WILD

    def _slice_space(self, p: ast.SlicePat, spaces: list[Space]) -> Space:
        """A slice as `nil`/`cons(head, tail)`, so `[]`, `[x]`, `[x, .., y]` can be exhaustive.

        Elements after `..` match from the end; that is exact only when they are
        irrefutable, otherwise the pattern is an opaque literal (covers no shape).
        """
        rests = [i for i, e in enumerate(p.elements) if _is_rest(e)]
        if len(rests) > 1 or (rests and any(not isinstance(s, Wild)
                                             for s in spaces[rests[0] + 1:])):
            return Ctor(f"slice:{self.src(p)}", (), None, self.src(p), "literal")
        heads = [s for i, s in enumerate(spaces) if i not in rests]
        space: Space = WILD if rests else Ctor("nil", (), SLICE_CTORS, "[]", "slice")
        for head in reversed(heads):
            space = Ctor("cons", (head, space), SLICE_CTORS, "[_, ..]", "slice")
        return space

    @staticmethod
    def _label(t: Named, v: ast.Variant) -> str:
        if t.qualified in ("core.prelude.Maybe", "core.prelude.Result", "core.prelude.Ordering"):
            return v.name.name
        return f"{t.name}.{v.name.name}"

    def _tuple_pattern(self, p: ast.TuplePat, t: Type) -> Space:
        s = self.subst.shallow(t)
        n = len([e for e in p.elements if not isinstance(e, ast.RestPat)])
        if isinstance(s, m.Var):
            elems = tuple(self.subst.fresh() for _ in p.elements)
            self.subst.unify(s, TupleT(elems) if elems else m.UNIT)
            s = TupleT(elems)
        if isinstance(s, m.Unknown):
            for e in p.elements:
                self.pattern(e, UNKNOWN)
            return WILD
        elems_t: tuple[Type, ...] = s.elements if isinstance(s, TupleT) else ()
        if not isinstance(s, TupleT) and not (s == m.UNIT and not p.elements):
            self.err("E1201", f"tuple pattern `{self.src(p)}` cannot match a value of type "
                     f"{self.show(s)}", p.span)
            return WILD
        rest = any(isinstance(e, ast.RestPat) for e in p.elements)
        if (len(elems_t) != n and not rest) or n > len(elems_t):
            self.err("E1202", f"tuple pattern has {n} elements but the value has "
                     f"{len(elems_t)}", p.span)
            return WILD
        spaces: list[Space] = []
        i = 0
        for e in p.elements:
            if isinstance(e, ast.RestPat):
                skip = len(elems_t) - n
                spaces.extend([WILD] * skip)
                i += skip
                continue
            spaces.append(self.pattern(e, elems_t[i]))
            i += 1
        return Ctor("tuple", tuple(spaces), (CtorInfo("tuple", len(elems_t), ""),), "")

    def _variant_pattern(self, p: ast.VariantPat, t: Type) -> Space:
        before = len(self.diagnostics)
        v = self._resolve_variant(p.path, t)
        if v is None and len(self.diagnostics) > before:
            for a in p.args:
                self.pattern(a, UNKNOWN)
            return WILD
        if v is None:
            entry = self.world.lookup(self.module, p.path.dotted) if len(p.path.segments) == 1 \
                else None
            if isinstance(entry, Symbol) and isinstance(entry.decl, ast.TypeDecl) \
                    and isinstance(entry.decl.body, ast.TupleType):
                return self._tuple_struct_pattern(p, entry, t)
            self.err("E1101", f"unknown variant `{p.path.dotted}`", p.path.span,
                     notes=self._guess(p.path.segments[-1].name, [
                         v.name.name for v in (self.world.variants(s) or ())
                     ] if isinstance(s := self.subst.shallow(t), Named) else []))
            for a in p.args:
                self.pattern(a, UNKNOWN)
            return WILD
        owner, variant, index = v
        self._expect_variant(v, t, p)
        self.symbols[id(p)] = VariantSym(owner.module, owner.name, variant.name.name, index)
        payload = self.world.variant_payload(owner, variant)
        if len(payload) != len(p.args):
            self.err("E1202", f"variant `{self._label(owner, variant)}` has {len(payload)} "
                     f"field{'s' if len(payload) != 1 else ''} but the pattern has "
                     f"{len(p.args)}", p.span, labels=[Label(variant.span, "variant declared here")])
        args = tuple(self.pattern(a, payload[i] if i < len(payload) else UNKNOWN)
                     for i, a in enumerate(p.args))
        return Ctor(variant.name.name, args, self._sum_ctors(owner), self._label(owner, variant))

    def _tuple_struct_pattern(self, p: ast.VariantPat, sym: Symbol, t: Type) -> Space:
        decl = sym.decl
        assert isinstance(decl, ast.TypeDecl)
        self.symbols[id(p)] = TypeSym(sym.module, sym.name, decl)
        own = self.world.decl_type(sym, (), self.subst.fresh)
        if not self.subst.unify(own, t):
            self.err("E1201", f"pattern `{self.src(p)}` matches {m.display(own)} values; the "
                     f"value has type {self.show(t)}", p.span)
        # Read the fields through the matched type when it is the same
        # declaration: its arguments keep their refinements (`Path<UserId>`),
        # which unification with the fresh instance does not.
        seen = self.subst.shallow(t)
        source = seen if isinstance(seen, Named) and isinstance(own, Named) \
            and seen.qualified == own.qualified else own
        fields = self.world.tuple_fields(source) if isinstance(source, Named) else None
        fields = fields or ()
        if len(fields) != len(p.args):
            self.err("E1202", f"`{sym.name}` has {len(fields)} fields but the pattern has "
                     f"{len(p.args)}", p.span)
        args = tuple(self.pattern(a, fields[i] if i < len(fields) else UNKNOWN)
                     for i, a in enumerate(p.args))
        return Ctor(sym.name, args, (CtorInfo(sym.name, len(fields), sym.name),), sym.name)

    def _record_pattern(self, p: ast.RecordPat, t: Type) -> Space:
        v = self._resolve_variant(p.path, t)
        fields: dict[str, tuple[Type, ast.FieldDecl]]
        if v is not None:
            owner, variant, index = v
            self._expect_variant(v, t, p)
            self.symbols[id(p)] = VariantSym(owner.module, owner.name, variant.name.name, index)
            fields = self.world.variant_fields(owner, variant)
            sib = self._sum_ctors(owner)
            name, label, ctor_owner = variant.name.name, self._label(owner, variant), owner.qualified
        else:
            s = self.subst.shallow(t)
            rec = self.world.record_fields(s) if isinstance(s, Named) else None
            if rec is None or not isinstance(s, Named):
                if not isinstance(s, (m.Unknown, m.Var)):
                    self.err("E1201", f"record pattern `{p.path.dotted} {{ .. }}` cannot match a "
                             f"value of type {self.show(t)}", p.span)
                for f in p.fields:
                    if f.pattern is not None:
                        self.pattern(f.pattern, UNKNOWN)
                return WILD
            fields, name, label, ctor_owner = rec, s.name, s.name, s.qualified
            sib = (CtorInfo(name, len(fields), label, "record"),)
        given: dict[str, Space] = {}
        for f in p.fields:
            if f.name.name not in fields:
                self.err("E1203", f"`{label}` has no field `{f.name.name}`", f.name.span,
                         notes=self._guess(f.name.name, list(fields)))
                continue
            ft = fields[f.name.name][0]
            self.symbols[id(f)] = FieldSym(ctor_owner, f.name.name)
            if f.pattern is None:
                sym = new_local(f.name.name, f.name.span)
                self.local_types[sym.id] = ft
                self.scope.bind(f.name.name, Binding(sym, ft))
                given[f.name.name] = WILD
            else:
                given[f.name.name] = self.pattern(f.pattern, ft)
        missing = [k for k in fields if k not in given and k not in
                   {f.name.name for f in p.fields}]
        if missing and not p.rest:
            self.err("E1204", f"pattern for `{label}` does not mention field"
                     f"{'s' if len(missing) > 1 else ''} "
                     f"{', '.join(f'`{k}`' for k in missing)}", p.span, help="add `..` to ignore "
                     "the other fields")
        args = tuple(given.get(k, WILD) for k in fields)
        return Ctor(name, args, sib, label, "record")
