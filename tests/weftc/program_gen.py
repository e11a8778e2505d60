"""Hypothesis strategies that write random, syntactically valid Verum programs.

The programs follow a template grammar of the subset: items (mounts,
consts, records, sums, refinement aliases, functions with generics,
contracts and `using`), statements, and expressions of every precedence
level. Sub-expressions of operators are parenthesised whenever they are not
atoms, so every generated text has one reading.
"""

from __future__ import annotations

from hypothesis import strategies as st

IDENTS = st.sampled_from(["a", "b", "count", "layer", "stream", "x1", "_tmp", "user_id", "req"])
TYPES_NAMES = st.sampled_from(["Int", "Text", "Bool", "Float", "UserId", "Response", "Byte"])
CTORS = st.sampled_from(["Point", "Config", "RateConfig", "Empty"])
BINOPS = st.sampled_from(["+", "-", "*", "/", "%", "**", "<<", ">>", "&", "|", "^", "<", "<=",
                          ">", ">=", "==", "!=", "&&", "||", "??", "|>"])
INT_LITS = st.sampled_from(["0", "1", "42", "1_000", "0xFF", "0o17", "0b1010", "3_u8", "7i64"])
FLOAT_LITS = st.sampled_from(["1.5", "0.25", "2.0e10", "1.5e-3", "3.0f64"])
TEXT_LITS = st.sampled_from(['"hi"', '""', '"a\\tb\\n"', '"quote \\" in"', '"§ → µ"',
                             'f"plain"', 'f"{a} and {b + 1}"', 'f"{count:x} {a:>4}"',
                             '"""raw\ntext"""'])


def types(depth: int = 2) -> st.SearchStrategy[str]:
    base = TYPES_NAMES
    if depth <= 0:
        return base
    inner = types(depth - 1)
    return st.one_of(
        base,
        st.builds(lambda t: f"List<{t}>", inner),
        st.builds(lambda k, v: f"Map<{k}, {v}>", inner, inner),
        st.builds(lambda a, b: f"({a}, {b})", inner, inner),
        st.builds(lambda t: f"&{t}", inner),
        st.builds(lambda t: f"[{t}]", inner),
        st.builds(lambda t: f"Maybe<{t}>", inner),
        st.builds(lambda t: f"fn({t}) -> Int", inner),
        st.sampled_from(["Int{> 0}", "Int{>= 0 && <= 100}", "Text{len(self) > 0}",
                         "Int{it % 2 == 0}", "()", "impl Handler + Send", "dyn Describe"]),
    )


def atoms() -> st.SearchStrategy[str]:
    return st.one_of(IDENTS, INT_LITS, FLOAT_LITS, TEXT_LITS,
                     st.sampled_from(["true", "false", "()", "self", "None", "Method.Get",
                                      "route#\"/users/42\"", "'c'", "[]"]))


def exprs(depth: int = 3) -> st.SearchStrategy[str]:
    if depth <= 0:
        return atoms()
    sub = exprs(depth - 1)

    def paren(e: str) -> str:
        return f"({e})"

    wrapped = st.builds(paren, sub)
    operand = st.one_of(atoms(), wrapped)
    return st.one_of(
        atoms(),
        st.builds(lambda a, op, b: f"{a} {op} {b}", operand, BINOPS, operand),
        st.builds(lambda op, a: f"{op}{a}", st.sampled_from(["-", "!", "~", "&", "*", "&mut "]),
                  operand),
        st.builds(lambda f, args: f"{f}({', '.join(args)})", IDENTS, st.lists(sub, max_size=3)),
        st.builds(lambda r, m, args: f"{r}.{m}({', '.join(args)})", operand,
                  IDENTS, st.lists(sub, max_size=2)),
        st.builds(lambda r: f"{r}.await", operand),
        st.builds(lambda r: f"{r}?", operand),
        st.builds(lambda r, i: f"{r}[{i}]", operand, sub),
        st.builds(lambda r, t: f"{r} as {t}", operand, TYPES_NAMES),
        st.builds(lambda r: f"{r}.0", IDENTS),
        st.builds(lambda a, b: f"({a}, {b})", sub, sub),
        st.builds(lambda xs: "[" + ", ".join(xs) + "]", st.lists(sub, min_size=1, max_size=3)),
        st.builds(lambda c, v: f"{c} {{ x: {v}, y }}", CTORS, sub),
        st.builds(lambda p, e: f"|{p}| {e}", IDENTS, sub),
        st.builds(lambda e: f"|| {e}", sub),
        st.builds(lambda c, a, b: f"if {c} {{ {a} }} else {{ {b} }}", operand, sub, sub),
        st.builds(lambda s, a, b: f"match {s} {{ Some(n) if n > 0 => {a}, None | Some(_) => {b}, }}",
                  operand, sub, sub),
        st.builds(lambda lo, hi: f"{lo}..{hi}", INT_LITS, INT_LITS),
        st.builds(lambda lo, hi: f"{lo}..={hi}", INT_LITS, INT_LITS),
        st.builds(lambda e: f"{e} is Some(_)", operand),
        st.builds(lambda e: f"{{ let t = {e}; t }}", sub),
        st.builds(lambda e: f"async {{ {e} }}", sub),
    )


