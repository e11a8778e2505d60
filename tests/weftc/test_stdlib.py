"""The shipped stdlib: it parses, resolves, binds to real runtime objects,
declares effects everywhere, and offers every name the Verum corpus mounts."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from weftc.modules import (
    Ambiguous,
    CfgEnv,
    Program,
    Symbol,
    load_program,
    load_stdlib,
    stdlib_files,
)
from weftc.modules.bindings import (
    EFFECTS,
    bind_type,
    effect_names,
    is_valid_target,
    module_bindings,
    python_target,
    resolve_target,
)
from weftc.source import SourceFile
from weftc.syntax import ast

LINUX = CfgEnv("linux", "unix", "x86_64", flags=frozenset({"weft", "unix"}))
STDLIB = stdlib_files()

# verum-weft-api.md, "Checklist: every name the corpus mounts, by module".
W = "core.net.weft."
CHECKLIST: dict[str, tuple[str, ...]] = {
    "core.net.http": ("Headers", "Method", "Response", "StatusCode", "Version"),
    W + "handler": ("BodyBytes", "BodyText", "ClosureHandler", "FromRequest", "Handler",
                    "PathParam", "QueryParam", "WeftRequest", "path_int", "query_text_optional"),
    W + "error": ("ExtractRejection", "IntoResponse", "WeftError", "WeftErrorCategory"),
    W + "service": ("Identity", "Layer", "Service", "ServiceBuilder"),
    W + "router": ("Router",),
    W + "app": ("WeftApp",),
    W + "response_ext": ("resp_ok", "resp_text"),
    W + "timeout": ("TimeoutLayer",),
    W + "tracing": ("TraceContext", "TracingLayer"),
    W + "metrics": ("MetricsLayer", "WeftMetricsRegistry"),
    W + "backpressure": ("CoDelLayer", "ConcurrencyLimitLayer", "LoadShedLayer",
                         "RateLimitLayer", "WfqLayer"),
    W + "adaptive": ("AdaptiveConcurrencyLayer",),
    W + "connection": ("ConnectionConfig",),
    W + "listener": ("ConnectionRunner", "ListenerConfig", "PlainHttp1Runner", "Server"),
    W + "http2": ("Http2Limits", "Http2cRunner", "RapidResetGuard", "RstBudget"),
    W + "http3": ("Http3WeftServer", "WeftQuicConfig"),
    W + "h3": ("WarpH3Server", "WarpQuicConfig"),
    W + "tls": ("TlsHttp1Runner", "TlsTransport"),
    W + "transport": ("WeftTransport",),
    W + "websocket": ("WsConfig", "WsError", "WsHandler", "WsMessage", "WsRequestInfo",
                      "WsRunner", "WsServer", "WsSession"),
    W + "rpc": ("RpcAdapter", "RpcError", "RpcMeta", "RpcStatus", "UnaryRpcHandler"),
    W + "json_extractor": ("Json", "JsonDeserialize", "JsonExtractError", "JsonExtractorConfig",
                           "extract_json"),
    W + "refined_routes": ("PathRefinement", "int_between", "refined_path_int",
                           "refined_path_text", "slug", "text_one_of"),
    W + "spiffe": ("AuthMode", "AuthRejection", "Principal", "SpiffeAuthHandler",
                   "SpiffeAuthLayer", "TrustBundleProvider"),
    W + "health": ("LivenessHandler", "Readiness", "ReadinessCheck", "ReadinessFlag",
                   "ReadinessHandler", "health_handlers"),
    W + "arena_pool": ("ArenaLease", "ArenaPool", "ArenaPoolConfig"),
    W + "bufpool": ("BufferHandle", "BufferPool", "BufferPoolConfig"),
    W + "io_uring_accept": ("BlockingAcceptStrategy", "IoUringAcceptConfig",
                            "IoUringAcceptStrategy", "IoUringTelemetry", "IoUringTelemetryAtomics",
                            "MultiShotAcceptStrategy", "select_accept_strategy",
                            "would_select_multi_shot"),
    W + "dst": ("NetworkEvent", "NetworkEventStream", "RandomSchedule", "RoundRobinSchedule",
                "SeededRng", "SimConfig", "SimNetworkConfig", "TaskSchedule", "TestClock",
                "WeftSimulator"),
    W + "wasm_filter": ("WasmCapabilities", "WasmFilter", "WasmFilterConfig", "WasmFilterError",
                        "WasmFilterLayer"),
    W + "metrics_otlp": ("OtlpError", "OtlpExporter", "OtlpExporterConfig", "OtlpResponse"),
    W + "zero_rtt_gate": ("ZeroRttGateLayer", "ZeroRttPolicy", "was_via_0rtt"),
    W + "h3_priority": ("PrioritySlot", "extract", "header_is_valid"),
    "core.collections.list": ("List",),
    "core.collections.map": ("Map",),
    "core.async.cancellation": ("CancellationToken",),
    "core.time": ("Duration", "Instant"),
    "core.mem.arena": ("GenerationalArena",),
    "core.net.addr": ("SocketAddr",),
    "core.net.tls": ("Certificate", "PrivateKey", "TlsConfig", "TlsVersion"),
    "core.net.tls13.handshake.server_sm": ("CertSigner",),
    "core.net.proxy.circuit_breaker": ("CircuitBreakerLayer",),
    "core.runtime.supervisor": ("ChildSpec",),
    "core.security.spiffe.id": ("SpiffeId",),
    "core.security.spiffe.svid": ("JwtBundle", "X509Bundle"),
    "core.sys.common": ("IOVec",),
    "core.sys.linux.io": ("IoUringDriver", "LinuxIoDriverError"),
}

# verum-weft-api.md "Prelude" plus the base types.
PRELUDE = ("Int", "Bool", "Float", "Text", "Byte", "UInt8", "UInt16", "UInt32", "UInt64",
           "Maybe", "Result", "Heap", "Shared", "List", "Map", "Unit", "Bytes",
           "print", "assert", "panic")
PRELUDE_METHODS = {
    "Shared": ("new", "clone"),
    "Text": ("into", "to_text", "into_bytes", "len"),
    "List": ("new", "push", "len", "clone"),
    "Map": ("new", "len"),
}


@cache
def whole_stdlib() -> tuple[Program, tuple[str, ...]]:
    """A program that glob-mounts every stdlib module (so all of it is loaded)."""
    text = "".join(f"mount {name}.*;\n" for name in STDLIB)
    program, diags = load_program(SourceFile.from_text("all_stdlib.vr", text), cfg=LINUX)
    return program, tuple(f"{d.code} {d.span} {d.message}" for d in diags)


@pytest.mark.parametrize("name", sorted(STDLIB))
def test_stdlib_file_parses_cleanly(name: str) -> None:
    parsed = load_stdlib()[name]
    assert parsed.diagnostics == ()
    assert parsed.module is not None


def test_stdlib_resolves_without_diagnostics() -> None:
    program, diags = whole_stdlib()
    assert diags == ()
    assert set(STDLIB) <= set(program.modules)


def test_module_path_is_file_path() -> None:
    for name, path in STDLIB.items():
        parts = list(path.with_suffix("").parts)
        if parts[-1] == "mod":
            parts.pop()
        assert ".".join(parts).endswith(name)
        decls = [i for i in load_stdlib()[name].module.items  # type: ignore[union-attr]
                 if isinstance(i, ast.ModuleDecl) and i.items is None]
        assert [d.path.dotted for d in decls] == [name], f"{path} must start with `module {name};`"


@pytest.mark.parametrize("module", sorted(CHECKLIST))
def test_corpus_checklist_resolves(module: str, tmp_path: Path) -> None:
    names = CHECKLIST[module]
    src = f"mount {module}.{{{', '.join(names)}}};\n"
    program, diags = load_program(SourceFile.from_text(str(tmp_path / "c.vr"), src), cfg=LINUX)
    assert [d.message for d in diags if d.is_error] == []
    for name in names:
        entry = program.lookup("c", name)
        assert entry is not None and not isinstance(entry, Ambiguous), name


def test_prelude_names_and_methods() -> None:
    program, _ = whole_stdlib()
    for name in PRELUDE:
        assert isinstance(program.prelude.get(name), Symbol), name
    for type_name, methods in PRELUDE_METHODS.items():
        have = {q.rsplit(".", 1)[-1] for q, _, _ in module_bindings(program, "core.prelude")
                if q.startswith(f"core.prelude.{type_name}.")}
        assert set(methods) <= have, (type_name, set(methods) - have)
    assert {"Some", "None"} <= _variants(program, "Maybe")
    assert {"Ok", "Err"} <= _variants(program, "Result")


def _variants(program: Program, type_name: str) -> set[str]:
    entry = program.prelude[type_name]
    assert isinstance(entry, Symbol) and isinstance(entry.decl, ast.TypeDecl)
    body = entry.decl.body
    assert isinstance(body, ast.SumType)
    return {v.name.name for v in body.variants}


def test_weft_umbrella_has_no_ambiguous_names() -> None:
    program, _ = whole_stdlib()
    clashes = [n for n, e in program.modules["core.net.weft"].exports.items()
               if isinstance(e, Ambiguous)]
    assert clashes == []


def test_every_function_declares_effects_and_a_lowering() -> None:
    program, _ = whole_stdlib()
    missing_effects, unbound, bad_names = [], [], []
    for name in STDLIB:
        info = program.modules[name]
        requirement_ids = {id(m) for i in info.items
                           if isinstance(i, (ast.ProtocolDecl, ast.ContextDecl)) for m in i.members}
        for qual, fn, binding in module_bindings(program, name):
            if binding.effects is None:
                missing_effects.append(qual)
            bad_names += [f"{qual}: {e}" for e in effect_names(fn)
                          if not (isinstance(e, ast.Name) and e.name in EFFECTS)]
            if fn.body is None and id(fn) not in requirement_ids and binding.python is None \
                    and not binding.intrinsic and binding.unimplemented is None:
                unbound.append(qual)
    assert missing_effects == []
    assert bad_names == []
    assert unbound == []


def _python_targets(program: Program) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in STDLIB:
        info = program.modules[name]
        for item in info.items:
            if isinstance(item, ast.TypeDecl):
                b = bind_type(info, item)
                if b.python and not b.unimplemented:
                    out.append((f"{name}.{item.name.name}", b.python))
                if isinstance(item.body, ast.SumType) and not b.unimplemented:
                    out += [(f"{name}.{item.name.name}.{v.name.name}", t)
                            for v in item.body.variants
                            if (t := python_target(v.attributes)) is not None]
        out += [(q, b.python) for q, _, b in module_bindings(program, name)
                if b.python and not b.unimplemented]
    return out


def test_python_bindings_name_real_runtime_objects() -> None:
    program, _ = whole_stdlib()
    targets = _python_targets(program)
    assert len(targets) > 100
    broken = []
    for qual, target in targets:
        if not is_valid_target(target):
            broken.append(f"{qual}: malformed target {target!r}")
            continue
        try:
            resolve_target(target)
        except (ImportError, AttributeError) as exc:
            broken.append(f"{qual}: {target} ({exc})")
    assert broken == []


def test_field_bindings_are_attribute_names() -> None:
    program, _ = whole_stdlib()
    for name in STDLIB:
        for item in program.modules[name].items:
            if isinstance(item, ast.TypeDecl) and isinstance(item.body, ast.RecordType):
                for f in item.body.fields:
                    target = python_target(f.attributes)
                    assert target is None or target.isidentifier(), (item.name.name, target)


def test_unimplemented_parts_are_marked() -> None:
    program, _ = whole_stdlib()
    for name in ("core.net.weft.http3", "core.net.weft.rpc", "core.net.weft.wasm_filter"):
        assert program.modules[name].unimplemented, name
    for name in ("core.net.weft.router", "core.net.weft.app", "core.runtime.supervisor",
                 "core.net.weft.metrics_otlp", "core.net.weft.arena_pool",
                 "core.net.weft.bufpool", "core.mem.arena", "core.net.weft.spiffe",
                 "core.net.weft.dst"):
        assert program.modules[name].unimplemented is None, name
    bound = {q: b for q, _, b in module_bindings(program, "core.net.weft.router")}
    assert bound["core.net.weft.router.Router.route"].python == "weft.router:Router.route"
    assert bound["core.net.weft.router.Router.rpc_unary"].unimplemented
