"""Function bodies as Python statements.

How this works: `FnLowerer` walks one body. Expressions lower to Python
expression text; constructs Python only has as statements (`?`, `match`,
`if` and blocks in value position) are emitted as statements into the
current block first and leave a temporary behind. A value is delivered to
a *sink*: `return`, an assignment, or nothing.

`?` becomes an early return: `if isinstance(t, Err): return t` (Result) or
`if t is None: return None` (Maybe). `.await` becomes `await`. `Maybe<T>`
is `T | None`, so `Some(x)` is `x` and a `match` puts its `None` arms
first. A receiver's type (needed to pick a method's Python binding) comes
from declared signatures: parameters, `let` annotations and the declared
result of every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from weftc.codegen import calls, control, patterns, valuetypes
from weftc.codegen.context import Gen, Imports, Unsupported, py_name
from weftc.codegen.intrinsics import FNS as _INTRINSIC_FNS
from weftc.codegen.patterns import is_none_pattern, python_attr
from weftc.codegen.predicates import UnsupportedPredicate, imports_of, predicate_python
from weftc.codegen.pytypes import annotation
from weftc.codegen.records import RECORD_BUILDERS
from weftc.codegen.semtypes import is_bytes, sem_annotation
from weftc.codegen.symbols import Method
from weftc.codegen.valuetypes import Ty
from weftc.modules import Symbol
from weftc.syntax import ast
from weftc.types import FnT, Named, Prim, Type, strip

_BINARY = {"&&": "and", "||": "or", "==": "==", "!=": "!=", "<": "<", "<=": "<=",
           ">": ">", ">=": ">=", "+": "+", "-": "-", "*": "*", "%": "%", "/": "//",
           "&": "&", "|": "|", "^": "^", "<<": "<<", ">>": ">>"}
RETURN = "return"
DISCARD = "discard"


@dataclass(slots=True)
class FnLowerer:
    gen: Gen
    imports: Imports
    module: str
    is_async: bool
    in_method_of: Symbol | None = None
    lines: list[str] = field(default_factory=list)
    depth: int = 1
    env: dict[str, Ty | None] = field(default_factory=dict)
    counter: int = 0
    # `from pkg.app import f` lines a method body needs (types.py cannot
    # import app.py at module level: app.py imports types.py).
    local_imports: set[str] = field(default_factory=set)
    # `x is not None` conditions that `Some(x)`/`Some(_)` patterns need (a
    # Python capture also matches None); see `guarded_pattern`.
    some_guards: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ plumbing

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def temp(self, stem: str = "t") -> str:
        self.counter += 1
        return f"_{stem}{self.counter}"

    def bind_local(self, name: str, ty: Ty | None) -> str:
        self.env[name] = ty
        return py_name(name)

    def ty_of_typeexpr(self, t: ast.TypeExpr | None) -> Ty | None:
        return valuetypes.ty_of_typeexpr(self, t)

    # ------------------------------------------------------------ bodies

    def body(self, e: ast.Expr, returns: bool) -> list[str]:
        self.deliver(e, RETURN if returns else DISCARD)
        if not self.lines:
            self.emit("pass")
        return self.lines

    def deliver(self, e: ast.Expr, sink: str) -> None:
        """Lower `e` and hand its value to `sink` (RETURN, DISCARD or a variable)."""
        match e:
            case ast.Block(stmts=stmts, tail=tail):
                for s in stmts:
                    self.statement(s)
                if tail is not None:
                    self.deliver(tail, sink)
                elif sink not in (RETURN, DISCARD):
                    self.emit(f"{sink} = None")
                return
            case ast.If(condition=cond, then=then, else_=other):
                if control.if_let(self, e, sink):
                    return
                self.emit(f"if {self.expr(cond)}:")
                self.nested(then, sink)
                if other is not None:
                    self.emit("else:")
                    self.nested(other, sink)
                elif sink not in (RETURN, DISCARD):
                    self.emit("else:")
                    self.depth += 1
                    self.emit(f"{sink} = None")
                    self.depth -= 1
                return
            case ast.Match():
                self.match(e, sink)
                return
            case ast.Return(value=value):
                if value is None:
                    self.emit("return None")
                else:
                    self.deliver(value, RETURN)
                return
            case ast.Loop() | ast.While() | ast.For():
                control.loop(self, e)
                if sink == RETURN:
                    self.emit("return None")
                elif sink != DISCARD:
                    self.emit(f"{sink} = None")
                return
            case ast.Break() | ast.Continue():
                control.jump(self, e)
                return
            case ast.Assign():
                control.assign(self, e)
                if sink not in (RETURN, DISCARD):
                    self.emit(f"{sink} = None")
                return
            case ast.Call(callee=ast.Name(name="panic"), args=(msg,)) if self.is_prelude(e.callee):
                self.emit(f"raise {self.imports.need('weft.verum', 'Panic')}({self.expr(msg)})")
                return
        text = self.expr(e)
        if sink == RETURN:
            self.emit(f"return {text}")
        elif sink == DISCARD:
            if text.startswith("(await ") and text.endswith(")"):
                text = text[1:-1]
            if text != "None":
                self.emit(text)
        else:
            self.emit(f"{sink} = {text}")

    def nested(self, e: ast.Expr, sink: str) -> None:
        self.depth += 1
        start = len(self.lines)
        self.deliver(e, sink)
        if len(self.lines) == start:
            self.emit("pass")
        self.depth -= 1

    def statement(self, s: ast.Stmt) -> None:
        match s:
            case ast.LetStmt(value=value, else_block=None) if value is not None:
                self.let(s, s.pattern, s.type, value)
            case ast.ExprStmt(expr=expr):
                self.deliver(expr, DISCARD)
            case _:
                raise Unsupported(s.span, f"the statement `{type(s).__name__}`")

    def let(self, s: ast.LetStmt, pat: ast.Pattern, t: ast.TypeExpr | None,
            value: ast.Expr) -> None:
        """`let [mut] x [: T] = e`, `let _ = e` and `let (a, _, (b, c)) [: T] = e`."""
        match pat:
            case ast.WildcardPat():
                self.deliver(value, DISCARD)
            case ast.IdentPat(name=name, subpattern=None, by_ref=False):
                ty = self.ty_of_typeexpr(t) if t is not None else self.ty(value)
                target = py_name(name.name)
                # Python has one declaration per name: a shadowing `let` re-assigns.
                if t is not None and name.name not in self.env:
                    self.emit(f"{target}: {annotation(self.gen, self.imports, self.module, t)}")
                self.deliver(value, target)
                self.bind_local(name.name, ty)
            case ast.TuplePat():
                shape, names = self.let_tuple(pat)
                source = self.temp("p")
                if t is not None:
                    self.emit(f"{source}: {annotation(self.gen, self.imports, self.module, t)}")
                self.deliver(value, source)
                for n in names:
                    self.bind_local(n, None)
                self.emit(f"{shape} = {source}")
            case _:
                raise Unsupported(s.span, f"the `let` pattern `{type(pat).__name__}`")

    def let_tuple(self, pat: ast.Pattern) -> tuple[str, list[str]]:
        """A tuple `let` pattern as a Python unpacking target and the names it binds."""
        match pat:
            case ast.WildcardPat():
                return self.temp("u"), []
            case ast.IdentPat(name=name, subpattern=None, by_ref=False):
                return py_name(name.name), [name.name]
            case ast.TuplePat(elements=elems):
                subs = [self.let_tuple(p) for p in elems]
                inner = ", ".join(x for x, _ in subs)
                return f"({inner},)" if len(subs) == 1 else f"({inner})", \
                    [n for _, ns in subs for n in ns]
        raise Unsupported(pat.span, f"the `let` pattern `{type(pat).__name__}` inside a tuple")

    # ------------------------------------------------------------ match

    def match(self, m: ast.Match, sink: str) -> None:
        scrutinee = self.expr(m.scrutinee)
        arms = list(m.arms)
        # Maybe<T> is `T | None`: a `Some(x)` pattern is a capture, which Python
        # only allows last, so the (disjoint) `None` arms go first.
        if any(is_none_pattern(a.pattern) for a in arms):
            arms = [a for a in arms if is_none_pattern(a.pattern)] + \
                   [a for a in arms if not is_none_pattern(a.pattern)]
        self.emit(f"match {scrutinee}:")
        self.depth += 1
        irrefutable = False
        for arm in arms:
            pat, binds, conds = self.guarded_pattern(arm.pattern)
            for b in binds:
                self.bind_local(b, None)
            if arm.guard is not None:
                conds.append(self.expr(arm.guard))
            guard = f" if {' and '.join(conds)}" if conds else ""
            if irrefutable:
                raise Unsupported(arm.span, "a match arm after an arm that matches everything")
            irrefutable = guard == "" and (pat == "_" or (pat.isidentifier() and pat != "None"))
            self.emit(f"case {pat}{guard}:")
            self.nested(arm.body, sink)
        if not irrefutable:
            self.emit("case _:")
            self.depth += 1
            self.emit('raise AssertionError("unreachable: the match is exhaustive")')
            self.depth -= 1
        self.depth -= 1

    def guarded_pattern(self, p: ast.Pattern) -> tuple[str, list[str], list[str]]:
        return patterns.guarded_pattern(self, p)

    def pattern(self, p: ast.Pattern) -> tuple[str, list[str]]:
        return patterns.pattern(self, p)

    def variant_class(self, path: ast.Path) -> str | None:
        return patterns.variant_class(self, path)

    def stdlib_variant(self, owner: Symbol, name: str) -> tuple[str, bool] | None:
        return patterns.stdlib_variant(self, owner, name)

    def stdlib_variant_class(self, path: ast.Path) -> str | None:
        return patterns.stdlib_variant_class(self, path)

    def unit_variant(self, path: ast.Path) -> str | None:
        return patterns.unit_variant(self, path)

    # ------------------------------------------------------------ expressions

    def expr(self, e: ast.Expr) -> str:
        if id(e) in self.gen.runtime_checks:
            return self.runtime_checked(e)
        return self.plain_expr(e)

    def runtime_checked(self, e: ast.Expr) -> str:
        """A flow stage 5 could not decide in a `@verify(runtime)` function:
        the value is checked here against the same predicate AST (W2002)."""
        value = self.plain_expr(e)
        checked = self.gen.checked
        obligations = [ob for ob in checked.obligations if ob.value is e] if checked else []
        for ob in obligations:
            target = ob.target
            subjects = frozenset({"it", "self", "result",
                                  *([target.binder] if target.binder else [])})
            try:
                body = predicate_python(target.predicate, subjects)
            except UnsupportedPredicate as exc:
                raise Unsupported(e.span, f"a run-time check over {exc.what}",
                                  code="E6002") from None
            for module, imported in imports_of(body):
                self.imports.need(module, imported)
            fn = self.imports.need("weft.refinement", "checked")
            what = target.name or "the refinement"
            value = f"{fn}({value}, lambda value: {body}, {what!r})"
        return value

    def plain_expr(self, e: ast.Expr) -> str:
        match e:
            case ast.IntLit(value=v):
                return repr(v)
            case ast.FloatLit(value=v):
                return repr(v)
            case ast.BoolLit(value=v):
                return "True" if v else "False"
            case ast.TextLit(value=v) | ast.CharLit(value=v):
                return repr(v)
            case ast.Tuple(elements=()):
                return "None"
            case ast.Tuple(elements=elems):
                return f"({', '.join(self.expr(x) for x in elems)},)"
            case ast.Paren(expr=inner):
                return f"({self.expr(inner)})"
            case ast.FString() | ast.RouteLiteral():
                # A verified link is plain text at run time: stage 5 proved it.
                return self.fstring(e)
            case ast.Name(name=name):
                return self.name(e, name)
            case ast.Field():
                return self.field(e)
            case ast.Call():
                return self.call(e)
            case ast.MethodCall():
                return self.method_call(e)
            case ast.Await(target=target):
                if not self.is_async:
                    raise Unsupported(e.span, "`.await` outside an async function")
                return f"(await {self.expr(target)})"
            case ast.Try(target=target):
                return self.try_(e, target)
            case ast.Unary(op="!", operand=x):
                return f"(not {self.expr(x)})"
            case ast.Unary(op="-", operand=x):
                return f"(-{self.expr(x)})"
            case ast.Unary(op="&" | "&mut" | "*", operand=x):
                return self.expr(x)
            case ast.Unary(op="~", operand=x):
                return f"(~{self.expr(x)})"
            case ast.Binary(op="/", left=left, right=right) if self.is_float(e):
                return f"({self.expr(left)} / {self.expr(right)})"
            case ast.Binary(op=op, left=left, right=right) if op in _BINARY:
                return f"({self.expr(left)} {_BINARY[op]} {self.expr(right)})"
            case ast.Closure():
                return self.closure(e)
            case ast.RecordLit():
                return self.record(e)
            case ast.Block() | ast.If() | ast.Match():
                tmp = self.temp("v")
                self.deliver(e, tmp)
                return tmp
            case ast.Return() | ast.Loop() | ast.While() | ast.For() | ast.Break() \
                    | ast.Continue() | ast.Assign():
                self.deliver(e, DISCARD)
                return "None"
            case ast.ArrayLit(elements=elems):
                items = ", ".join(self.expr(x) for x in elems)
                return f"bytes([{items}])" if self.is_bytes(e) else f"[{items}]"
            case ast.ArrayRepeat(value=value, count=count):
                one = self.expr(value)
                return f"bytes([{one}]) * {self.expr(count)}" if self.is_bytes(e) \
                    else f"[{one}] * {self.expr(count)}"
            case ast.Index(target=target, index=index):
                return f"{self.expr(target)}[{self.expr(index)}]"
            case ast.TupleIndex(target=target, index=index):
                return f"{self.expr(target)}[{index}]"
            case ast.Cast(expr=inner, type=t):
                return self.cast(e, inner, t)
            case ast.IsPattern():
                return control.is_pattern(self, e)
            case ast.UnsafeBlock(body=body):
                return self.expr(body)
        raise Unsupported(e.span, f"the expression `{type(e).__name__}`")

    # ------------------------------------------------------------ checked types

    def sem(self, e: ast.Expr) -> Type | None:
        """Stage 4's type of `e` (None when the checker did not run)."""
        checked = self.gen.checked
        return None if checked is None else checked.type_of(e)

    def is_bytes(self, e: ast.Expr) -> bool:
        t = self.sem(e)
        return t is not None and is_bytes(t)

    def is_float(self, e: ast.Expr) -> bool:
        t = self.sem(e)
        return t is not None and strip(t) == Prim("Float")

    def is_prelude(self, callee: ast.Expr) -> bool:
        """Whether a called name is the prelude's (not a user fn that shadows it)."""
        if not isinstance(callee, ast.Name) or callee.name in self.env:
            return False
        sym = self.gen.symbols.lookup(self.module, callee.name)
        return sym is not None and sym.module == "core.prelude"

    def cast(self, e: ast.Expr, inner: ast.Expr, t: ast.TypeExpr) -> str:
        """`x as T` between numeric types: `int(..)`/`float(..)`; else the value itself."""
        target = annotation(self.gen, self.imports, self.module, t)
        value = self.expr(inner)
        if target in ("int", "float"):
            return f"{target}({value})"
        if target == "str":
            return f"str({value})"
        raise Unsupported(e.span, f"the cast `as {target}`")

    def fstring(self, e: ast.FString | ast.RouteLiteral) -> str:
        out: list[str] = []
        for part in e.parts:
            if isinstance(part, ast.FStringText):
                out.append(part.value.replace("{", "{{").replace("}", "}}"))
                continue
            value = self.expr(part.expr)
            if any(c in value for c in "'\"\\{}"):
                tmp = self.temp("f")
                self.emit(f"{tmp} = {value}")
                value = tmp
            spec = f":{part.spec}" if part.spec else ""
            out.append("{" + value + spec + "}")
        text = "".join(out)
        return "f" + repr(text) if "{" in text else repr(text.replace("{{", "{").replace("}}", "}"))

    def name(self, e: ast.Expr, name: str) -> str:
        if name in self.env:
            return py_name(name)
        if name == "None":
            return "None"
        if name == "self" and self.in_method_of is not None:
            return "self"
        sym = self.gen.symbols.lookup(self.module, name)
        if sym is not None and sym.qualified in self.gen.user_fns:
            return self.user_fn_ref(sym)
        if sym is not None and isinstance(sym.decl, ast.ConstDecl) and sym.decl.value is not None:
            return self.expr(sym.decl.value)
        if sym is not None and isinstance(sym.decl, ast.FnDecl):
            binding = self.gen.symbols.fn_binding(sym)
            if binding is not None:
                self.gen.check_unimplemented(sym, e.span, binding.unimplemented)
                if binding.python is not None:
                    return self.imports.target(binding.python)
                if sym.qualified in _INTRINSIC_FNS:
                    raise Unsupported(e.span, f"the intrinsic `{name}` as a value; call it, "
                                      "or wrap the call in a closure")
        raise Unsupported(e.span, f"the name `{name}` as a value")

    def user_fn_ref(self, sym: Symbol) -> str:
        pyname = self.gen.user_fns[sym.qualified]
        if self.in_method_of is not None:
            self.local_imports.add(f"from {self.gen.package}.app import {pyname}")
        return pyname

    def static_target(self, e: ast.Expr) -> Symbol | None:
        """The type or context a `Name` names when it is not a local value."""
        if isinstance(e, ast.Name) and e.name not in self.env:
            sym = self.gen.symbols.lookup(self.module, e.name)
            if sym is not None and isinstance(sym.decl, ast.TypeDecl | ast.ContextDecl
                                              | ast.ProtocolDecl):
                return sym
        return None

    def field(self, e: ast.Field) -> str:
        owner = self.static_target(e.target)
        if owner is not None:
            if owner.qualified in self.gen.contexts:
                return f"{self.context_instance(owner)}.{py_name(e.name.name)}"
            if owner.qualified == "core.net.http.Method":
                return repr(e.name.name.upper())
            variant = self.unit_variant(ast.Path(e.span, (ast.Ident(e.target.span, owner.name),
                                                          e.name)))
            if variant is not None:
                return variant
            binding = self.gen.symbols.type_binding(owner)
            bound = self.stdlib_variant(owner, e.name.name)
            if bound is not None:
                target, member = bound
                return target if member else f"{target}()"
            if binding is not None and binding.python is not None:
                return f"{self.imports.target(binding.python)}.{e.name.name}"
            raise Unsupported(e.span, f"`{owner.name}.{e.name.name}`")
        return f"{self.expr(e.target)}.{self.field_attr(e.target, e.name.name)}"

    def field_attr(self, target: ast.Expr, name: str) -> str:
        """The Python attribute of field `name`: its `@python("attr")` when
        the record declares one (`rapid_reset_budget` → `rapid_reset_rate`)."""
        t = self.ty(target)
        decl = None if t is None else t.sym.decl
        if isinstance(decl, ast.TypeDecl) and isinstance(decl.body, ast.RecordType):
            for f in decl.body.fields:
                if f.name.name == name:
                    alt = python_attr(f.attributes)
                    if alt is not None:
                        return alt
        return py_name(name)

    def context_instance(self, sym: Symbol) -> str:
        return self.imports.need(self.gen.package + ".contexts", self.gen.contexts[sym.qualified])

    def args(self, args: tuple[ast.Expr, ...]) -> str:
        return ", ".join(self.expr(a) for a in args)

    def call(self, e: ast.Call) -> str:
        return calls.call(self, e)

    def static_call(self, e: ast.Expr, owner: Symbol, member: str,
                    args: tuple[ast.Expr, ...]) -> str:
        return calls.static_call(self, e, owner, member, args)

    def method_call(self, e: ast.MethodCall) -> str:
        return calls.method_call(self, e)

    def route_args(self, e: ast.MethodCall, name: str) -> list[str]:
        return calls.route_args(self, e, name)

    def bound_method(self, recv: str, method: Method, args: list[str], owner: Symbol) -> str:
        return calls.bound_method(self, recv, method, args, owner)

    def try_(self, e: ast.Try, target: ast.Expr) -> str:
        ty = self.ty(target)
        value = self.expr(target)
        tmp = self.temp("r")
        self.emit(f"{tmp} = {value}")
        if ty is not None and ty.sym.qualified == "core.prelude.Maybe":
            self.emit(f"if {tmp} is None:")
            self.depth += 1
            self.emit("return None")
            self.depth -= 1
            return tmp
        err = self.imports.need("weft.result", "Err")
        self.emit(f"if isinstance({tmp}, {err}):")
        self.depth += 1
        self.emit(f"return {tmp}")
        self.depth -= 1
        return f"{tmp}.value"

    def closure(self, e: ast.Closure) -> str:
        """An expression body is a `lambda`; a body that needs statements is a
        nested `def` emitted just before the use, typed from stage 4."""
        names: list[str] = []
        for p in e.params:
            if not isinstance(p.pattern, ast.IdentPat):
                raise Unsupported(p.span, "a destructuring closure parameter")
            names.append(p.pattern.name.name)
        saved = dict(self.env)
        for n in names:
            self.env[n] = None
        mark = len(self.lines)
        routes, binds = len(self.gen.routes), len(self.gen.bind_literals)
        try:
            body = self.expr(e.body) if not e.is_async else ""
        except Unsupported:
            body = ""
        self.env = dict(saved)
        if len(self.lines) == mark and body and not e.is_async:
            self.env = saved
            params = ", ".join(py_name(n) for n in names)
            return f"(lambda {params}: {body})" if params else f"(lambda: {body})"
        # Lower the body again as a nested def: forget the first attempt.
        del self.lines[mark:]
        del self.gen.routes[routes:]
        del self.gen.bind_literals[binds:]
        fn_t = self.sem(e)
        if not isinstance(fn_t, FnT) or len(fn_t.params) != len(names):
            raise Unsupported(e.span, "a closure whose body needs statements and whose type "
                              "the checker did not settle; write it as a named fn")
        name = self.temp("closure")
        params = ", ".join(f"{py_name(n)}: {sem_annotation(self.gen, self.imports, t)}"
                           for n, t in zip(names, fn_t.params, strict=True))
        ret = sem_annotation(self.gen, self.imports, fn_t.ret)
        self.emit(f"{'async ' if e.is_async else ''}def {name}({params}) -> {ret}:")
        for n in names:
            self.env[n] = None
        saved_async = self.is_async
        self.is_async = e.is_async
        self.nested(e.body, RETURN if ret != "None" else DISCARD)
        self.is_async = saved_async
        self.env = saved
        return name

    def iterable(self, e: ast.Expr, text: str) -> str:
        """What `for` walks: a Map's (key, value) pairs, anything else as is."""
        t = self.sem(e)
        if t is not None:
            t = strip(t)
            if isinstance(t, Named) and t.qualified == "core.prelude.Map":
                return f"{text}.items()"
        return text

    def record(self, e: ast.RecordLit) -> str:
        sym = self.gen.symbols.lookup_path(self.module, e.path)
        if sym is None or not isinstance(sym.decl, ast.TypeDecl):
            raise Unsupported(e.span, f"the record literal `{e.path.dotted} {{..}}`")
        renames: dict[str, str] = {}
        if isinstance(sym.decl.body, ast.RecordType):
            for f in sym.decl.body.fields:
                alt = python_attr(f.attributes)
                if alt is not None:
                    renames[f.name.name] = alt
        fields = []
        for fi in e.fields:
            value = self.expr(fi.value) if fi.value is not None \
                else self.name(ast.Name(fi.span, fi.name.name), fi.name.name)
            fields.append(f"{renames.get(fi.name.name, py_name(fi.name.name))}={value}")
        if e.base is not None:
            replace = self.imports.need("dataclasses", "replace")
            return f"{replace}({', '.join([self.expr(e.base), *fields])})"
        if sym.qualified in self.gen.user_types:
            cls = self.imports.need(self.gen.package + ".types", self.gen.user_types[sym.qualified])
        elif sym.qualified in RECORD_BUILDERS:
            cls = self.imports.target(RECORD_BUILDERS[sym.qualified])
        else:
            binding = self.gen.symbols.type_binding(sym)
            if binding is None or binding.python is None:
                raise Unsupported(e.span, f"the record `{sym.name}` has no Python binding")
            cls = self.imports.target(binding.python)
        return f"{cls}({', '.join(fields)})"

    # ------------------------------------------------------------ types of values

    def ty(self, e: ast.Expr) -> Ty | None:
        return valuetypes.ty(self, e)

    def ty_of_sem(self, t: Type) -> Ty | None:
        return valuetypes.ty_of_sem(self, t)

    def ty_in(self, module: str, t: ast.TypeExpr | None) -> Ty | None:
        return valuetypes.ty_in(self, module, t)

    def arg_ty(self, outer: Ty, t: ast.TypeExpr) -> Ty | None:
        return valuetypes.arg_ty(self, outer, t)

    def ret_ty(self, owner: Symbol, member: str, argc: int, recv: Ty | None) -> Ty | None:
        return valuetypes.ret_ty(self, owner, member, argc, recv)

