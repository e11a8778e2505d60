"""Formatting of items: mounts, modules, types, protocols, implement blocks,
contexts, constants and functions. Every item is returned with all of its
lines indented (attributes first, one per line)."""

from __future__ import annotations

from weftc.fmt.base import FormatterBase
from weftc.syntax import ast

# Kinds of items that stay together (no blank line) when consecutive and
# each printed on one line (mounts also when they span several lines).
_GROUPS: dict[type[ast.Item], str] = {
    ast.Mount: "mount", ast.ConstDecl: "const", ast.StaticDecl: "const",
    ast.TypeDecl: "type", ast.AssocTypeDecl: "type", ast.FnDecl: "fn",
    ast.ContextGroupDecl: "using", ast.ModuleDecl: "module",
}


class ItemsMixin(FormatterBase):
    # ------------------------------------------------------------ sequences of items

    def items(self, items: tuple[ast.Item, ...], start: int, end: int, ind: int) -> list[str]:
        """Items separated by a blank line, except runs of one-line items of one kind."""
        texts = [self.item(it, ind) for it in items]
        blank = [True] * len(items)
        for k in range(1, len(items)):
            blank[k] = not (self._groupable(items[k - 1], texts[k - 1])
                            and self._groupable(items[k], texts[k])
                            and _GROUPS[type(items[k - 1])] == _GROUPS[type(items[k])]
                            and not getattr(items[k], "attributes", ()))
        return self.sequence(list(items), start, end, ind, blank, texts)

    @staticmethod
    def _groupable(it: ast.Item, text: str) -> bool:
        if type(it) not in _GROUPS:
            return False
        if isinstance(it, ast.Mount):
            return True
        return text.count("\n") == len(getattr(it, "attributes", ()))

    def container(self, head: str, members: tuple[ast.Item, ...], start: int, end: int,
                  ind: int, close: str = "}") -> str:
        body = self.items(members, start, end, ind + 4)
        if not body:
            return head + " {}" + close[1:]
        return head + " {\n" + "\n".join(body) + "\n" + self.pad(ind) + close

    # ------------------------------------------------------------ one item

    def item(self, it: ast.Item, ind: int) -> str:
        pad = self.pad(ind)
        attrs = self.attr_lines(it.attributes, ind) if hasattr(it, "attributes") else ""
        vis = self.visibility(getattr(it, "visibility", None))
        return attrs + pad + vis + self.item_body(it, ind)

    def item_body(self, it: ast.Item, ind: int) -> str:
        match it:
            case ast.FnDecl():
                return self.fn_decl(it, ind)
            case ast.Mount(tree=tree):
                return "mount " + self.mount_tree(tree, ind, top=True) + ";"
            case ast.ModuleDecl(path=p, items=items):
                if items is None:
                    return f"module {p.dotted};"
                return self.container(f"module {p.dotted}", items, it.span.start, it.span.end, ind)
            case ast.TypeDecl(name=n, generics=g, body=body):
                head = f"type {n.name}{self.generics(g, ind)} is"
                if isinstance(body, ast.RecordType):
                    text = self.record_body(body.fields, ind)
                else:
                    text = self.type_(body, ind, ind + len(head) + 1)
                return head + ("" if text.startswith("\n") else " ") + text + ";"
            case ast.AssocTypeDecl(name=n, bounds=bs, default=d):
                text = f"type {n.name}"
                if bs:
                    text += ": " + self.bounds(bs, ind)
                if d is not None:
                    text += " = " + self.type_(d, ind, 0)
                return text + ";"
            case ast.ProtocolDecl():
                return self.protocol(it, ind)
            case ast.ImplementBlock(generics=g, protocol=proto, target=target, where=wh):
                head = "implement" + self.generics(g, ind) + " "
                if proto is not None:
                    head += self.type_(proto, ind, 0) + " for "
                head += self.type_(target, ind, 0)
                if wh:
                    head += " " + self.where_clause(wh, ind)
                return self.container(head, it.items, it.span.start, it.span.end, ind)
            case ast.ContextDecl(name=n, generics=g, members=ms, is_async=asy):
                head = "context " + ("async " if asy else "") + n.name + self.generics(g, ind)
                return self.container(head, ms, it.span.start, it.span.end, ind)
            case ast.ContextGroupDecl(name=n, entries=es):
                return f"using {n.name} = [" + ", ".join(self.using_entry(e, ind) for e in es) + "];"
            case ast.ConstDecl(name=n, type=t, value=v):
                text = "const " + n.name + (": " + self.type_(t, ind, 0) if t is not None else "")
                if v is not None:
                    text += " = " + self.expr(v, ind, ind + len(text) + 3)
                return text + ";"
            case ast.StaticDecl(mutable=m, name=n, type=t, value=v):
                text = "static " + ("mut " if m else "") + n.name + ": " + self.type_(t, ind, 0)
                if v is not None:
                    text += " = " + self.expr(v, ind, ind + len(text) + 3)
                return text + ";"
        raise TypeError(f"cannot format item node {type(it).__name__}")

    def mount_tree(self, t: ast.MountTree, ind: int, top: bool = False) -> str:
        text = ("." if t.relative else "") + ".".join(i.name for i in t.path)
        if t.kind == "glob":
            return text + (".*" if t.path else "*")
        if t.kind == "group":
            parts = [self.mount_tree(c, ind + 4) for c in t.children]
            head = text + ("." if t.path else "")
            return head + self.delimited("{", parts, "}", ind, ind + 6 + len(head))
        return text + (f" as {t.alias.name}" if t.alias is not None else "")

    def protocol(self, p: ast.ProtocolDecl, ind: int) -> str:
        ext = " extends " + self.bounds(p.extends, ind) if p.extends else ""
        name = p.name.name + self.generics(p.generics, ind)
        if p.form == "type":
            return self.container(f"type {name} is protocol{ext}", p.members,
                                  p.span.start, p.span.end, ind, close="};")
        prefix = "context protocol" if p.form == "context" else "protocol"
        return self.container(f"{prefix} {name}{ext}", p.members, p.span.start, p.span.end, ind)

    # ------------------------------------------------------------ functions

    def param(self, p: ast.Param | ast.SelfParam, ind: int) -> str:
        if isinstance(p, ast.SelfParam):
            return ("&" if p.is_ref else "") + ("mut " if p.mutable else "") + "self"
        text = self.attr_prefix(p.attributes, ind) + self.pattern(p.pattern, ind, 0)
        text += ": " + self.type_(p.type, ind, 0)
        if p.default is not None:
            text += " = " + self.expr(p.default, ind, 0)
        return text

    def fn_decl(self, f: ast.FnDecl, ind: int) -> str:
        mods = "".join(m + " " for m in f.modifiers)
        head = f"{mods}fn {f.name.name}{self.generics(f.generics, ind)}"
        col = ind + len(self.visibility(f.visibility)) + len(head)
        params = [self.param(p, ind) for p in f.params]
        head += self.delimited("(", params, ")", ind, col,
                               [self.param(p, ind + 4) for p in f.params])
        sig = ""
        if f.throws is not None:
            sig += " throws(" + " | ".join(self.type_(t, ind, 0) for t in f.throws) + ")"
        if f.using is not None and f.using_before_ret:
            sig += " " + self.using(f.using, ind)
        if f.ret is not None:
            sig += " -> " + self.type_(f.ret, ind, 0)
        clauses = [c.kind + " " + ", ".join(self.expr(x, ind + 4, ind + 4) for x in c.conditions)
                   for c in f.contracts]
        if f.using is not None and not f.using_before_ret:
            clauses.append(self.using(f.using, ind))
        if f.where:
            clauses.append(self.where_clause(f.where, ind))
        first = head + sig
        last_line = first.rsplit("\n", 1)[-1]
        one_line = len(clauses) == 0 or (
            len(clauses) == 1 and not f.contracts
            and self.fits(ind + len(last_line), " " + clauses[0] + " {"))
        if one_line:
            text = first + "".join(" " + c for c in clauses)
            return text + self.fn_body(f, ind, ind + len(text.rsplit("\n", 1)[-1]), False)
        text = first + "".join(f"\n{self.pad(ind + 4)}{c}" for c in clauses)
        return text + self.fn_body(f, ind, ind + 4, True)

    def fn_body(self, f: ast.FnDecl, ind: int, col: int, broken: bool) -> str:
        if f.body is None:
            return ";"
        if f.expr_body:
            lead = f"\n{self.pad(ind + 4)}= " if broken else " = "
            return lead + self.expr(f.body, ind + 4 if broken else ind, col + 3) + ";"
        assert isinstance(f.body, ast.Block)
        return ("\n" + self.pad(ind) if broken else " ") + self.block(f.body, ind)