def stmts() -> st.SearchStrategy[str]:
    e = exprs(2)
    return st.one_of(
        st.builds(lambda n, v: f"let {n} = {v};", IDENTS, e),
        st.builds(lambda n, t, v: f"let mut {n}: {t} = {v};", IDENTS, types(1), e),
        st.builds(lambda a, b: f"let ({a}, {b}) = pair;", IDENTS, IDENTS),
        st.builds(lambda n, op, v: f"{n} {op} {v};", IDENTS,
                  st.sampled_from(["=", "+=", "-=", "<<=", "|="]), e),
        st.builds(lambda v: f"{v};", e),
        st.builds(lambda c, v: f"while {c} {{ {v}; }}", IDENTS, e),
        st.builds(lambda n, v: f"for {n} in xs {{ {v}; }}", IDENTS, e),
        st.builds(lambda v: f"loop {{ if done {{ break; }} {v}; }}", e),
        # Like an `if` head, a `provide` value is no place for a bare record literal.
        st.builds(lambda v: f"provide Clock = {v};",
                  st.one_of(atoms(), e.map(lambda x: f"({x})"))),
        st.just("return;"),
    )


def params() -> st.SearchStrategy[str]:
    return st.lists(st.builds(lambda n, t: f"{n}_p: {t}", IDENTS, types(1)), max_size=4,
                    unique_by=lambda p: p.split(":")[0]).map(", ".join)


def fn_items() -> st.SearchStrategy[str]:
    head = st.tuples(
        st.sampled_from(["", "pub ", "public ", "pure ", "async "]),
        IDENTS, st.sampled_from(["", "<T>", "<T: Clone + Send, U>"]), params(),
        st.sampled_from(["", " -> Int", " -> Result<Json<User>, ApiError>", " -> Int{> 0}"]),
        st.sampled_from(["", " requires a > 0", " requires a > 0 ensures result >= 0"]),
        st.sampled_from(["", " using [Database]", " using Clock"]),
    )
    body = st.tuples(st.lists(stmts(), max_size=5), st.one_of(st.just(""), exprs(2)))
    return st.builds(
        lambda h, b: f"{h[0]}fn {h[1]}{h[2]}({h[3]}){h[4]}{h[5]}{h[6]} {{\n"
                     + "".join(f"    {s}\n" for s in b[0]) + (f"    {b[1]}\n" if b[1] else "")
                     + "}\n", head, body)


def items() -> st.SearchStrategy[str]:
    return st.one_of(
        fn_items(),
        st.sampled_from([
            "mount core.net.weft.{Router, Method, Response};\n",
            "mount core.time.*;\n",
            "mount .handlers.{Api as A, b.*};\n",
            "const LIMIT: Int = 1_000;\n",
            "type UserId is Int where |n| { n >= 1 };\n",
            "type Port is Int where it >= 1 && it <= 65535;\n",
            "type Nat is n: Int where n >= 0;\n",
            "type Email is Text where is_valid_email;\n",
            "type Point is { x: Float, y: Float = 0.0 };\n",
            "type ApiError is\n    | NotFound\n    | Validation(Text)\n    | Bad { code: Int };\n",
            "context Database {\n    async fn find(id: Int) -> Maybe<User>;\n}\n",
            "implement IntoResponse for ApiError {\n    fn into_response(self) -> Response {\n"
            "        Response.ok(\"x\")\n    }\n}\n",
            "type Describe is protocol {\n    fn describe(&self) -> Text;\n};\n",
            "@main\npublic fn main() -> Int {\n    0\n}\n",
        ]),
    )


def programs() -> st.SearchStrategy[str]:
    return st.lists(items(), min_size=1, max_size=6).map("\n".join)
