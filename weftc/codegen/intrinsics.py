"""`@intrinsic` stdlib members lowered in place, keyed by qualified name.

A lowering takes the already-lowered argument texts (the receiver first
for methods) and returns a Python expression. An intrinsic without an
entry here is refused with E6001 rather than emitted as a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from weftc.codegen import records

if TYPE_CHECKING:
    from weftc.codegen.lower import FnLowerer
    from weftc.syntax import ast

Lowering = Callable[["FnLowerer", list[str]], str]
# A generic free function whose type argument Python needs as a value: it
# also gets the call (for its written or checked type arguments).
TypedLowering = Callable[["FnLowerer", "ast.Call", list[str]], str]


def _support(low: FnLowerer, name: str) -> str:
    return low.imports.need(low.gen.package + "._support", name)


def _with_body(low: FnLowerer, a: list[str]) -> str:
    return f"{_support(low, 'with_body')}({a[0]}, {a[1]})"


def _supervisor_config(strategy: str) -> Lowering:
    def make(low: FnLowerer, a: list[str]) -> str:
        cfg = low.imports.need("weft.supervisor", "SupervisorConfig")
        strat = low.imports.need("weft.supervisor", "Strategy")
        name = f", name={a[0]}" if a else ""
        return f"{cfg}(strategy={strat}.{strategy}{name})"
    return make


def _serve(low: FnLowerer, a: list[str]) -> str:
    return f"{_support(low, 'serve_app')}({a[0]})"


def _bind(low: FnLowerer, a: list[str]) -> str:
    return f"{a[0]}.bind({_support(low, 'bind_address')}({a[1]}))"


def _unwrap(low: FnLowerer, a: list[str]) -> str:
    return f"{low.imports.need('weft.verum', 'unwrap')}({', '.join(a)})"


def _same(low: FnLowerer, a: list[str]) -> str:
    return a[0]


def _text(low: FnLowerer, a: list[str]) -> str:
    return f"str({a[0]})"


def _length(low: FnLowerer, a: list[str]) -> str:
    return f"len({a[0]})"


def _empty(low: FnLowerer, a: list[str]) -> str:
    return f"(len({a[0]}) == 0)"


def _contains(low: FnLowerer, a: list[str]) -> str:
    return f"({a[1]} in {a[0]})"


def _copy(low: FnLowerer, a: list[str]) -> str:
    return f"{a[0]}[:]"


def _duration(ctor: str) -> Lowering:
    """`Duration.from_*` builds `weft.verum_time.Duration` (core.time is intrinsic)."""
    def make(low: FnLowerer, a: list[str]) -> str:
        return f"{low.imports.need('weft.verum_time', 'Duration')}.{ctor}({a[0]})"
    return make


def _method(name: str) -> Lowering:
    def call(low: FnLowerer, a: list[str]) -> str:
        return f"{a[0]}.{name}({', '.join(a[1:])})"
    return call


METHODS: dict[str, Lowering] = {
    "core.net.http.Response.with_body": _with_body,
    "core.net.http.Response.status_code": lambda low, a: f"{a[0]}.status",
    "core.net.weft.app.WeftApp.serve": _serve,
    "core.net.weft.app.WeftApp.bind": _bind,
    "core.prelude.Maybe.is_some": lambda low, a: f"({a[0]} is not None)",
    "core.prelude.Maybe.is_none": lambda low, a: f"({a[0]} is None)",
    "core.prelude.Maybe.unwrap_or": lambda low, a: f"({a[0]} if {a[0]} is not None else {a[1]})",
    "core.prelude.Maybe.unwrap": _unwrap,
    "core.prelude.Maybe.expect": _unwrap,
    "core.prelude.Maybe.clone": _same,
    "core.prelude.Text.len": _length,
    "core.prelude.Text.is_empty": _empty,
    "core.prelude.Text.into": _same,
    "core.prelude.Text.to_text": _text,
    "core.prelude.Text.clone": _same,
    "core.prelude.Text.into_bytes": lambda low, a: f"{a[0]}.encode()",
    "core.prelude.Text.as_bytes": lambda low, a: f"{a[0]}.encode()",
    "core.prelude.Text.contains": _contains,
    "core.prelude.Text.starts_with": lambda low, a: f"{a[0]}.startswith({a[1]})",
    "core.prelude.Text.ends_with": lambda low, a: f"{a[0]}.endswith({a[1]})",
    "core.prelude.Text.split": lambda low, a: f"{a[0]}.split({a[1]})",
    "core.prelude.Int.to_text": _text,
    "core.prelude.Int.abs": lambda low, a: f"abs({a[0]})",
    "core.prelude.Int.min": lambda low, a: f"min({a[0]}, {a[1]})",
    "core.prelude.Int.max": lambda low, a: f"max({a[0]}, {a[1]})",
    "core.prelude.Bool.to_text": lambda low, a: f"('true' if {a[0]} else 'false')",
    "core.prelude.Float.to_text": _text,
    "core.prelude.List.len": _length,
    "core.prelude.List.is_empty": _empty,
    "core.prelude.List.contains": _contains,
    "core.prelude.List.clone": _copy,
    "core.prelude.List.clear": lambda low, a: f"{a[0]}.clear()",
    "core.prelude.List.get":
        lambda low, a: f"({a[0]}[{a[1]}] if 0 <= {a[1]} < len({a[0]}) else None)",
    "core.prelude.List.pop": lambda low, a: f"({a[0]}.pop() if {a[0]} else None)",
    "core.prelude.Map.len": _length,
    "core.prelude.Map.is_empty": _empty,
    "core.prelude.Map.get": lambda low, a: f"{a[0]}.get({a[1]})",
    "core.prelude.Map.contains_key": _contains,
    "core.prelude.Map.keys": lambda low, a: f"list({a[0]})",
    "core.prelude.Map.values": lambda low, a: f"list({a[0]}.values())",
    "core.prelude.Map.clone": lambda low, a: f"dict({a[0]})",
    "core.prelude.Shared.clone": _same,
    "core.prelude.Heap.clone": _same,
    "core.time.Duration.as_nanos": _method("as_nanos"),
    "core.time.Duration.as_millis": _method("as_millis"),
    "core.time.Duration.as_secs": _method("as_secs"),
}

STATIC: dict[str, Lowering] = {
    # An empty literal: its element type comes from the `let` annotation or the
    # parameter it is passed to (mypy infers it from that context).
    "core.prelude.List.new": lambda low, a: "[]",
    "core.prelude.List.with_capacity": lambda low, a: "[]",
    "core.prelude.Map.new": lambda low, a: "{}",
    "core.prelude.Shared.new": _same,
    "core.prelude.Heap.new": _same,
    "core.time.Duration.from_nanos": _duration("from_nanos"),
    "core.time.Duration.from_millis": _duration("from_millis"),
    "core.time.Duration.from_secs": _duration("from_secs"),
    "core.runtime.supervisor.SupervisorConfig.one_for_one": _supervisor_config("ONE_FOR_ONE"),
    "core.runtime.supervisor.SupervisorConfig.one_for_all": _supervisor_config("ONE_FOR_ALL"),
    "core.runtime.supervisor.SupervisorConfig.rest_for_one": _supervisor_config("REST_FOR_ONE"),
}

# Free functions the stdlib declares `@intrinsic` without a `@python` target
# (`assert` and `panic` are statements: see FnLowerer.call).
FNS: dict[str, Lowering] = {
    "core.net.weft.response_ext.resp_ok":
        lambda low, a: f"{low.imports.need('weft.response', 'status')}(200)",
    "core.net.weft.response_ext.resp_with_body_text": _with_body,
}

# Generic `@intrinsic` free functions that take their type argument at run time.
TYPED_FNS: dict[str, TypedLowering] = {
    "core.net.weft.json_extractor.extract_json": records.extract_json,
}
