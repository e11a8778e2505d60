"""Stage 3's global half: every type, protocol and implement block of a program.

How this works: `World(program)` walks every module once and attaches each
`implement` block to the head of its target type (`core.prelude.List`,
`prim:Text`, `prim:Unit`, ...). Type expressions are lowered to semantic types
(`weftc.types`) on demand with `lower`, in a `TypeEnv` naming the module whose
scope applies, the generic parameters in force and `Self`. Lowering reports
E1101 (unknown type) and E1102 (a name that is not a type); each span is
reported once however often it is lowered.

Protocol questions are answered here too: `implements` (through implement
blocks, blanket impls with bounded generics, `extends`, bounds of type
variables and `impl`/`dyn` types) and `find_method` (inherent methods, then
protocol impls, then protocol defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from weftc.diagnostics import Diagnostic, Label, error
from weftc.modules import Ambiguous, ModuleRef, Program, Symbol
from weftc.modules.suggest import closest
from weftc.resolve.symbols import TypeSym
from weftc.source import Span
from weftc.syntax import ast
from weftc.types import model as m
from weftc.types.model import (
    NEVER,
    UNIT,
    UNKNOWN,
    AssocT,
    FnT,
    Named,
    OpaqueT,
    Prim,
    Ref,
    Refined,
    TupleT,
    Type,
    TypeVar,
    list_of,
)

JSON_DESERIALIZE = "core.net.weft.json_extractor.JsonDeserialize"
# Verum's thread-safety markers; every type has them (a Weft program runs on one event loop).
MARKERS = frozenset({"core.prelude.Send", "core.prelude.Sync"})

# The seed's extractors are used without a mount (hello world's `Path(name): Path<Text>`):
# when a program loads core.net.weft, these names are visible everywhere as a last resort.
SEED_EXTRACTORS = {"Path": "core.net.weft.handler", "Query": "core.net.weft.handler",
                   "Json": "core.net.weft.json_extractor"}


@dataclass(slots=True)
class TypeEnv:
    """Where a type expression is lowered: scope module, generics, `Self`, inference."""

    module: str
    vars: dict[str, Type] = field(default_factory=dict)
    self_type: Type | None = None
    fresh: Callable[[], Type] | None = None

    def with_vars(self, more: dict[str, Type]) -> TypeEnv:
        return TypeEnv(self.module, {**self.vars, **more}, self.self_type, self.fresh)


@dataclass(slots=True, eq=False)
class ImplInfo:
    """One implement block, its target and protocol lowered with its generics as TypeVars."""

    module: str
    block: ast.ImplementBlock
    owner: str
    generics: tuple[TypeVar, ...]
    target: Type
    protocol: Named | None
    methods: dict[str, list[ast.FnDecl]]
    assoc: dict[str, ast.TypeExpr]
    consts: dict[str, ast.ConstDecl]

    def env(self, world: World, binds: dict[TypeVar, Type]) -> TypeEnv:
        vars_: dict[str, Type] = {g.name: binds.get(g, g) for g in self.generics}
        return TypeEnv(self.module, vars_, substitute(self.target, binds))


@dataclass(frozen=True, slots=True)
class MethodEntry:
    """A method found for a receiver type: where it is declared and through what."""

    decl: ast.FnDecl
    module: str
    owner: str
    impl: ImplInfo | None
    protocol: Named | None


def substitute(t: Type, binds: dict[TypeVar, Type]) -> Type:
    """Replace type variables by their bindings, everywhere inside `t`."""
    if not binds:
        return t
    if isinstance(t, TypeVar):
        return binds.get(t, t)
    if isinstance(t, Named):
        return Named(t.module, t.name, tuple(substitute(a, binds) for a in t.args)) if t.args else t
    if isinstance(t, TupleT):
        return TupleT(tuple(substitute(e, binds) for e in t.elements))
    if isinstance(t, FnT):
        return FnT(tuple(substitute(p, binds) for p in t.params), substitute(t.ret, binds),
                   t.is_async, t.using)
    if isinstance(t, Ref):
        return Ref(substitute(t.inner, binds), t.mut)
    if isinstance(t, Refined):
        return Refined(substitute(t.base, binds), t.binder, t.predicate, t.span, t.name)
    if isinstance(t, m.FutureT):
        return m.FutureT(substitute(t.result, binds))
    if isinstance(t, AssocT):
        proto = substitute(t.protocol, binds) if t.protocol is not None else None
        return AssocT(substitute(t.owner, binds), t.name,
                      proto if isinstance(proto, Named) else None)
    if isinstance(t, OpaqueT):
        bounds = tuple(substitute(b, binds) for b in t.bounds)
        return OpaqueT(tuple(b for b in bounds if isinstance(b, Named)), t.dynamic)
    return t


def head_key(t: Type) -> str | None:
    """The key implement blocks are filed under for a (stripped) type."""
    t = m.strip(t)
    if isinstance(t, Named):
        return t.qualified
    if isinstance(t, Prim):
        return f"prim:{t.name}"
    if isinstance(t, TupleT):
        return "tuple"
    if isinstance(t, FnT):
        return "fn"
    return None


class World:
    """Global tables of one program (see the module docstring)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[str, Span]] = set()
        self.impls: dict[str, list[ImplInfo]] = {}
        self.bounds: dict[TypeVar, tuple[Named, ...]] = {}
        self._alias_stack: list[str] = []
        for name, info in program.modules.items():
            for item in info.items:
                if isinstance(item, ast.ImplementBlock):
                    self._attach(name, item)
                elif isinstance(item, ast.ProtocolDecl):
                    self.bounds[TypeVar("Self", f"{name}.{item.name.name}")] = (
                        Named(name, item.name.name,
                              tuple(TypeVar(g.name.name, f"{name}.{item.name.name}")
                                    for g in item.generics if g.kind == "type")),)

    # ------------------------------------------------------------ reporting

    def report(self, diag: Diagnostic) -> None:
        key = (diag.code, diag.span)
        if key not in self._reported:
            self._reported.add(key)
            self.diagnostics.append(diag)

    # ------------------------------------------------------------ declarations

    def lookup(self, module: str, name: str) -> Symbol | ModuleRef | Ambiguous | None:
        found = self.program.lookup(module, name)
        if found is None and name in SEED_EXTRACTORS:
            owner = self.program.modules.get(SEED_EXTRACTORS[name])
            if owner is not None:
                found = owner.exports.get(name)
        return found

    def symbol(self, t: Named) -> Symbol | None:
        info = self.program.modules.get(t.module)
        found = info.locals.get(t.name) if info is not None else None
        return found if isinstance(found, Symbol) else None

    def type_decl(self, t: Named) -> ast.TypeDecl | None:
        sym = self.symbol(t)
        return sym.decl if sym is not None and isinstance(sym.decl, ast.TypeDecl) else None

    def protocol_decl(self, t: Named) -> ast.ProtocolDecl | None:
        sym = self.symbol(t)
        return sym.decl if sym is not None and isinstance(sym.decl, ast.ProtocolDecl) else None

    def visible_names(self, module: str) -> list[str]:
        info = self.program.modules.get(module)
        names = list(info.scope) if info is not None else []
        return names + list(self.program.prelude)

    def is_opaque(self, t: Named) -> bool:
        decl = self.type_decl(t)
        return decl is not None and any(a.name.name in ("opaque", "intrinsic")
                                        for a in decl.attributes)

    # ------------------------------------------------------------ implement blocks

    def _attach(self, module: str, block: ast.ImplementBlock) -> None:
        sp = block.span
        owner = f"impl@{sp.file}:{sp.line}:{sp.column}"
        gens = tuple(TypeVar(g.name.name, owner) for g in block.generics if g.kind == "type")
        env = TypeEnv(module, {g.name: g for g in gens})
        target = self.lower(block.target, env)
        env.self_type = target
        for g, decl in zip(gens, [g for g in block.generics if g.kind == "type"], strict=True):
            self.bounds[g] = self.lower_bounds(decl.bounds, env)
        for pred in block.where:
            tv = self.lower(pred.target, env)
            if isinstance(tv, TypeVar):
                self.bounds[tv] = self.bounds.get(tv, ()) + self.lower_bounds(pred.bounds, env)
        proto = None
        if block.protocol is not None:
            bound = self.lower_bounds((block.protocol,), env)
            proto = bound[0] if bound else None
        methods: dict[str, list[ast.FnDecl]] = {}
        assoc: dict[str, ast.TypeExpr] = {}
        consts: dict[str, ast.ConstDecl] = {}
        for item in block.items:
            if isinstance(item, ast.FnDecl):
                methods.setdefault(item.name.name, []).append(item)
            elif isinstance(item, ast.AssocTypeDecl) and item.default is not None:
                assoc[item.name.name] = item.default
            elif isinstance(item, ast.ConstDecl):
                consts[item.name.name] = item
        key = head_key(target)
        if key is None:
            return
        self.impls.setdefault(key, []).append(
            ImplInfo(module, block, owner, gens, target, proto, methods, assoc, consts))

    def impls_of(self, t: Type) -> list[ImplInfo]:
        key = head_key(t)
        return self.impls.get(key, []) if key is not None else []

    # ------------------------------------------------------------ lowering

    def lower_bounds(self, bounds: tuple[ast.TypeExpr, ...], env: TypeEnv) -> tuple[Named, ...]:
        out: list[Named] = []
        for b in bounds:
            if isinstance(b, ast.LifetimeType):
                continue
            t = self.lower(b, env)
            if isinstance(t, OpaqueT):
                out.extend(t.bounds)
            elif isinstance(t, Named):
                out.append(t)
        return tuple(out)

    def lower(self, t: ast.TypeExpr, env: TypeEnv) -> Type:
        """The semantic type a type expression denotes in `env`."""
        if isinstance(t, ast.PathType):
            return self._lower_path(t, env)
        if isinstance(t, ast.TupleType):
            return TupleT(tuple(self.lower(e, env) for e in t.elements)) if t.elements else UNIT
        if isinstance(t, (ast.ArrayType, ast.SliceType)):
            return list_of(self.lower(t.element, env))
        if isinstance(t, ast.RefType):
            return Ref(self.lower(t.target, env), t.mutable)
        if isinstance(t, ast.FnType):
            using = tuple(_using_name(e) for e in t.using.entries) if t.using else ()
            ret = self.lower(t.ret, env) if t.ret is not None else UNIT
            return FnT(tuple(self.lower(p, env) for p in t.params), ret, t.is_async, using)
        if isinstance(t, (ast.ImplType, ast.DynType)):
            return OpaqueT(self.lower_bounds(t.bounds, env), isinstance(t, ast.DynType))
        if isinstance(t, ast.InferType):
            return env.fresh() if env.fresh is not None else UNKNOWN
        if isinstance(t, ast.NeverType):
            return NEVER
        if isinstance(t, ast.RefinedType):
            return Refined(self.lower(t.base, env), t.binder.name if t.binder else None,
                           t.predicate, t.span)
        return UNKNOWN  # anonymous record / lifetime: not modelled, accepted as anything

    def _lower_path(self, t: ast.PathType, env: TypeEnv) -> Type:
        segs = [s.name for s in t.path.segments]
        args = tuple(self.lower(a, env) for a in t.args)
        head = segs[0]
        if len(segs) == 1:
            if head in env.vars:
                return env.vars[head]
            if head == "Self":
                if env.self_type is None:
                    self.report(error("E1101", "`Self` is only defined inside implement blocks "
                                      "and protocols", t.span))
                    return UNKNOWN
                return env.self_type
            return self._entry_type(self.lookup(env.module, head), head, args, t, env)
        if head in env.vars or head == "Self":
            owner = env.vars.get(head, env.self_type)
            return self.project(owner or UNKNOWN, segs[1]) if len(segs) == 2 else UNKNOWN
        entry = self.lookup(env.module, head)
        k = 1
        while isinstance(entry, ModuleRef) and k < len(segs):
            info = self.program.modules.get(entry.module)
            entry = info.exports.get(segs[k]) if info is not None else None
            k += 1
        if entry is None:
            full = ".".join(segs[:-1])
            if full in self.program.modules:
                entry, k = self.program.modules[full].exports.get(segs[-1]), len(segs)
        if k == len(segs):
            return self._entry_type(entry, ".".join(segs), args, t, env)
        base = self._entry_type(entry, ".".join(segs[:k]), (), t, env)
        return self.project(base, segs[k]) if k == len(segs) - 1 else UNKNOWN

    def _entry_type(self, entry: Symbol | ModuleRef | Ambiguous | None, name: str,
                    args: tuple[Type, ...], node: ast.PathType, env: TypeEnv) -> Type:
        if entry is None:
            guess = closest(name, self.visible_names(env.module))
            self.report(error("E1101", f"unknown type `{name}`", node.path.span,
                              notes=[f"did you mean `{guess}`?"] if guess else [],
                              help=None if guess else "declare it or mount the module "
                              "that declares it"))
            return UNKNOWN
        if isinstance(entry, Ambiguous):
            shown = ", ".join(f"`{c.qualified}`" for c in entry.candidates)
            self.report(error("E1003", f"`{name}` is ambiguous", node.path.span,
                              notes=[f"glob mounts bring {shown}"],
                              help="mount the one you mean explicitly"))
            return UNKNOWN
        if isinstance(entry, ModuleRef):
            self.report(error("E1102", f"`{name}` is a module, not a type", node.path.span))
            return UNKNOWN
        decl = entry.decl
        if isinstance(decl, ast.ProtocolDecl):
            return OpaqueT((Named(entry.module, entry.name, args),), dynamic=True)
        if isinstance(decl, ast.TypeDecl):
            return self.decl_type(entry, args, env.fresh)
        what = {ast.ContextDecl: "a context", ast.FnDecl: "a function", ast.ConstDecl: "a constant",
                ast.StaticDecl: "a static", ast.ContextGroupDecl: "a context group"}
        self.report(error("E1102", f"`{name}` is {what.get(type(decl), 'not a type')}, "
                          "not a type", node.path.span,
                          labels=[Label(decl.name.span, "declared here")]))
        return UNKNOWN

    def decl_type(self, sym: Symbol | TypeSym, args: tuple[Type, ...],
                  fresh: Callable[[], Type] | None = None) -> Type:
        """The type a `TypeDecl` denotes applied to `args` (missing ones inferred/unknown)."""
        decl = sym.decl
        assert isinstance(decl, ast.TypeDecl)
        gens = [g for g in decl.generics if g.kind == "type"]
        args = args[:len(gens)]
        if len(args) < len(gens):
            args = args + tuple(fresh() if fresh is not None else UNKNOWN
                                for _ in gens[len(args):])
        if sym.module == m.PRELUDE and sym.name in m.PRIM_NAMES:
            return Prim(sym.name)
        body = decl.body
        if isinstance(body, (ast.RecordType, ast.SumType, ast.TupleType)):
            return Named(sym.module, sym.name, args)
        key = f"{sym.module}.{sym.name}"
        if key in self._alias_stack:
            self.report(error("E1102", f"type alias `{sym.name}` refers to itself", decl.name.span))
            return UNKNOWN
        self._alias_stack.append(key)
        try:
            env = TypeEnv(sym.module, {g.name.name: a for g, a in zip(gens, args, strict=True)},
                          fresh=fresh)
            if isinstance(body, ast.RefinedType):
                return Refined(self.lower(body.base, env),
                               body.binder.name if body.binder else None, body.predicate,
                               body.span, sym.name)
            return self.lower(body, env)
        finally:
            self._alias_stack.pop()

    # ------------------------------------------------------------ shapes

    def decl_env(self, t: Named, decl: ast.TypeDecl) -> TypeEnv:
        gens = [g for g in decl.generics if g.kind == "type"]
        return TypeEnv(t.module, {g.name.name: a for g, a in zip(gens, t.args, strict=False)},
                       self_type=t)

    def record_fields(self, t: Named) -> dict[str, tuple[Type, ast.FieldDecl]] | None:
        decl = self.type_decl(t)
        if decl is None or not isinstance(decl.body, ast.RecordType):
            return None
        env = self.decl_env(t, decl)
        return {f.name.name: (self.lower(f.type, env), f) for f in decl.body.fields}

    def tuple_fields(self, t: Named) -> tuple[Type, ...] | None:
        decl = self.type_decl(t)
        if decl is None or not isinstance(decl.body, ast.TupleType):
            return None
        env = self.decl_env(t, decl)
        return tuple(self.lower(e, env) for e in decl.body.elements)

    def variants(self, t: Named) -> tuple[ast.Variant, ...] | None:
        decl = self.type_decl(t)
        if decl is None or not isinstance(decl.body, ast.SumType):
            return None
        return decl.body.variants

    def variant_payload(self, t: Named, v: ast.Variant) -> tuple[Type, ...]:
        decl = self.type_decl(t)
        assert decl is not None
        env = self.decl_env(t, decl)
        return tuple(self.lower(p, env) for p in v.payload or ())

    def variant_fields(self, t: Named, v: ast.Variant) -> dict[str, tuple[Type, ast.FieldDecl]]:
        decl = self.type_decl(t)
        assert decl is not None
        env = self.decl_env(t, decl)
        return {f.name.name: (self.lower(f.type, env), f) for f in v.fields or ()}

    # ------------------------------------------------------------ protocols

    def protocol_supers(self, p: Named) -> list[Named]:
        """`p` and every protocol it extends, transitively."""
        out: list[Named] = []
        todo = [p]
        while todo:
            cur = todo.pop()
            if any(o.qualified == cur.qualified for o in out):
                continue
            out.append(cur)
            decl = self.protocol_decl(cur)
            if decl is not None:
                env = TypeEnv(cur.module, {g.name.name: a for g, a in
                                           zip(decl.generics, cur.args, strict=False)})
                todo.extend(self.lower_bounds(decl.extends, env))
        return out

    def bounds_of(self, t: Type) -> tuple[Named, ...]:
        t = m.strip(t)
        if isinstance(t, TypeVar):
            return self.bounds.get(t, ())
        if isinstance(t, OpaqueT):
            return t.bounds
        if isinstance(t, AssocT) and t.protocol is not None:
            # `type Output: Display` in the protocol: `Self.Output` has Display's members.
            decl = self._protocol_assoc(t.protocol, t.name)
            if decl is not None and decl.bounds:
                return self.lower_bounds(decl.bounds, TypeEnv(t.protocol.module))
        return ()

    def implements(self, t: Type, proto: str, depth: int = 0) -> bool:
        """Whether `t` implements the protocol `proto` (qualified); unknowns do."""
        t = m.strip(t)
        if depth > 8 or isinstance(t, (m.Unknown, m.Var, AssocT)) or t == NEVER \
                or proto in MARKERS:
            return True
        bounds = self.bounds_of(t)
        if bounds or isinstance(t, (TypeVar, OpaqueT)):
            return any(s.qualified == proto for b in bounds for s in self.protocol_supers(b))
        if proto == JSON_DESERIALIZE:
            return self._json_derivable(t, depth)
        if isinstance(t, FnT) and proto == "core.net.weft.handler.Handler":
            ret = t.ret.result if isinstance(t.ret, m.FutureT) else t.ret
            return self.implements(ret, "core.net.weft.error.IntoResponse", depth + 1)
        for impl in self.impls_of(t):
            if impl.protocol is None:
                continue
            if not any(s.qualified == proto for s in self.protocol_supers(impl.protocol)):
                continue
            binds: dict[TypeVar, Type] = {}
            if not match_pattern(impl.target, t, binds):
                continue
            if all(self.implements(binds.get(g, UNKNOWN), b.qualified, depth + 1)
                   for g in impl.generics for b in self.bounds.get(g, ())):
                return True
        return False

    def _json_derivable(self, t: Type, depth: int) -> bool:
        """`JsonDeserialize` is derived by the compiler (json_extractor.vr says so)."""
        if isinstance(t, Prim):
            return t.name in m.PRIM_NAMES
        if isinstance(t, Named):
            if t.module == m.PRELUDE and t.name in ("List", "Maybe", "Map"):
                return all(self.implements(a, JSON_DESERIALIZE, depth + 1) for a in t.args)
            return self.record_fields(t) is not None or self.variants(t) is not None \
                or self.tuple_fields(t) is not None
        return isinstance(t, TupleT) and all(self.implements(e, JSON_DESERIALIZE, depth + 1)
                                             for e in t.elements)

    def impl_for(self, t: Type, proto: Named) -> tuple[ImplInfo, dict[TypeVar, Type]] | None:
        """The implement block of `proto` for `t`, with its generics bound by matching."""
        for impl in self.impls_of(t):
            if impl.protocol is None or impl.protocol.qualified != proto.qualified:
                continue
            binds: dict[TypeVar, Type] = {}
            if match_pattern(impl.target, m.strip(t), binds):
                match_pattern(impl.protocol, proto, binds)
                return impl, binds
        return None

    def project(self, owner: Type, name: str, via: Named | None = None) -> Type:
        """`owner.name` for an associated type, normalised when `owner` is concrete."""
        s = m.strip(owner)
        if isinstance(s, (TypeVar, OpaqueT, m.Var, m.Unknown, AssocT)):
            protos = [via] if via is not None else list(self.bounds_of(s))
            for p in protos:
                if p is not None and self._protocol_assoc(p, name) is not None:
                    return AssocT(s, name, p) if not isinstance(s, m.Unknown) else UNKNOWN
            return UNKNOWN if isinstance(s, m.Unknown) else AssocT(s, name, via)
        for impl in self.impls_of(s):
            if impl.protocol is None or (via is not None
                                         and impl.protocol.qualified != via.qualified):
                continue
            binds: dict[TypeVar, Type] = {}
            if not match_pattern(impl.target, s, binds):
                continue
            if via is not None:
                match_pattern(impl.protocol, via, binds)
            if name in impl.assoc:
                return self.lower(impl.assoc[name], impl.env(self, binds))
            default = self._protocol_assoc(impl.protocol, name)
            if default is not None and default.default is not None:
                env = TypeEnv(impl.protocol.module, {}, s)
                return self.lower(default.default, env)
        return UNKNOWN

    def _protocol_assoc(self, p: Named, name: str) -> ast.AssocTypeDecl | None:
        for sup in self.protocol_supers(p):
            decl = self.protocol_decl(sup)
            for member in decl.members if decl is not None else ():
                if isinstance(member, ast.AssocTypeDecl) and member.name.name == name:
                    return member
        return None

    def protocol_members(self, p: Named, name: str) -> list[tuple[ast.FnDecl, Named]]:
        out: list[tuple[ast.FnDecl, Named]] = []
        for sup in self.protocol_supers(p):
            decl = self.protocol_decl(sup)
            for member in decl.members if decl is not None else ():
                if isinstance(member, ast.FnDecl) and member.name.name == name:
                    out.append((member, sup))
        return out

    def find_method(self, t: Type, name: str) -> list[MethodEntry]:
        """Candidates for `t.name(..)`: inherent, then protocol impls, then protocol members."""
        s = m.strip(t)
        found: list[MethodEntry] = []
        protos: list[Named] = list(self.bounds_of(s))
        impls = self.impls_of(s)
        for impl in sorted(impls, key=lambda i: i.protocol is not None):
            binds: dict[TypeVar, Type] = {}
            if not match_pattern(impl.target, s, binds):
                continue
            owner = impl.protocol.qualified if impl.protocol else (head_key(s) or "?")
            for decl in impl.methods.get(name, ()):
                found.append(MethodEntry(decl, impl.module, owner, impl, impl.protocol))
            if impl.protocol is not None:
                protos.append(impl.protocol)
        if found:
            return found
        for p in protos:
            for decl, sup in self.protocol_members(p, name):
                found.append(MethodEntry(decl, sup.module, sup.qualified, None, sup))
            if found:
                return found
        return found

    def method_names(self, t: Type) -> list[str]:
        s = m.strip(t)
        names: list[str] = []
        for impl in self.impls_of(s):
            names.extend(impl.methods)
        for p in self.bounds_of(s):
            for sup in self.protocol_supers(p):
                decl = self.protocol_decl(sup)
                names.extend(x.name.name for x in decl.members if isinstance(x, ast.FnDecl)) \
                    if decl is not None else None
        return names


def match_pattern(pattern: Type, t: Type, binds: dict[TypeVar, Type]) -> bool:
    """One-way match of an impl's target (with TypeVars) against a concrete type."""
    pattern, t = m.strip(pattern), m.strip(t)
    if isinstance(pattern, TypeVar):
        if pattern in binds:
            return True
        binds[pattern] = t
        return True
    if isinstance(t, (m.Var, m.Unknown, TypeVar, AssocT)):
        return True
    if isinstance(pattern, Named):
        return (isinstance(t, Named) and t.qualified == pattern.qualified
                and all(match_pattern(p, a, binds)
                        for p, a in zip(pattern.args, t.args, strict=False)))
    if isinstance(pattern, TupleT):
        return (isinstance(t, TupleT) and len(t.elements) == len(pattern.elements)
                and all(match_pattern(p, a, binds)
                        for p, a in zip(pattern.elements, t.elements, strict=True)))
    if isinstance(pattern, Prim):
        return isinstance(t, Prim) and t.name == pattern.name
    return True


def _using_name(entry: ast.UsingEntry) -> str:
    ctx = entry.context
    if isinstance(ctx, ast.PathType):
        return ("!" if entry.negated else "") + ctx.path.dotted
    return "?"
