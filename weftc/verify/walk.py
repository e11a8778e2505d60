"""Path-sensitive walk of one function body: where each obligation's hypotheses come from.

The walker carries the *path*: the facts that hold here (conditions of the
enclosing `if`s and `match` arms, negations of earlier arms and of early
returns, the `ensures` of calls made so far) and the environment (each local
as a symbolic value). At every expression the type checker recorded as a
flow into a refined type it emits a `Goal`; at every call of a function with
a contract it emits the `requires` goals, then assumes the `ensures`.

Branches are walked separately and merged: a local that differs between
branches becomes a fresh value equal to each branch's value under that
branch's facts. Loops havoc what their body assigns, so what is proven
inside a loop holds on every iteration. Anything the walker cannot model
becomes an unconstrained value of its type (plus the type's refinement):
less is known, never something false.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import z3

from weftc.diagnostics import Diagnostic, Label, error
from weftc.resolve.symbols import ConstSym, FnSym, LocalSym, VariantSym
from weftc.routes.links import has_mixed, match_link
from weftc.source import Span
from weftc.syntax import ast
from weftc.typecheck.checked import Obligation, Signature
from weftc.types import NEVER, Named, Prim, Refined, Type, display, strip
from weftc.verify.bodies import Key, assigned, children, has_break, mutated_fields
from weftc.verify.encode import (
    ExprEncoder,
    Part,
    PredicateEncoder,
    Universe,
    bind_params,
    length_of,
    param_names,
    show_value,
    split_conjuncts,
    unfold_body,
)
from weftc.verify.values import EnumVal, RecordVal, Unencodable, Value, same_sort


@dataclass(frozen=True, slots=True)
class Goal:
    """One conjunct to prove on one path.

    `kind` is the obligation's flow kind (or "requires"/"ensures"), `span` the
    flowing value (or the call), `value_text` its source, `target` the
    refinement's name or the contract's text, `target_span` where that is
    defined, `part` the conjunct. `facts` are the path's hypotheses; the
    program's axioms are added at solving time. `runtime` says the function
    allows a runtime check instead of a proof. `error` is set when the goal
    could not be encoded at all (E2003).
    """

    kind: str
    function: str
    span: Span
    value_text: str
    target: str
    target_span: Span
    whole: str
    part: Part | None
    facts: tuple[z3.BoolRef, ...]
    runtime: bool
    value_id: int
    error: str | None = None
    state: EnumVal | None = None
    link: LinkGoal | None = None
    shown: tuple[tuple[str, z3.ExprRef], ...] = ()


@dataclass(frozen=True, slots=True)
class LinkGoal:
    """What an E4006 names: the link, the route and handler, the parameter
    and the captured segment as written."""

    link: str
    route: str
    param: str
    shown: str


@dataclass(slots=True)
class _Path:
    env: dict[Key, Value]
    facts: list[z3.BoolRef]
    dead: bool = False
    value: Value = None


class BodyWalker(ExprEncoder):
    """Walks one function (see the module docstring) and collects `goals`."""

    def __init__(self, u: Universe, obligations: dict[int, list[Obligation]],
                 visited: set[int], function: str, runtime: bool) -> None:
        super().__init__(u)
        self.obligations = obligations
        self.visited = visited
        self.function = function
        self.runtime = runtime
        self.goals: list[Goal] = []
        self.diags: list[Diagnostic] = []
        self.path = _Path({}, [])
        self.ensures: tuple[ast.Contract, ...] = ()
        self.self_decl: ast.FnDecl | None = None
        self.arg_bindings: dict[int, dict[str, Value]] = {}
        self.record_ctx: dict[int, RecordVal] = {}
        self.params: dict[str, Value] = {}

    # ================================================================ entry

    def run(self, sig: Signature) -> None:
        decl = sig.decl
        if not isinstance(decl, ast.FnDecl) or decl.body is None:
            return
        self.self_decl = decl
        args: list[Value] = []
        receiver: Value = None
        if sig.self_type is not None:
            receiver = self.u.fresh(sig.self_type, "self")
            self.path.env["self"] = receiver
            self.params["self"] = receiver
        for p in sig.params:
            if p.pattern is not None:
                self.bind(p.pattern, self.u.fresh(p.type, p.name, extra=self.params)
                          if isinstance(p.pattern, ast.IdentPat) else None)
                args.append(self.lookup_pattern(p.pattern))
                self.params[p.name] = args[-1]
            else:
                args.append(None)
        bindings = bind_params(decl, args, receiver)
        for c in decl.contracts:
            if c.kind == "requires":
                for cond in c.conditions:
                    for conj in split_conjuncts(cond):
                        try:
                            enc = PredicateEncoder(self.u, sig.module, bindings, None, 0)
                            self.path.facts.append(enc.boolean(conj))
                        except Unencodable:
                            continue
        self.ensures = tuple(c for c in decl.contracts if c.kind == "ensures")
        value = self.expr(decl.body)
        if not self.path.dead:
            tail = decl.body.tail if isinstance(decl.body, ast.Block) else decl.body
            self.check_ensures(value, tail if tail is not None else decl.body)

    def lookup_pattern(self, p: ast.Pattern) -> Value:
        sym = self.u.checked.symbols.get(id(p))
        if isinstance(sym, LocalSym):
            return self.path.env.get(sym.id)
        return None

    # ================================================================ goals

    def expr(self, e: ast.Expr) -> Value:
        if self.path.dead:
            return None
        if isinstance(e, (ast.If, ast.Block)) and id(e) in self.obligations:
            self.push_down(e, self.obligations.pop(id(e)))
        try:
            v = self.encode(e)
        except Unencodable:
            v = None
        obs = self.obligations.get(id(e))
        if obs:
            self.visited.add(id(e))
            if v is None:
                v = self.u.fresh(self.u.checked.type_of(e), self.u.text(e))
            for ob in obs:
                self.goal_for(ob, e, v)
        return v

    def push_down(self, e: ast.Expr, obs: list[Obligation]) -> None:
        """A flow of an `if` (or block) is a flow of each branch's value, proven
        under that branch's facts and reported at the branch that fails."""
        self.visited.add(id(e))
        if isinstance(e, ast.If):
            self.push_down(e.then, obs)
            if e.else_ is not None:
                self.push_down(e.else_, obs)
            return
        if isinstance(e, ast.Block):
            if e.tail is not None:
                self.push_down(e.tail, obs)
            return
        self.obligations.setdefault(id(e), []).extend(
            dataclasses.replace(ob, span=e.span, value=e) for ob in obs)

    def goal_for(self, ob: Obligation, e: ast.Expr, v: Value) -> None:
        target = ob.target
        name = target.name if target.name is not None else self.u.text(target.predicate)
        whole = self.u.text(target.predicate)
        extra = self.arg_bindings.get(id(e))
        if extra is None and ob.kind == "return":
            extra = self.params
        try:
            parts = self.u.parts(target, v, siblings=self.record_ctx.get(id(e)), extra=extra)
        except Unencodable as exc:
            self.goals.append(Goal(ob.kind, self.function, ob.span, self.u.text(e), name,
                                   target.span, whole, None, tuple(self.path.facts),
                                   self.runtime, id(e), error=exc.what))
            return
        shown = self.locals_in(e)
        for part in parts:
            self.goals.append(Goal(ob.kind, self.function, ob.span, self.u.text(e), name,
                                   target.span, whole, part, tuple(self.path.facts),
                                   self.runtime, id(e), shown=shown))

    def locals_in(self, e: ast.Expr) -> tuple[tuple[str, z3.ExprRef], ...]:
        """The locals a flowing value names, for the counterexample (`y = 1`
        even when `y` is bound to `x + 1`)."""
        out: dict[str, z3.ExprRef] = {}

        def visit(node: object) -> None:
            if isinstance(node, ast.Name):
                sym = self.u.checked.symbols.get(id(node))
                if isinstance(sym, LocalSym):
                    v = self.path.env.get("self" if sym.name == "self" else sym.id)
                    if isinstance(v, z3.ExprRef):
                        out.setdefault(node.name, v)
                return
            for child in children(node):
                visit(child)

        visit(e)
        return tuple(out.items())

    def contract_goals(self, kind: str, contract: ast.Contract, module: str,
                       bindings: dict[str, Value], at: ast.Node, callee: str) -> None:
        enc = PredicateEncoder(self.u, module, bindings, None, 0)
        for cond in contract.conditions:
            for conj in split_conjuncts(cond):
                text = self.u.text(conj)
                state = self.state_in(conj, bindings)
                try:
                    part = Part(text, enc.boolean(conj))
                except Unencodable as exc:
                    self.goals.append(Goal(kind, self.function, at.span, self.u.text(at),
                                           callee, contract.span, text, None,
                                           tuple(self.path.facts), self.runtime, id(at),
                                           error=exc.what))
                    continue
                self.goals.append(Goal(kind, self.function, at.span, self.u.text(at), callee,
                                       contract.span, text, part, tuple(self.path.facts),
                                       self.runtime, id(at), state=state))

    def state_in(self, conj: ast.Expr, bindings: dict[str, Value]) -> EnumVal | None:
        """For `self.state == S.X`: the state value, so a failure can say what
        the path knows it to be (see `known_state`)."""
        if not (isinstance(conj, ast.Binary) and conj.op == "=="):
            return None
        try:
            enc = PredicateEncoder(self.u, self.u.module_of(conj), bindings, None, 0)
            lhs = enc.expr(conj.left)
        except Unencodable:
            return None
        return lhs if isinstance(lhs, EnumVal) else None

    def check_ensures(self, value: Value, at: ast.Node) -> None:
        if not self.ensures or self.self_decl is None:
            return
        args = [self.lookup_param(p) for p in self.self_decl.params if isinstance(p, ast.Param)]
        bindings = bind_params(self.self_decl, args, self.path.env.get("self"))
        bindings["result"] = value
        for c in self.ensures:
            self.contract_goals("ensures", c, self.u.module_of(self.self_decl), bindings, at,
                                self.self_decl.name.name)

    def lookup_param(self, p: ast.Param) -> Value:
        return self.lookup_pattern(p.pattern)

    # ================================================================ names

    def name(self, e: ast.Name) -> Value:
        sym = self.u.checked.symbols.get(id(e))
        if isinstance(sym, LocalSym):
            key: Key = "self" if sym.name == "self" else sym.id
            if key in self.path.env:
                return self.path.env[key]
            v = self.u.fresh(self.u.checked.local_type(sym.id) or self.u.checked.type_of(e),
                             e.name)
            self.path.env[key] = v
            return v
        if isinstance(sym, ConstSym) and isinstance(sym.decl, ast.ConstDecl) \
                and sym.decl.value is not None:
            try:
                return PredicateEncoder(self.u, sym.module, {}, None, 1).expr(sym.decl.value)
            except Unencodable:
                return self.u.fresh(self.u.checked.type_of(e), e.name)
        if isinstance(sym, VariantSym):
            return self.u.enum_value(Named(sym.module, sym.type_name), sym.index)
        return self.u.fresh(self.u.checked.type_of(e), e.name)

    def variant_of_field(self, e: ast.Field) -> Value:
        sym = self.u.checked.symbols.get(id(e))
        if isinstance(sym, VariantSym):
            return self.u.enum_value(Named(sym.module, sym.type_name), sym.index)
        return None

    def opaque_field(self, e: ast.Field) -> Value:
        return self.u.fresh(self.u.checked.type_of(e), self.u.text(e))

    # ================================================================ calls

    def arguments(self, e: ast.Call | ast.MethodCall, receiver: Value) -> list[Value]:
        """Walk the arguments in order; each sees the earlier ones by parameter
        name, for refinements that mention other parameters (`hi: Int{>= lo}`)."""
        sym = self.u.checked.symbols.get(id(e))
        names = param_names(sym.decl) if isinstance(sym, FnSym) else []
        seen: dict[str, Value] = {"self": receiver} if receiver is not None else {}
        out: list[Value] = []
        for i, a in enumerate(e.args):
            self.arg_bindings[id(a)] = dict(seen)
            v = self.expr(a)
            out.append(v)
            if i < len(names) and names[i] is not None:
                seen[str(names[i])] = v
        return out

    def call(self, e: ast.Call) -> Value:
        args = self.arguments(e, None)
        if self.path.dead:
            return None
        if isinstance(e.callee, ast.Name) and e.callee.name == "len" and len(args) == 1:
            n = length_of(args[0])
            if n is not None:
                return n
        sym = self.u.checked.symbols.get(id(e))
        if isinstance(sym, VariantSym):
            return self.u.enum_value(Named(sym.module, sym.type_name), sym.index)
        if isinstance(sym, FnSym):
            out = self.invoke(e, sym, args, None, None)
            if self.u.checked.type_of(e) == NEVER:
                self.path.dead = True
            return out
        if not isinstance(e.callee, ast.Name):
            self.expr(e.callee)
        return self.u.fresh(self.u.checked.type_of(e), self.u.text(e))

    def user_method(self, e: ast.MethodCall, receiver: Value, args: list[Value]) -> Value:
        sym = self.u.checked.symbols.get(id(e))
        if isinstance(sym, FnSym):
            out = self.invoke(e, sym, args, receiver, e.receiver)
            if self.u.checked.type_of(e) == NEVER:
                self.path.dead = True
            return out
        return self.u.fresh(self.u.checked.type_of(e), self.u.text(e))

    def method_call(self, e: ast.MethodCall) -> Value:
        receiver = self.expr(e.receiver)
        args = self.arguments(e, receiver)
        if self.path.dead:
            return None
        try:
            builtin = text_or_none(e, receiver, args)
        except Unencodable:
            builtin = None
        if builtin is not None:
            return builtin
        return self.user_method(e, receiver, args)

    def invoke(self, e: ast.Expr, sym: FnSym, args: list[Value], receiver: Value,
               receiver_expr: ast.Expr | None) -> Value:
        decl = sym.decl
        bindings = bind_params(decl, args, receiver)
        for c in decl.contracts:
            if c.kind == "requires":
                self.contract_goals("requires", c, sym.module, bindings, e, sym.name)
        result: Value = None
        if "pure" in decl.modifiers and unfold_body(decl) is not None:
            try:
                result = self.unfold(decl, sym.module, dict(bindings))
            except Unencodable:
                result = None
        if result is None:
            result = self.u.fresh(self.u.checked.type_of(e), self.u.text(e), extra=bindings)
        sig = self.u.checked.signature_of(decl)
        if sig is not None and sig.self_kind is not None and "mut" in sig.self_kind \
                and receiver_expr is not None and sig.self_type is not None:
            after = self.after_mutation(receiver, decl, sig.self_type, receiver_expr)
            self.assign_to(receiver_expr, after)
            bindings = {**bindings, "self": after}
        ensures = [c for c in decl.contracts if c.kind == "ensures"]
        if ensures:
            bindings = {**bindings, "result": result}
            enc = PredicateEncoder(self.u, sym.module, bindings, None, 0)
            for c in ensures:
                for cond in c.conditions:
                    for conj in split_conjuncts(cond):
                        try:
                            self.path.facts.append(enc.boolean(conj))
                        except Unencodable:
                            continue
        return result

    def after_mutation(self, receiver: Value, decl: ast.FnDecl, self_type: Type,
                       receiver_expr: ast.Expr) -> Value:
        """The receiver after a `&mut self` call: the fields the method's body
        may write are fresh; the others keep their values (the frame rule). A
        method without a body, or one that hands `self` on, changes anything."""
        label = self.u.text(receiver_expr)
        written = mutated_fields(decl, self.u, 0)
        if written is None or not isinstance(receiver, RecordVal):
            return self.u.fresh(self_type, label)
        after = RecordVal(receiver.type, receiver.label, dict(receiver.fields))
        for f in written:
            after.fields.pop(f, None)
        return after

    # ================================================================ statements

    def other(self, e: ast.Expr) -> Value:
        if isinstance(e, ast.Block):
            return self.block(e)
        if isinstance(e, ast.Return):
            return self.return_(e)
        if isinstance(e, ast.Match):
            return self.match(e)
        if isinstance(e, ast.Assign):
            return self.assign(e)
        if isinstance(e, ast.Try):
            self.expr(e.target)
            return self.u.fresh(self.u.checked.type_of(e), self.u.text(e))
        if isinstance(e, ast.Await):
            self.expr(e.target)
            return self.u.fresh(self.u.checked.type_of(e), self.u.text(e))
        if isinstance(e, (ast.While, ast.Loop, ast.For)):
            return self.loop(e)
        if isinstance(e, ast.RecordLit):
            return self.record(e)
        if isinstance(e, ast.RouteLiteral):
            return self.route_link(e)
        if isinstance(e, ast.Closure):
            self.closure(e)
            return None
        if isinstance(e, (ast.Break, ast.Continue)):
            if isinstance(e, ast.Break) and e.value is not None:
                self.expr(e.value)
            self.path.dead = True
            return None
        for child in children(e):
            self.expr(child)
        return self.u.fresh(self.u.checked.type_of(e), self.u.text(e))

    def block(self, b: ast.Block) -> Value:
        for s in b.stmts:
            if self.path.dead:
                return None
            self.statement(s)
        return self.expr(b.tail) if b.tail is not None and not self.path.dead else None

    def statement(self, s: ast.Stmt) -> None:
        if isinstance(s, ast.LetStmt):
            v = self.expr(s.value) if s.value is not None else None
            if s.else_block is not None:
                saved = self.snapshot()
                self.expr(s.else_block)
                self.path = saved
            if isinstance(s.pattern, ast.IdentPat) and s.value is not None \
                    and not isinstance(s.value, (ast.Name, ast.Paren)):
                self.relabel(v, self.u.text(s.value), s.pattern.name.name)
            self.bind(s.pattern, v)
        elif isinstance(s, ast.ExprStmt):
            self.expr(s.expr)
        elif isinstance(s, ast.ProvideStmt):
            for child in children(s):
                self.expr(child)

    def relabel(self, v: Value, old: str, new: str) -> None:
        """`let ws = WsSession.open(id);`: a value named after the expression
        it came from is shown by the local's name (`ws.state`, not
        `WsSession.open(id).state`) from here on."""
        if isinstance(v, z3.ExprRef) and z3.is_const(v) and self.u.labels.get(str(v)) == old:
            self.u.labels[str(v)] = new
        elif isinstance(v, EnumVal) and self.u.labels.get(str(v.tag)) == old:
            self.u.labels[str(v.tag)] = new
        elif isinstance(v, RecordVal) and v.label == old:
            v.label = new
            for name, label in list(self.u.labels.items()):
                if label.startswith(old + "."):
                    self.u.labels[name] = new + label[len(old):]

    def bind(self, p: ast.Pattern, v: Value) -> None:
        cond = self.pattern(p, v)
        if cond is not None:
            self.path.facts.append(cond)

    def return_(self, e: ast.Return) -> Value:
        v = self.expr(e.value) if e.value is not None else None
        if not self.path.dead:
            self.check_ensures(v, e.value if e.value is not None else e)
        self.path.dead = True
        return None

    def assign(self, e: ast.Assign) -> Value:
        v = self.expr(e.value)
        if e.op != "=":
            try:
                old = self.expr(e.target)
                v = binary_or_none(e.op[:-1], old, v)
            except Unencodable:
                v = None
        if v is None:
            v = self.u.fresh(self.u.checked.type_of(e.target), self.u.text(e.target))
        self.assign_to(e.target, v)
        self.keep_declared(e.target, v)
        return None

    def keep_declared(self, target: ast.Expr, v: Value) -> None:
        """After `x = e` into a refined local, `x` has its declared refinement
        on this path: the flow itself is a goal of its own, reported once."""
        sym = self.u.checked.symbols.get(id(target)) if isinstance(target, ast.Name) else None
        declared = self.u.checked.local_type(sym.id) if isinstance(sym, LocalSym) else None
        if not isinstance(declared, Refined) or v is None:
            return
        try:
            self.path.facts.extend(p.term for p in self.u.parts(declared, v))
        except Unencodable:
            return

    def assign_to(self, target: ast.Expr, v: Value) -> None:
        if isinstance(target, ast.Paren):
            self.assign_to(target.expr, v)
        elif isinstance(target, ast.Name):
            sym = self.u.checked.symbols.get(id(target))
            if isinstance(sym, LocalSym):
                self.path.env["self" if sym.name == "self" else sym.id] = v
        elif isinstance(target, ast.Field):
            try:
                record = self.encode(target.target)
            except Unencodable:
                return
            if isinstance(record, RecordVal):
                self.assign_to(target.target, record.with_field(target.name.name, v))

    def record(self, e: ast.RecordLit) -> Value:
        t = strip(self.u.checked.type_of(e) or Named("", ""))
        if not (isinstance(t, Named) and self.u.checked.world.record_fields(t) is not None):
            for child in children(e):
                self.expr(child)
            return None
        # Fields are filled in source order; a field's refinement that names a
        # sibling (`hi: Int{>= lo}`) sees the siblings given before it.
        rec = RecordVal(t, self.u.text(e))
        base = self.expr(e.base) if e.base is not None else None
        for f in e.fields:
            if f.value is not None:
                self.record_ctx[id(f.value)] = rec
                rec.fields[f.name.name] = self.expr(f.value)
            else:
                rec.fields[f.name.name] = self.shorthand(f)
        if isinstance(base, RecordVal):
            for name, v in base.fields.items():
                rec.fields.setdefault(name, v)
        return rec

    def route_link(self, e: ast.RouteLiteral) -> Value:
        """`route#"/api/{v}/users/{id}"`: the route that serves it, and each
        captured segment proven against that handler's refinement (E4005/E4006)."""
        values: dict[int, Value] = {}
        for piece in e.parts:
            if isinstance(piece, ast.FStringExpr):
                values[id(piece.expr)] = self.expr(piece.expr)
        link = e.text if e.text.startswith("route#") else f'route#"{e.text}"'
        if has_mixed(e):
            self.diags.append(error(
                "E4005", f"`{link}` cannot be matched: an interpolation must fill a whole "
                "path segment (`/{id}/`, not `/v{n}/`)", e.span))
            return self.u.const(z3.StringSort(), link)
        found = match_link(self.u.routes, e)
        if found is None:
            served = ", ".join(f"{r.method} {r.path}" for r in self.u.routes[:6]) or "none"
            self.diags.append(error("E4005", f"`{link}` matches no route of the program",
                                    e.span, notes=[f"routes served: {served}"]))
            return self.u.const(z3.StringSort(), link)
        route, captures = found
        for cap in captures:
            target = route.param_type(cap.param)
            if not isinstance(target, Refined):
                continue
            where = f"route `{route.method} {route.path}` (handler `{route.handler_name}`)"
            seg = cap.segment
            if seg.expr is not None:
                value = values.get(id(seg.expr))
                if value is None:
                    value = self.u.fresh(self.u.checked.type_of(seg.expr), self.u.text(seg.expr))
                shown = self.u.text(seg.expr)
            else:
                value = literal_segment(seg.text, target)
                shown = show_value(value) if isinstance(value, z3.ExprRef) else seg.text
                if value is None:
                    self.diags.append(error(
                        "E4006", f"`{link}` matches {where}, but its segment `{seg.text}` for "
                        f"`:{cap.param}` is not a {display(strip(target))}", e.span,
                        labels=[Label(target.span, "parameter type defined here")],
                        counterexample={cap.param: seg.text}))
                    continue
            name = target.name if target.name is not None else self.u.text(target.predicate)
            try:
                parts = self.u.parts(target, value)
            except Unencodable as exc:
                self.goals.append(Goal("link", self.function, e.span, shown, name, target.span,
                                       self.u.text(target.predicate), None,
                                       tuple(self.path.facts), self.runtime, id(e),
                                       error=exc.what))
                continue
            for part in parts:
                self.goals.append(Goal("link", self.function, e.span, shown, name, target.span,
                                       self.u.text(target.predicate), part,
                                       tuple(self.path.facts), self.runtime, id(e),
                                       link=LinkGoal(link, where, cap.param, shown)))
        return self.u.const(z3.StringSort(), link)

    def shorthand(self, f: ast.FieldInit) -> Value:
        """`User { id, name }`: the field takes the newest local of that name."""
        for key, v in reversed(list(self.path.env.items())):
            if isinstance(key, int) and self.local_name(key) == f.name.name:
                return v
        return None

    def local_name(self, sym_id: int) -> str | None:
        return self.u.local_names.get(sym_id)

    def closure(self, e: ast.Closure) -> None:
        saved = self.snapshot()
        for p in e.params:
            self.bind(p.pattern, None)
        self.expr(e.body)
        self.path = saved

    # ================================================================ branching

    def snapshot(self) -> _Path:
        return _Path(dict(self.path.env), list(self.path.facts), self.path.dead)

    def binary(self, e: ast.Binary) -> Value:
        """`a && b` proves `b`'s flows knowing `a` (and `a || b` knowing `!a`):
        the right operand only runs when the left one allows it."""
        if e.op not in ("&&", "||"):
            return super().binary(e)
        left = self.expr(e.left)
        saved = len(self.path.facts)
        if isinstance(left, z3.BoolRef):
            self.path.facts.append(left if e.op == "&&" else z3.Not(left))
        right = self.expr(e.right)
        del self.path.facts[saved:]
        if isinstance(left, z3.BoolRef) and isinstance(right, z3.BoolRef):
            return z3.And(left, right) if e.op == "&&" else z3.Or(left, right)
        return None

    def if_expr(self, e: ast.If) -> Value:
        return self.branches_if(e)

    def branches_if(self, e: ast.If) -> Value:
        base = self.snapshot()
        cond = self.condition(e.condition)
        after_cond = self.snapshot()
        if cond is not None:
            self.path.facts.append(cond)
        then_value = self.expr(e.then)
        then_path = self.path
        then_path.value = then_value
        self.path = _Path(dict(base.env), list(after_cond.facts), after_cond.dead)
        if cond is not None:
            self.path.facts.append(z3.Not(cond))
        else_value = self.expr(e.else_) if e.else_ is not None else None
        else_path = self.path
        else_path.value = else_value
        self.path = self.merge(after_cond, [then_path, else_path])
        return self.path.value

    def condition(self, c: ast.Expr) -> z3.BoolRef | None:
        """An `if` head: a Bool term, or None for `let` conditions (whose
        bindings are made here) and heads the encoder cannot read."""
        if isinstance(c, ast.LetCondition):
            v = self.expr(c.value)
            return self.pattern(c.pattern, v)
        if isinstance(c, ast.Binary) and c.op == "&&":
            a = self.condition(c.left)
            b = self.condition(c.right)
            if a is not None and b is not None:
                return z3.And(a, b)
            return a if b is None else b
        v = self.expr(c)
        return v if isinstance(v, z3.BoolRef) else None

    def match(self, e: ast.Match) -> Value:
        scrutinee = self.expr(e.scrutinee)
        base = self.snapshot()
        arms: list[_Path] = []
        earlier: list[z3.BoolRef] = []
        for arm in e.arms:
            self.path = _Path(dict(base.env), [*base.facts, *earlier], base.dead)
            cond = self.pattern(arm.pattern, scrutinee)
            if cond is not None:
                self.path.facts.append(cond)
            guard: z3.BoolRef | None = None
            if arm.guard is not None:
                guard = self.condition(arm.guard)
                if guard is not None:
                    self.path.facts.append(guard)
            value = self.expr(arm.body)
            self.path.value = value
            arms.append(self.path)
            if cond is not None and (arm.guard is None or guard is not None):
                whole = cond if guard is None else z3.And(cond, guard)
                earlier.append(z3.Not(whole))
            elif arm.guard is None and cond is None and self.irrefutable(arm.pattern):
                earlier.append(z3.BoolVal(False))
        self.path = self.merge(base, arms)
        return self.path.value

    def irrefutable(self, p: ast.Pattern) -> bool:
        if isinstance(p, ast.WildcardPat):
            return True
        return isinstance(p, ast.IdentPat) and p.subpattern is None \
            and isinstance(self.u.checked.symbols.get(id(p)), LocalSym)

    def merge(self, base: _Path, branches: list[_Path]) -> _Path:
        alive = [b for b in branches if not b.dead]
        if not alive:
            return _Path(base.env, base.facts, True)
        if len(alive) == 1:
            return alive[0]
        n = len(base.facts)
        eqs: list[list[z3.BoolRef]] = [list(b.facts[n:]) for b in alive]
        env: dict[Key, Value] = {}
        keys: list[Key] = []
        for b in alive:
            keys.extend(k for k in b.env if k not in keys)
        for k in keys:
            env[k] = self.join([b.env.get(k) for b in alive], eqs, str(k))
        value = self.join([b.value for b in alive], eqs, "value")
        facts = list(base.facts)
        facts.append(z3.Or(*[z3.And(*e) if e else z3.BoolVal(True) for e in eqs]))
        return _Path(env, facts, False, value)

    def join(self, values: list[Value], eqs: list[list[z3.BoolRef]], label: str) -> Value:
        first = values[0]
        if all(v is first for v in values):
            return first
        if all(isinstance(v, z3.ExprRef) for v in values) and \
                all(same_sort(first, v) for v in values):
            assert isinstance(first, z3.ExprRef)
            j = self.u.const(first.sort(), label)
            for i, v in enumerate(values):
                eqs[i].append(j == v)
            return j
        if all(isinstance(v, EnumVal) for v in values):
            assert isinstance(first, EnumVal)
            tag = self.u.const(z3.IntSort(), label)
            self.u.enum_names[str(tag)] = first.variants
            for i, v in enumerate(values):
                assert isinstance(v, EnumVal)
                eqs[i].append(tag == v.tag)
            return EnumVal(first.type, tag, first.variants)
        if all(isinstance(v, RecordVal) for v in values):
            assert isinstance(first, RecordVal)
            recs = [v for v in values if isinstance(v, RecordVal)]
            names: list[str] = []
            for r in recs:
                names.extend(f for f in r.fields if f not in names)
            out = RecordVal(first.type, first.label)
            for f in names:
                out.fields[f] = self.join([self.u.field(r, f) for r in recs], eqs,
                                          f"{first.label}.{f}")
            return out
        return None

    # ================================================================ loops

    def loop(self, e: ast.While | ast.Loop | ast.For) -> Value:
        for key in assigned(e, self.u):
            old = self.path.env.get(key)
            self.path.env[key] = self.havoc(old, key)
        base = self.snapshot()
        cond: z3.BoolRef | None = None
        if isinstance(e, ast.While):
            cond = self.condition(e.condition)
            if cond is not None:
                self.path.facts.append(cond)
        elif isinstance(e, ast.For):
            self.expr(e.iterable)
            self.bind(e.pattern, None)
        self.expr(e.body)
        self.path = base
        if isinstance(e, ast.While) and cond is not None and not has_break(e.body):
            self.path.facts.append(z3.Not(cond))
        if isinstance(e, ast.Loop) and not has_break(e.body):
            self.path.dead = True
        return None

    def havoc(self, old: Value, key: Key) -> Value:
        label = self.local_name(key) if isinstance(key, int) else str(key)
        if isinstance(old, z3.ExprRef):
            return self.u.const(old.sort(), label or "v")
        if isinstance(old, EnumVal):
            tag = self.u.const(z3.IntSort(), label or "v")
            self.u.enum_names[str(tag)] = old.variants
            self.u.axioms.append(z3.And(tag >= 0, tag < len(old.variants)))
            return EnumVal(old.type, tag, old.variants)
        if isinstance(old, RecordVal):
            return self.u.fresh(old.type, label or "v")
        if isinstance(key, int):
            return self.u.fresh(self.u.checked.local_type(key), label or "v")
        return None

    # ================================================================ patterns

    def pattern(self, p: ast.Pattern, v: Value) -> z3.BoolRef | None:
        """Bind `p`'s names against `v`; the condition under which `p` matches
        (None: unknown or always)."""
        sym = self.u.checked.symbols.get(id(p))
        if isinstance(p, ast.IdentPat):
            if isinstance(sym, VariantSym):
                return self.tag_is(v, sym)
            if isinstance(sym, LocalSym):
                value = v if v is not None else self.u.fresh(
                    self.u.checked.local_type(sym.id), p.name.name)
                self.path.env[sym.id] = value
                self.u.local_names[sym.id] = p.name.name
            if p.subpattern is not None:
                return self.pattern(p.subpattern, v)
            return None
        if isinstance(p, ast.LiteralPat):
            try:
                lit = self.encode(p.value)
            except Unencodable:
                return None
            try:
                t = binary_or_none("==", v, lit)
            except Unencodable:
                return None
            return t if isinstance(t, z3.BoolRef) else None
        if isinstance(p, ast.RangePat):
            if not isinstance(v, z3.ArithRef):
                return None
            conds = []
            try:
                if p.start is not None:
                    lo = self.encode(p.start)
                    if isinstance(lo, z3.ArithRef):
                        conds.append(v >= lo)
                if p.end is not None:
                    hi = self.encode(p.end)
                    if isinstance(hi, z3.ArithRef):
                        conds.append(v <= hi if p.inclusive else v < hi)
            except Unencodable:
                return None
            return z3.And(*conds) if conds else None
        if isinstance(p, ast.OrPat):
            alts = [self.pattern(a, v) for a in p.alternatives]
            if any(a is None for a in alts):
                return None
            return z3.Or(*[a for a in alts if a is not None])
        if isinstance(p, ast.PathPat):
            return self.tag_is(v, sym) if isinstance(sym, VariantSym) else None
        if isinstance(p, ast.VariantPat):
            for a in p.args:
                self.pattern(a, None)
            return self.tag_is(v, sym) if isinstance(sym, VariantSym) else None
        if isinstance(p, ast.RecordPat):
            parts: list[z3.BoolRef] = []
            for f in p.fields:
                fv = self.u.field(v, f.name.name) if isinstance(v, RecordVal) else None
                if f.pattern is not None:
                    c = self.pattern(f.pattern, fv)
                    if c is not None:
                        parts.append(c)
            tag = self.tag_is(v, sym) if isinstance(sym, VariantSym) else None
            if tag is not None:
                parts.append(tag)
            return z3.And(*parts) if parts else None
        if isinstance(p, ast.RefPat):
            return self.pattern(p.pattern, v)
        if isinstance(p, (ast.TuplePat, ast.SlicePat)):
            for sub in p.elements:
                self.pattern(sub, None)
            return None
        return None

    def tag_is(self, v: Value, sym: VariantSym) -> z3.BoolRef | None:
        if isinstance(v, EnumVal):
            return v.tag == sym.index
        return None


