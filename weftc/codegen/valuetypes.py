"""What codegen knows of a value's type, to pick a method's Python binding.

Stage 4's type of the expression when it recorded one, else what declared
signatures say: parameters, `let` annotations and the declared result of
every call. `Ty` keeps the declaration and the written type arguments, with
the module they were written in (arguments resolve there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from weftc.modules import Symbol
from weftc.syntax import ast
from weftc.types import Named, OpaqueT, Prim, Type, strip

if TYPE_CHECKING:
    from weftc.codegen.lower import FnLowerer


@dataclass(frozen=True, slots=True)
class Ty:
    """What codegen knows of a value's type: its declaration and written arguments."""

    sym: Symbol
    args: tuple[ast.TypeExpr, ...] = ()
    module: str = ""
    sem: Type | None = None


def ty(low: FnLowerer, e: ast.Expr) -> Ty | None:
    """The type of `e`: stage 4's when it has one, else what signatures say."""
    sem = low.sem(e)
    if sem is not None:
        found = low.ty_of_sem(sem)
        if found is not None:
            return found
    match e:
        case ast.Name(name=name):
            return low.env.get(name)
        case ast.Paren(expr=inner) | ast.Await(target=inner):
            return low.ty(inner)
        case ast.Try(target=inner):
            t = low.ty(inner)
            if t is not None and t.sym.qualified in ("core.prelude.Result",
                                                     "core.prelude.Maybe") and t.args:
                return low.arg_ty(t, t.args[0])
            return None
        case ast.Call(callee=ast.Field(target=target, name=member), args=args):
            owner = low.static_target(target)
            if owner is not None:
                return low.ret_ty(owner, member.name, len(args), None)
        case ast.Call(callee=ast.Name(name=name)):
            sym = low.gen.symbols.lookup(low.module, name)
            if sym is not None and isinstance(sym.decl, ast.FnDecl):
                return low.ty_in(sym.module, sym.decl.ret)
        case ast.MethodCall(receiver=recv, method=member, args=args):
            owner = low.static_target(recv)
            if owner is not None:
                return low.ret_ty(owner, member.name, len(args), None)
            rt = low.ty(recv)
            if rt is not None:
                return low.ret_ty(rt.sym, member.name, len(args), rt)
    return None


def ty_of_sem(low: FnLowerer, t: Type) -> Ty | None:
    """The declaration behind a checked type (`Int` is the prelude's `Int`)."""
    t = strip(t)
    if isinstance(t, OpaqueT) and len(t.bounds) == 1:
        t = t.bounds[0]
    if isinstance(t, Prim):
        sym = low.gen.symbols.lookup("core.prelude", t.name)
        return Ty(sym, (), "core.prelude", t) if sym is not None else None
    if isinstance(t, Named):
        sym = low.gen.symbols.lookup(t.module, t.name)
        return Ty(sym, (), t.module, t) if sym is not None else None
    return None


def ty_in(low: FnLowerer, module: str, t: ast.TypeExpr | None) -> Ty | None:
    saved = low.module
    low.module = module
    try:
        return low.ty_of_typeexpr(t)
    finally:
        low.module = saved


def arg_ty(low: FnLowerer, outer: Ty, t: ast.TypeExpr) -> Ty | None:
    return low.ty_in(outer.module or low.module, t)


def ret_ty(low: FnLowerer, owner: Symbol, member: str, argc: int, recv: Ty | None) -> Ty | None:
    if owner.qualified in low.gen.contexts and isinstance(owner.decl, ast.ContextDecl):
        for m in owner.decl.members:
            if isinstance(m, ast.FnDecl) and m.name.name == member:
                return low.ty_in(owner.module, m.ret)
        return None
    if owner.qualified == "core.prelude.Result" and member == "map_err" and recv is not None:
        return recv
    method = low.gen.symbols.method(owner, member, argc)
    if method is None or method.decl.ret is None:
        return None
    ret = method.decl.ret
    if isinstance(ret, ast.PathType) and ret.path.dotted == "Self":
        return Ty(owner, (), owner.module)
    return low.ty_in(method.module, ret)


def ty_of_typeexpr(low: FnLowerer, t: ast.TypeExpr | None) -> Ty | None:
    while isinstance(t, ast.RefType | ast.RefinedType):
        t = t.target if isinstance(t, ast.RefType) else t.base
    if isinstance(t, ast.PathType):
        sym = low.gen.symbols.lookup_path(low.module, t.path)
        if sym is not None:
            return Ty(sym, t.args, low.module)
    return None
