"""The Z3 encoding of a refinement and the Python validator generated from it agree.

Both come from the same predicate AST (`weftc.verify.encode` for proofs,
`weftc.codegen.predicates` for the checks at the untrusted boundary); if they
ever disagreed, a value the compiler proved safe could be rejected at run
time, or worse, a value rejected by the proof could pass the runtime check.
Hypothesis draws concrete values and both must give the same verdict.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from weftc.codegen.predicates import to_python
from weftc.pipeline import STAGES, Compilation, run_stages
from weftc.source import SourceFile
from weftc.syntax import ast
from weftc.types import Refined
from weftc.verify.encode import Universe

INT_FORMS = [
    "Int{> 0}",
    "Int{>= 0 && <= 100}",
    "Int{it % 2 == 0}",
    "Int{self > -5}",
    "Int{x: x >= 0}",
    "Int{it >= 0, it <= 10}",
    "Int where |n| { n >= 1 && n <= 1_000_000_000 }",
    "Int where |n| n * 3 - 7 < 20",
    "Int where it >= 1 && it <= 65535",
    "n: Int where n >= 0",
    "Int{it / 3 == 2}",
    "Int{it % 7 != 3 || it < 0}",
    "Int{!(it > 5 && it < 9)}",
    "Int{-it > 3}",
]
TEXT_FORMS = [
    "Text{len(self) > 0}",
    "Text{it.len() <= 3}",
    "Text where |s| { s == \"v1\" || s == \"v2\" }",
    "Text{it.starts_with(\"ab\")}",
    "Text{it.ends_with(\"z\")}",
    "Text{it.contains(\"q\")}",
    "Text{it.is_empty() || it.starts_with(\"/\")}",
    "Text where |s| { len(s) >= 2 && s.ends_with(\"b\") }",
    "Text{it.matches(\"[a-z]+\")}",
    "Text where it.matches(\"(ab|q)*z?\")",
    "Text{it.matches(\"v[0-9]{1,2}\") || it == \"\"}",
    "Text{it.matches(\"[^/]*/?\")}",
]


def _compile(form: str) -> tuple[Universe, Refined, ast.RefinedType, str]:
    text = f"type T is {form};\nfn f(x: T) -> Bool {{ true }}\nfn main() {{}}\n"
    upto = tuple(s for s in STAGES if s.name in ("syntax", "modules", "typecheck"))
    comp = run_stages(Compilation(SourceFile.from_text("diff.vr", text)), upto)
    assert comp.ok and comp.checked is not None and comp.module is not None, comp.diagnostics
    sig = next(s for s in comp.checked.checked_functions if s.name == "f")
    refined = sig.params[0].type
    assert isinstance(refined, Refined)
    decl = next(i for i in comp.module.items if isinstance(i, ast.TypeDecl))
    assert isinstance(decl.body, ast.RefinedType)
    return Universe(comp.checked), refined, decl.body, text


_CACHE: dict[str, tuple[Universe, Refined, Any]] = {}


def _prepared(form: str) -> tuple[Universe, Refined, Any]:
    if form not in _CACHE:
        u, refined, node, text = _compile(form)
        body = to_python(node, text).python
        _CACHE[form] = (u, refined, compile(body, "<predicate>", "eval"))
    return _CACHE[form]


def _z3_verdict(u: Universe, refined: Refined, value: z3.ExprRef) -> bool:
    parts = u.parts(refined, value)
    verdict = z3.simplify(z3.And(*[p.term for p in parts]))
    assert z3.is_true(verdict) or z3.is_false(verdict), verdict
    return bool(z3.is_true(verdict))


@pytest.mark.parametrize("form", INT_FORMS)
@settings(max_examples=60, deadline=None)
@given(n=st.one_of(st.integers(-50, 50), st.integers(-10**12, 10**12)))
def test_int_forms_agree(form: str, n: int) -> None:
    u, refined, code = _prepared(form)
    assert _z3_verdict(u, refined, z3.IntVal(n)) == bool(eval(code, {"value": n}))


@pytest.mark.parametrize("form", TEXT_FORMS)
@settings(max_examples=60, deadline=None)
@given(s=st.text(alphabet="abqz/v12", max_size=6))
def test_text_forms_agree(form: str, s: str) -> None:
    u, refined, code = _prepared(form)
    python = bool(eval(code, {"value": s, "fullmatch": re.fullmatch}))
    assert _z3_verdict(u, refined, z3.StringVal(s)) == python