def text_or_none(e: ast.MethodCall, receiver: Value, args: list[Value]) -> Value:
    from weftc.verify.encode import text_method

    return text_method(e, receiver, args)


def binary_or_none(op: str, a: Value, b: Value) -> Value:
    from weftc.verify.encode import binary_term

    if a is None or b is None:
        raise Unencodable("an operand without an encoding")
    return binary_term(op, a, b, lambda: op)


def literal_segment(text: str, target: Type) -> Value:
    """A link's literal segment as the value the handler's extractor would parse."""
    base = strip(target)
    if isinstance(base, Prim) and base.name not in ("Text", "Char", "Float", "Bool"):
        try:
            return z3.IntVal(int(text))
        except ValueError:
            return None
    if base == Prim("Float"):
        try:
            return z3.RealVal(text)
        except (ValueError, z3.Z3Exception):
            return None
    return z3.StringVal(text)


def known_state(u: Universe, facts: tuple[z3.BoolRef, ...], state: EnumVal) -> str:
    """Which variants `state` may have given the path's facts (asked only
    when a `requires` on it failed, for the message)."""
    s = z3.Solver()
    s.set("rlimit", 2_000_000)
    s.add(*u.axioms, *facts)
    possible = []
    for i, name in enumerate(state.variants):
        s.push()
        s.add(state.tag == i)
        if s.check() != z3.unsat:
            possible.append(name)
        s.pop()
    if len(possible) == len(state.variants):
        return "unknown (match on it first)"
    return " or ".join(possible) if possible else "unreachable"
