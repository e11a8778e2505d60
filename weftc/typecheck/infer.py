"""Inference variables and unification.

`Subst` owns the inference variables of one program check. `unify(a, b)`
makes two types equal by binding variables; it compares types with
references and refinements removed (references are transparent, and
refinement flows are the checker's business: it records obligations before
unifying the bases). `Unknown` and `Never` unify with anything, so one error
is never reported twice and diverging expressions fit every context.
Associated types (`L.Wrapped`) are normalised through `World.project` as
soon as their owner is known.
"""

from __future__ import annotations

from weftc.resolve.world import World, substitute
from weftc.types import model as m
from weftc.types.model import (
    NEVER,
    UNKNOWN,
    AssocT,
    FnT,
    FutureT,
    Named,
    OpaqueT,
    Prim,
    Ref,
    Refined,
    TupleT,
    Type,
    TypeVar,
    Var,
)


class Subst:
    def __init__(self, world: World) -> None:
        self.world = world
        self.binds: dict[int, Type] = {}
        self._next = 0

    def fresh(self) -> Type:
        self._next += 1
        return Var(self._next)

    def snapshot(self) -> dict[int, Type]:
        return dict(self.binds)

    def restore(self, snap: dict[int, Type]) -> None:
        self.binds = snap

    def resolve(self, t: Type) -> Type:
        """Follow bound variables at the top (and normalise a projection)."""
        while isinstance(t, Var) and t.id in self.binds:
            t = self.binds[t.id]
        if isinstance(t, AssocT):
            owner = self.zonk(t.owner, keep_vars=True)
            if not isinstance(m.strip(owner), (Var, TypeVar, OpaqueT, m.Unknown, AssocT)):
                proto = self.zonk(t.protocol, keep_vars=True) if t.protocol else None
                return self.resolve(self.world.project(
                    owner, t.name, proto if isinstance(proto, Named) else None))
        return t

    def shallow(self, t: Type) -> Type:
        """Resolved, with references and refinements removed."""
        while True:
            t = self.resolve(t)
            s = m.strip(t)
            if s is t:
                return t
            t = s

    def zonk(self, t: Type, keep_vars: bool = False) -> Type:
        """`t` with every bound variable replaced; unbound ones become Unknown."""
        t = self.resolve(t) if not isinstance(t, AssocT) or not keep_vars else t
        if isinstance(t, Var):
            return t if keep_vars else UNKNOWN
        if isinstance(t, Named):
            return Named(t.module, t.name, tuple(self.zonk(a, keep_vars) for a in t.args)) \
                if t.args else t
        if isinstance(t, TupleT):
            return TupleT(tuple(self.zonk(e, keep_vars) for e in t.elements))
        if isinstance(t, FnT):
            return FnT(tuple(self.zonk(p, keep_vars) for p in t.params),
                       self.zonk(t.ret, keep_vars), t.is_async, t.using)
        if isinstance(t, Ref):
            return Ref(self.zonk(t.inner, keep_vars), t.mut)
        if isinstance(t, Refined):
            return Refined(self.zonk(t.base, keep_vars), t.binder, t.predicate, t.span, t.name)
        if isinstance(t, FutureT):
            return FutureT(self.zonk(t.result, keep_vars))
        if isinstance(t, AssocT):
            proto = self.zonk(t.protocol, keep_vars) if t.protocol else None
            return AssocT(self.zonk(t.owner, keep_vars), t.name,
                          proto if isinstance(proto, Named) else None)
        if isinstance(t, OpaqueT):
            bounds = tuple(self.zonk(b, keep_vars) for b in t.bounds)
            return OpaqueT(tuple(b for b in bounds if isinstance(b, Named)), t.dynamic)
        return t

    def occurs(self, v: Var, t: Type) -> bool:
        t = self.resolve(t)
        if t == v:
            return True
        if isinstance(t, Named):
            return any(self.occurs(v, a) for a in t.args)
        if isinstance(t, TupleT):
            return any(self.occurs(v, e) for e in t.elements)
        if isinstance(t, FnT):
            return any(self.occurs(v, p) for p in t.params) or self.occurs(v, t.ret)
        if isinstance(t, (Ref, Refined)):
            return self.occurs(v, m.strip(t))
        if isinstance(t, FutureT):
            return self.occurs(v, t.result)
        return False

    def unify(self, a: Type, b: Type) -> bool:
        # A variable binds to the other side with its refinement kept
        # (`T := UserId`, not `Int`), so generic results such as `x?` or
        # `map_err(..)` still carry what stage 5 may assume about them.
        ra, rb = self._unref(a), self._unref(b)
        a, b = self.shallow(a), self.shallow(b)
        if a == b:
            return True
        if isinstance(a, Var):
            return self._bind(a, rb if m.strip(rb) == b else b)
        if isinstance(b, Var):
            return self._bind(b, ra if m.strip(ra) == a else a)
        if isinstance(a, m.Unknown) or isinstance(b, m.Unknown) or a == NEVER or b == NEVER:
            return True
        if isinstance(a, AssocT) or isinstance(b, AssocT):
            return True  # not normalisable yet: a later stage sees the concrete type
        if isinstance(b, OpaqueT):
            return isinstance(a, OpaqueT) or all(
                self.world.implements(self.zonk(a), p.qualified) for p in b.bounds)
        if isinstance(a, OpaqueT):
            return all(self.world.implements(self.zonk(b), p.qualified) for p in a.bounds)
        if isinstance(a, Prim) and isinstance(b, Prim):
            return a.name == b.name
        if isinstance(a, Named) and isinstance(b, Named):
            return a.qualified == b.qualified and all(
                self.unify(x, y) for x, y in zip(a.args, b.args, strict=False))
        if isinstance(a, TupleT) and isinstance(b, TupleT):
            return len(a.elements) == len(b.elements) and all(
                self.unify(x, y) for x, y in zip(a.elements, b.elements, strict=True))
        if isinstance(a, FnT) and isinstance(b, FnT):
            return len(a.params) == len(b.params) and all(
                self.unify(x, y) for x, y in zip(a.params, b.params, strict=True)) \
                and self.unify(a.ret, b.ret)
        if isinstance(a, FutureT) and isinstance(b, FutureT):
            return self.unify(a.result, b.result)
        return False

    def _unref(self, t: Type) -> Type:
        """Resolved, with references (not refinements) removed."""
        t = self.resolve(t)
        while isinstance(t, Ref):
            t = self.resolve(t.inner)
        while isinstance(t, Refined) and isinstance(self.resolve(t.base), Var):
            t = self.resolve(t.base)
        return t

    def _bind(self, v: Var, t: Type) -> bool:
        if self.occurs(v, t):
            return False
        self.binds[v.id] = t
        return True

    def instantiate(self, t: Type, binds: dict[TypeVar, Type]) -> Type:
        return substitute(t, binds)
