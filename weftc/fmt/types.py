"""Formatting of types, patterns and the small pieces of signatures
(attributes, visibility, generics, `using`, `where`)."""

from __future__ import annotations

from weftc.fmt.base import FormatterBase
from weftc.syntax import ast


class TypesMixin(FormatterBase):
    # ------------------------------------------------------------ pieces

    def path(self, p: ast.Path) -> str:
        return p.dotted

    def attribute(self, a: ast.Attribute, ind: int) -> str:
        if a.args is None:
            return f"@{a.name.name}"
        parts = []
        for arg in a.args:
            value = self.expr(arg.value, ind, 0)
            parts.append(f"{arg.key.name} = {value}" if arg.key else value)
        return f"@{a.name.name}(" + ", ".join(parts) + ")"

    def attr_prefix(self, attrs: tuple[ast.Attribute, ...], ind: int) -> str:
        """Attributes on one line before a field, variant, parameter or arm."""
        return "".join(self.attribute(a, ind) + " " for a in attrs)

    def attr_lines(self, attrs: tuple[ast.Attribute, ...], ind: int) -> str:
        """Attributes each on its own line before an item."""
        return "".join(self.pad(ind) + self.attribute(a, ind) + "\n" for a in attrs)

    def visibility(self, v: ast.Visibility | None) -> str:
        if v is None:
            return ""
        if v.scope is None:
            return v.keyword + " "
        if v.scope == "in" and v.path is not None:
            return f"{v.keyword}(in {self.path(v.path)}) "
        return f"{v.keyword}({v.scope}) "

    def bounds(self, bs: tuple[ast.TypeExpr, ...], ind: int) -> str:
        return " + ".join(self.type_(b, ind, 0) for b in bs)

    def generics(self, gs: tuple[ast.GenericParam, ...], ind: int) -> str:
        if not gs:
            return ""
        parts = []
        for g in gs:
            text = g.name.name
            if g.kind == "lifetime" and not text.startswith("'"):
                text = "'" + text
            if g.bounds:
                text += ": " + self.bounds(g.bounds, ind)
            if g.default is not None:
                text += " = " + self.type_(g.default, ind, 0)
            parts.append(text)
        return "<" + ", ".join(parts) + ">"

    def where_clause(self, preds: tuple[ast.WherePredicate, ...], ind: int) -> str:
        return "where " + ", ".join(
            f"{self.type_(p.target, ind, 0)}: {self.bounds(p.bounds, ind)}" for p in preds)

    def using_entry(self, u: ast.UsingEntry, ind: int) -> str:
        text = ("!" if u.negated else "") + self.type_(u.context, ind, 0)
        if u.name is not None:
            text = f"{u.name.name}: {text}"
        if u.alias is not None:
            text += f" as {u.alias.name}"
        if u.condition is not None:
            text += " if " + self.expr(u.condition, ind, 0)
        return text

    def using(self, u: ast.UsingClause, ind: int) -> str:
        entries = [self.using_entry(e, ind) for e in u.entries]
        if u.bracketed or len(entries) != 1:
            return "using [" + ", ".join(entries) + "]"
        return "using " + entries[0]

    # ------------------------------------------------------------ types

    def type_(self, t: ast.TypeExpr, ind: int, col: int) -> str:
        match t:
            case ast.PathType(path=p, args=args):
                if not args:
                    return self.path(p)
                return self.path(p) + "<" + ", ".join(self.type_(a, ind, 0) for a in args) + ">"
            case ast.TupleType(elements=els):
                parts = [self.type_(e, ind, 0) for e in els]
                return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
            case ast.ArrayType(element=el, length=n):
                return f"[{self.type_(el, ind, 0)}; {self.expr(n, ind, 0)}]"
            case ast.SliceType(element=el):
                return f"[{self.type_(el, ind, 0)}]"
            case ast.RefType(mutable=m, target=tt):
                return ("&mut " if m else "&") + self.type_(tt, ind, 0)
            case ast.FnType():
                return self.fn_type(t, ind)
            case ast.ImplType(bounds=bs):
                return "impl " + self.bounds(bs, ind)
            case ast.DynType(bounds=bs):
                return "dyn " + self.bounds(bs, ind)
            case ast.InferType():
                return "_"
            case ast.NeverType():
                return "!"
            case ast.LifetimeType(name=name):
                return name if name.startswith("'") else "'" + name
            case ast.RecordType(fields=fs):
                if not fs:
                    return "{}"
                return "{ " + ", ".join(self.field_decl(f, ind) for f in fs) + " }"
            case ast.SumType():
                return self.sum_type(t, ind, col)
            case ast.RefinedType():
                return self.refined(t, ind)
        raise TypeError(f"cannot format type node {type(t).__name__}")

    def fn_type(self, t: ast.FnType, ind: int) -> str:
        text = ("async " if t.is_async else "") + "fn("
        text += ", ".join(self.type_(p, ind, 0) for p in t.params) + ")"
        if t.ret is not None:
            text += " -> " + self.type_(t.ret, ind, 0)
        if t.using is not None:
            text += " " + self.using(t.using, ind)
        return text

    def field_decl(self, f: ast.FieldDecl, ind: int, attributes: bool = True) -> str:
        text = (self.attr_prefix(f.attributes, ind) if attributes else "") + self.visibility(f.visibility)
        text += f"{f.name.name}: {self.type_(f.type, ind, 0)}"
        if f.default is not None:
            text += " = " + self.expr(f.default, ind, 0)
        return text

    def record_body(self, fs: tuple[ast.FieldDecl, ...], ind: int) -> str:
        """A record type declared by `type X is { ... };`: one field per line."""
        if not fs:
            return "{}"
        inner = self.pad(ind + 4)
        rows = "".join(self.attr_lines(f.attributes, ind + 4) + inner
                       + self.field_decl(f, ind + 4, attributes=False) + ",\n" for f in fs)
        return "{\n" + rows + self.pad(ind) + "}"

    def variant(self, v: ast.Variant, ind: int) -> str:
        text = self.attr_prefix(v.attributes, ind) + v.name.name
        if v.payload is not None:
            text += "(" + ", ".join(self.type_(p, ind, 0) for p in v.payload) + ")"
        if v.fields is not None:
            text += (" { " + ", ".join(self.field_decl(f, ind) for f in v.fields) + " }"
                     if v.fields else " {}")
        return text

    def sum_type(self, t: ast.SumType, ind: int, col: int) -> str:
        variants = [self.variant(v, ind + 4) for v in t.variants]
        flat = ("| " if t.leading_bar else "") + " | ".join(variants)
        if not t.leading_bar and self.fits(col, flat):
            return flat
        inner = self.pad(ind + 4)
        if t.leading_bar:
            return "".join(f"\n{inner}| {v}" for v in variants)
        return variants[0] + "".join(f"\n{inner}| {v}" for v in variants[1:])

    def refined(self, t: ast.RefinedType, ind: int) -> str:
        base = self.type_(t.base, ind, 0)
        form = ast.RefinementForm(t.form)
        if form is ast.RefinementForm.INLINE:
            preds = t.parts or (t.predicate,)
            body = ", ".join(self.expr(p, ind, 0) for p in preds)
            if t.binder is not None:
                body = f"{t.binder.name}: {body}"
            return base + "{" + body + "}"
        pred = self.expr(t.predicate, ind, 0)
        if form is ast.RefinementForm.LAMBDA:
            binder = t.binder.name if t.binder is not None else "it"
            return f"{base} where |{binder}| " + ("{ " + pred + " }" if t.braced else pred)
        if form is ast.RefinementForm.SIGMA:
            binder = t.binder.name if t.binder is not None else "it"
            return f"{binder}: {base} where {pred}"
        return f"{base} where {pred}"

    # ------------------------------------------------------------ patterns

    def pattern(self, p: ast.Pattern, ind: int, col: int) -> str:
        match p:
            case ast.WildcardPat():
                return "_"
            case ast.RestPat():
                return ".."
            case ast.LiteralPat(value=v):
                return self.expr(v, ind, col)
            case ast.IdentPat(name=name, mutable=m, by_ref=r, subpattern=sub):
                text = ("ref " if r else "") + ("mut " if m else "") + name.name
                if sub is not None:
                    text += " @ " + self.pattern(sub, ind, col)
                return text
            case ast.PathPat(path=path):
                return self.path(path)
            case ast.TuplePat(elements=els):
                parts = [self.pattern(e, ind, 0) for e in els]
                return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
            case ast.VariantPat(path=path, args=args):
                return self.path(path) + "(" + ", ".join(self.pattern(a, ind, 0) for a in args) + ")"
            case ast.RecordPat(path=path, fields=fs, rest=rest):
                parts = [f.name.name if f.pattern is None
                         else f"{f.name.name}: {self.pattern(f.pattern, ind, 0)}" for f in fs]
                if rest:
                    parts.append("..")
                if not parts:
                    return self.path(path) + " {}"
                return self.path(path) + " { " + ", ".join(parts) + " }"
            case ast.RefPat(mutable=m, pattern=inner):
                return ("&mut " if m else "&") + self.pattern(inner, ind, col)
            case ast.RangePat(start=s, end=e, inclusive=inc):
                lo = self.expr(s, ind, 0) if s is not None else ""
                hi = self.expr(e, ind, 0) if e is not None else ""
                return lo + ("..=" if inc else "..") + hi
            case ast.SlicePat(elements=els):
                return "[" + ", ".join(self.pattern(e, ind, 0) for e in els) + "]"
            case ast.OrPat(alternatives=alts):
                return " | ".join(self.pattern(a, ind, 0) for a in alts)
            case ast.TypeTestPat(name=name, type=tt):
                return f"{name.name} is {self.type_(tt, ind, 0)}"
        raise TypeError(f"cannot format pattern node {type(p).__name__}")
