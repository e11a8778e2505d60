"""Calls: free functions, `Type.member(..)`, methods, and route registration.

Which Python a call becomes depends on what it names: a user function, a
context operation (its instance is bound once, at import), a variant
constructor, an intrinsic the compiler lowers itself, or a stdlib
declaration's `@python` binding. A method's binding is chosen by the
receiver's type (`weftc.codegen.valuetypes`). `.route(..)` and friends also
record the route table shown in `app.py` and pass a user handler's
generated endpoint instead of the handler itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from weftc.codegen.context import Unsupported, py_name
from weftc.codegen.intrinsics import FNS as _INTRINSIC_FNS
from weftc.codegen.intrinsics import METHODS as _INTRINSIC_METHODS
from weftc.codegen.intrinsics import STATIC as _INTRINSIC_STATIC
from weftc.codegen.intrinsics import TYPED_FNS as _INTRINSIC_TYPED_FNS
from weftc.codegen.symbols import Method
from weftc.modules import Symbol
from weftc.syntax import ast

if TYPE_CHECKING:
    from weftc.codegen.lower import FnLowerer

# Methods `weft.result.Ok`/`Err` define themselves (Result is intrinsic).
_RESULT_METHODS: Final = frozenset(f"core.prelude.Result.{m}" for m in (
    "is_ok", "is_err", "unwrap", "unwrap_err", "unwrap_or", "ok", "err", "map", "map_err",
    "and_then"))
ROUTE_METHODS: Final = frozenset({"route", "get", "post", "put", "delete", "patch", "head",
                                  "options"})


def call(low: FnLowerer, e: ast.Call) -> str:
    callee = e.callee
    if isinstance(callee, ast.Name) and callee.name not in low.env:
        n = callee.name
        if n == "Some" and len(e.args) == 1:
            return low.expr(e.args[0])
        if n in ("Ok", "Err") and len(e.args) == 1:
            return f"{low.imports.need('weft.result', n)}({low.expr(e.args[0])})"
        if n in ("Json", "Path", "Query") and len(e.args) == 1:
            cls = low.imports.need(low.gen.package + "._support", n)
            return f"{cls}({low.expr(e.args[0])})"
        if n == "assert" and len(e.args) == 1 and low.is_prelude(callee):
            low.emit(f"assert {low.expr(e.args[0])}")
            return "None"
        if n == "panic" and len(e.args) == 1 and low.is_prelude(callee):
            low.emit(f"raise {low.imports.need('weft.verum', 'Panic')}"
                      f"({low.expr(e.args[0])})")
            return "None"
        if n == "len" and len(e.args) == 1:
            return f"len({low.expr(e.args[0])})"
        sym = low.gen.symbols.lookup(low.module, n)
        if sym is not None and sym.qualified in low.gen.user_fns \
                and sym.qualified not in low.gen.contexts:
            return f"{low.user_fn_ref(sym)}({low.args(e.args)})"
        typed = _INTRINSIC_TYPED_FNS.get(sym.qualified) if sym is not None else None
        if typed is not None:
            return typed(low, e, [low.expr(a) for a in e.args])
        special = _INTRINSIC_FNS.get(sym.qualified) if sym is not None else None
        if special is not None:
            return special(low, [low.expr(a) for a in e.args])
    if isinstance(callee, ast.Field):
        owner = low.static_target(callee.target)
        if owner is not None:
            return low.static_call(e, owner, callee.name.name, e.args)
    if isinstance(callee, ast.Name | ast.Paren | ast.Field):
        return f"{low.expr(callee)}({low.args(e.args)})"
    raise Unsupported(e.span, "this kind of call")


def static_call(low: FnLowerer, e: ast.Expr, owner: Symbol, member: str,
                args: tuple[ast.Expr, ...]) -> str:
    if owner.qualified in low.gen.contexts:
        return f"{low.context_instance(owner)}.{py_name(member)}({low.args(args)})"
    cls = low.variant_class(ast.Path(e.span, (ast.Ident(e.span, owner.name),
                                               ast.Ident(e.span, member))))
    if cls is not None:
        return f"{cls}({low.args(args)})"
    if owner.qualified in low.gen.user_types:
        pyname = low.imports.need(low.gen.package + ".types", low.gen.user_types[owner.qualified])
        return f"{pyname}.{py_name(member)}({low.args(args)})"
    bound = low.stdlib_variant(owner, member)
    if bound is not None and not bound[1]:
        return f"{bound[0]}({low.args(args)})"
    method = low.gen.symbols.method(owner, member, len(args))
    if method is None:
        raise Unsupported(e.span, f"`{owner.name}.{member}` (no such declaration)")
    low.gen.check_unimplemented(owner, e.span, method.binding.unimplemented)
    special = _INTRINSIC_STATIC.get(f"{owner.qualified}.{member}")
    if owner.qualified == "core.prelude.List" and member in ("new", "with_capacity") \
            and low.is_bytes(e):
        return 'b""'
    if special is not None:
        return special(low, [low.expr(a) for a in args])
    if method.binding.python is None:
        raise Unsupported(e.span, f"`{owner.name}.{member}` has no Python binding")
    return f"{low.imports.target(method.binding.python)}({low.args(args)})"


def method_call(low: FnLowerer, e: ast.MethodCall) -> str:
    owner = low.static_target(e.receiver)
    if owner is not None:
        return low.static_call(e, owner, e.method.name, e.args)
    recv_ty = low.ty(e.receiver)
    recv = low.expr(e.receiver)
    name = e.method.name
    if recv_ty is not None and recv_ty.sym.qualified == "core.net.weft.router.Router" \
            and name in ROUTE_METHODS:
        args = low.route_args(e, name)
    else:
        args = [low.expr(a) for a in e.args]
    if recv_ty is not None and recv_ty.sym.qualified == "core.net.weft.app.WeftApp" \
            and name == "bind" and e.args and isinstance(e.args[0], ast.TextLit):
        low.gen.bind_literals.append(e.args[0].value)
    if recv_ty is not None:
        key = f"{recv_ty.sym.qualified}.{name}"
        special = _INTRINSIC_METHODS.get(key)
        if special is not None:
            return special(low, [recv, *args])
        method = low.gen.symbols.method(recv_ty.sym, name, len(args))
        if method is not None:
            low.gen.check_unimplemented(recv_ty.sym, e.span, method.binding.unimplemented)
            if method.binding.python is None and method.decl.body is None \
                    and not low.gen.is_user_symbol(recv_ty.sym) \
                    and key not in _RESULT_METHODS \
                    and (method.binding.intrinsic or method.protocol is None):
                raise Unsupported(e.span, f"the intrinsic `{recv_ty.sym.name}.{name}` has "
                                  "no code generation yet")
            return low.bound_method(recv, method, args, recv_ty.sym)
        if name == "into_response" and not args:
            return f"{low.imports.need('weft.response', 'into_response')}({recv})"
        if recv_ty.sym.qualified == "core.prelude.Maybe":
            raise Unsupported(e.span, f"the method `Maybe.{name}`")
    return f"{recv}.{py_name(name)}({', '.join(args)})"


def route_args(low: FnLowerer, e: ast.MethodCall, name: str) -> list[str]:
    """Arguments of `.route(..)`/`.get(..)`: a user handler becomes its endpoint."""
    args = [low.expr(a) for a in e.args[:-1]]
    handler = e.args[-1] if e.args else None
    label = "?"
    if isinstance(handler, ast.Name) and handler.name not in low.env:
        sym = low.gen.symbols.lookup(low.module, handler.name)
        if sym is not None and sym.qualified in low.gen.endpoints:
            args.append(low.gen.endpoints[sym.qualified])
            label = sym.name
    if len(args) < len(e.args):
        args.append(low.expr(e.args[-1]))
    method = name.upper() if name != "route" else ""
    if name == "route" and len(e.args) == 3:
        method = args[1].strip("'\"")
    path = e.args[0].value if e.args and isinstance(e.args[0], ast.TextLit) else "?"
    where = low.gen.where(e.args[0].span if e.args else e.span)
    low.gen.routes.append((method, path, label, where))
    return args


def bound_method(low: FnLowerer, recv: str, method: Method, args: list[str],
                 owner: Symbol) -> str:
    if owner.qualified in low.gen.user_types:
        return f"{recv}.{py_name(method.decl.name.name)}({', '.join(args)})"
    target = method.binding.python
    type_binding = low.gen.symbols.type_binding(owner)
    if target is not None and type_binding is not None and type_binding.python is not None \
            and target.startswith(type_binding.python + "."):
        attr = target[len(type_binding.python) + 1:]
        return f"{recv}.{attr}({', '.join(args)})"
    if target is not None:
        return f"{low.imports.target(target)}({', '.join([recv, *args])})"
    return f"{recv}.{py_name(method.decl.name.name)}({', '.join(args)})"
