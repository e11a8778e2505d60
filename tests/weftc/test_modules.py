"""Stage 2: mount resolution over user files and the stdlib, and its diagnostics."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tests.weftc.verum_corpus import CORPUS
from weftc.diagnostics import Diagnostic
from weftc.modules import (
    Ambiguous,
    CfgEnv,
    ModuleRef,
    Program,
    Symbol,
    entry_module_name,
    load_program,
    stdlib_cache,
)
from weftc.source import SourceFile
from weftc.syntax import parse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LINUX = CfgEnv("linux", "unix", "x86_64", flags=frozenset({"weft", "unix"}))
MACOS = CfgEnv("macos", "unix", "aarch64", flags=frozenset({"weft", "unix"}))


def load(tmp_path: Path, files: dict[str, str], entry: str = "app.vr",
         cfg: CfgEnv = LINUX) -> tuple[Program, list[Diagnostic]]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_program(SourceFile.read(tmp_path / entry), cfg=cfg)


def errors(diags: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in diags if d.is_error]


def only(diags: list[Diagnostic], code: str) -> Diagnostic:
    hits = [d for d in diags if d.code == code]
    assert len(hits) == 1, [(d.code, d.message) for d in diags]
    return hits[0]


def qualified(program: Program, module: str, name: str) -> str:
    entry = program.lookup(module, name)
    assert isinstance(entry, (Symbol, ModuleRef)), (name, entry)
    return entry.qualified


# ---------------------------------------------------------------- seed and examples


@pytest.mark.parametrize("name", ["hello.vr", "rest_api.vr", "refined_routes.vr",
                                  "language_tour.vr", "websocket_session.vr"])
def test_examples_resolve(name: str) -> None:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is not in this checkout")
    _, diags = load_program(SourceFile.read(path), cfg=LINUX)
    assert errors(diags) == []


SEED_NAMES = {
    "Router": "core.net.weft.router.Router",
    "Method": "core.net.http.Method",
    "Response": "core.net.http.Response",
    "WeftApp": "core.net.weft.app.WeftApp",
    "Path": "core.net.weft.handler.Path",
    "Query": "core.net.weft.handler.Query",
    "Json": "core.net.weft.json_extractor.Json",
    "IntoResponse": "core.net.weft.error.IntoResponse",
    "TracingLayer": "core.net.weft.tracing.TracingLayer",
    "TimeoutLayer": "core.net.weft.timeout.TimeoutLayer",
    "RateLimitLayer": "core.net.weft.backpressure.RateLimitLayer",
    "RateConfig": "core.net.weft.backpressure.RateConfig",
    "AuthLayer": "core.net.weft.auth.AuthLayer",
    "Supervisor": "core.runtime.supervisor.Supervisor",
    "SupervisorConfig": "core.runtime.supervisor.SupervisorConfig",
    "ChildSpec": "core.runtime.supervisor.ChildSpec",
    "Maybe": "core.prelude.Maybe",
    "Text": "core.prelude.Text",
}


def test_seed_glob_mount_brings_the_seed_surface(tmp_path: Path) -> None:
    program, diags = load(tmp_path, {"app.vr": "mount core.net.weft.*;\n"})
    assert errors(diags) == []
    for name, where in SEED_NAMES.items():
        assert qualified(program, "app", name) == where


def test_seed_hello_world_mounts(tmp_path: Path) -> None:
    src = ("mount core.net.weft.{Router, Method, Response, WeftApp};\n"
           "mount core.net.http.{Request};\n")
    program, diags = load(tmp_path, {"app.vr": src})
    assert errors(diags) == []
    assert qualified(program, "app", "Request") == "core.net.http.Request"
    # The umbrella re-exports the very declaration of core.net.http.
    assert program.lookup("app", "Response") == program.lookup("core.net.http", "Response")


# ---------------------------------------------------------------- mount forms


def test_alias_nested_groups_module_and_glob(tmp_path: Path) -> None:
    src = """mount core.collections.map.Map as Dict;
mount core.net.weft.{
    Router,
    json_extractor.{Json, JsonDeserialize},
    error.IntoResponse as IntoResp,
};
mount core.time;
mount core.runtime.supervisor.*;
"""
    program, diags = load(tmp_path, {"app.vr": src})
    assert errors(diags) == []
    assert qualified(program, "app", "Dict") == "core.prelude.Map"
    assert qualified(program, "app", "Json") == "core.net.weft.json_extractor.Json"
    assert qualified(program, "app", "IntoResp") == "core.net.weft.error.IntoResponse"
    assert program.lookup("app", "IntoResponse") is None
    assert program.lookup("app", "time") == ModuleRef("core.time")
    assert qualified(program, "app", "ChildSpec") == "core.runtime.supervisor.ChildSpec"


def test_user_modules_relative_super_and_inline(tmp_path: Path) -> None:
    files = {
        "app.vr": "mount models.user.{User};\nmount models.{Id};\nmount .inner.{Secret};\n"
                  "module inner { public type Secret is Int; }\n",
        "models/mod.vr": "public mount .user.Id;\n",
        "models/user.vr": "public type Id is Int;\npublic type User is { id: Id };\n"
                          "mount super.user.{Id as Same};\n",
    }
    program, diags = load(tmp_path, files)
    assert errors(diags) == []
    assert qualified(program, "app", "User") == "models.user.User"
    assert qualified(program, "app", "Id") == "models.user.Id"
    assert qualified(program, "app", "Secret") == "app.inner.Secret"
    assert qualified(program, "models.user", "Same") == "models.user.Id"
    assert not program.modules["models.user"].is_stdlib
    assert program.modules["core.prelude"].is_stdlib


def test_entry_name_comes_from_module_declaration() -> None:
    src = SourceFile.from_text("x/tour.vr", "module examples.tour;\n")
    assert entry_module_name(src, parse(src).module) == "examples.tour"
    bare = SourceFile.from_text("x/tour.vr", "fn f() {}\n")
    assert entry_module_name(bare, parse(bare).module) == "tour"


def test_prelude_is_visible_and_shadowed_by_locals_and_globs(tmp_path: Path) -> None:
    src = "mount core.net.weft.*;\ntype Router is {};\n"
    program, diags = load(tmp_path, {"app.vr": src})
    assert errors(diags) == []
    assert qualified(program, "app", "List") == "core.prelude.List"
    assert qualified(program, "app", "print") == "core.prelude.print"
    assert qualified(program, "app", "Router") == "app.Router"


# ---------------------------------------------------------------- diagnostics


def test_unknown_stdlib_module_points_at_segment_with_closest(tmp_path: Path) -> None:
    _, diags = load(tmp_path, {"app.vr": "fn f() {}\nmount core.net.wft.{Router};\n"})
    d = only(diags, "E1001")
    assert (d.span.line, d.span.column) == (2, 16)
    assert "core.net.wft" in d.message
    assert any("core.net.weft" in n for n in d.notes)


def test_unknown_user_module(tmp_path: Path) -> None:
    _, diags = load(tmp_path, {"app.vr": "mount models.user.{User};\n"})
    d = only(diags, "E1001")
    assert (d.span.line, d.span.column) == (1, 7)
    assert d.help is not None and "models/user.vr" in d.help


def test_unknown_glob_module(tmp_path: Path) -> None:
    _, diags = load(tmp_path, {"app.vr": "mount core.timez.*;\n"})
    d = only(diags, "E1001")
    assert (d.span.line, d.span.column) == (1, 12)
    assert any("core.time" in n for n in d.notes)


def test_name_not_found_suggests(tmp_path: Path) -> None:
    _, diags = load(tmp_path, {"app.vr": "mount core.net.weft.router.{Routr};\n"})
    d = only(diags, "E1002")
    assert (d.span.line, d.span.column) == (1, 29)
    assert d.notes == ("did you mean `Router`?",)


def test_private_name_is_not_mountable(tmp_path: Path) -> None:
    files = {"app.vr": "mount lib.{hidden};\n", "lib.vr": "fn hidden() {}\n"}
    _, diags = load(tmp_path, files)
    d = only(diags, "E1002")
    assert "private" in d.message and (d.span.line, d.span.column) == (1, 12)


def test_glob_conflict_is_ambiguous_only_when_named(tmp_path: Path) -> None:
    files = {
        "a.vr": "public type X is Int;\npublic type A is Int;\n",
        "b.vr": "public type X is Text;\n",
        "m.vr": "public mount a.*;\npublic mount b.*;\n",
        "app.vr": "mount a.*;\nmount b.*;\nmount m.{A};\nmount m.{X};\n",
    }
    program, diags = load(tmp_path, files)
    entry = program.lookup("app", "X")
    assert isinstance(entry, Ambiguous)
    assert [c.qualified for c in entry.candidates] == ["a.X", "b.X"]
    assert qualified(program, "app", "A") == "a.A"
    d = only(diags, "E1003")
    assert (d.span.line, d.span.column) == (4, 10)


def test_same_declaration_through_two_globs_is_not_ambiguous(tmp_path: Path) -> None:
    src = "mount core.net.weft.*;\nmount core.net.http.*;\n"
    program, diags = load(tmp_path, {"app.vr": src})
    assert errors(diags) == []
    assert qualified(program, "app", "Response") == "core.net.http.Response"


def test_mount_cycles_are_legal(tmp_path: Path) -> None:
    files = {
        "a.vr": "public mount b.*;\npublic type A is Int;\n",
        "b.vr": "public mount a.*;\npublic type B is Int;\n",
        "app.vr": "mount a.{A, B};\nmount b.{A as A2, B as B2};\n",
    }
    program, diags = load(tmp_path, files)
    assert errors(diags) == []
    assert qualified(program, "app", "B") == "b.B"
    assert qualified(program, "app", "A2") == "a.A"


def test_reexport_cycle_without_declaration(tmp_path: Path) -> None:
    files = {
        "a.vr": "public mount b.X;\n",
        "b.vr": "public mount a.X;\n",
        "app.vr": "mount a.{X};\n",
    }
    _, diags = load(tmp_path, files)
    cycles = [d for d in diags if d.code == "E1004"]
    assert cycles, [(d.code, d.message) for d in diags]
    mine = [d for d in cycles if d.span.file.endswith("app.vr")]
    assert len(mine) == 1 and (mine[0].span.line, mine[0].span.column) == (1, 10)
    assert "`a` -> `b` -> `a`" in mine[0].message


def test_duplicate_definition(tmp_path: Path) -> None:
    src = "type X is Int;\nfn f() {}\ntype X is Text;\n"
    _, diags = load(tmp_path, {"app.vr": src})
    d = only(diags, "E1005")
    assert (d.span.line, d.span.column) == (3, 6)
    assert d.labels and d.labels[0].span.line == 1


def test_definition_clashing_with_explicit_mount(tmp_path: Path) -> None:
    src = "mount core.net.weft.{Router};\ntype Router is {};\n"
    _, diags = load(tmp_path, {"app.vr": src})
    d = only(diags, "E1005")
    assert (d.span.line, d.span.column) == (1, 22)


def test_two_mounts_of_one_name(tmp_path: Path) -> None:
    src = "mount core.time.{Duration};\nmount core.net.weft.{Router as Duration};\n"
    _, diags = load(tmp_path, {"app.vr": src})
    assert errors(diags) == [("E1005", 2, 22)]


# ---------------------------------------------------------------- @cfg


CFG_SRC = """@cfg(target_os = "linux")
mount core.sys.linux.io.{IoUringDriver};
@cfg(target_os = "windows")
mount no.such.module.{Thing};
@cfg(feature = "fast")
public type Fast is Int;
@cfg(all(unix, not(target_os = "linux")))
public type NotLinux is Int;
@cfg(any(target_arch = "aarch64", target_family = "windows"))
public type Arm is Int;
"""


def test_cfg_on_linux(tmp_path: Path) -> None:
    program, diags = load(tmp_path, {"app.vr": CFG_SRC}, cfg=LINUX)
    assert errors(diags) == []
    assert qualified(program, "app", "IoUringDriver") == "core.sys.linux.io.IoUringDriver"
    for absent in ("Fast", "NotLinux", "Arm"):
        assert program.lookup("app", absent) is None


def test_cfg_on_macos_with_feature(tmp_path: Path) -> None:
    env = CfgEnv("macos", "unix", "aarch64", frozenset({"fast"}), frozenset({"weft", "unix"}))
    program, diags = load(tmp_path, {"app.vr": CFG_SRC}, cfg=env)
    assert errors(diags) == []
    assert program.lookup("app", "IoUringDriver") is None
    for present in ("Fast", "NotLinux", "Arm"):
        assert qualified(program, "app", present) == f"app.{present}"


def test_cfg_unsupported_predicate_warns(tmp_path: Path) -> None:
    program, diags = load(tmp_path, {"app.vr": "@cfg(1)\npublic type T is Int;\n"})
    d = only(diags, "W1001")
    assert not d.is_error and (d.span.line, d.span.column) == (1, 6)
    assert program.lookup("app", "T") is None


def test_cfg_host_env_is_consistent() -> None:
    env = CfgEnv.host()
    assert env.target_family in env.flags and "weft" in env.flags


# ---------------------------------------------------------------- stdlib cache


def test_stdlib_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEFTC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("WEFTC_NO_CACHE", raising=False)
    monkeypatch.setattr(stdlib_cache, "_MEMO", {})
    fresh = stdlib_cache.load_stdlib()
    written = list((tmp_path / "weftc").glob("stdlib-*.pickle"))
    assert len(written) == 1
    with open(written[0], "rb") as fh:
        cached = pickle.load(fh)
    assert cached.keys() == fresh.keys()
    for name, parsed in fresh.items():
        assert cached[name].module == parsed.module, name
        assert cached[name].source.text == parsed.source.text
    monkeypatch.setattr(stdlib_cache, "_MEMO", {})
    again = stdlib_cache.load_stdlib()
    assert again["core.prelude"].module == fresh["core.prelude"].module


# ---------------------------------------------------------------- the Verum corpus


def _corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.vr")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"Verum corpus not found at {CORPUS}")
def test_corpus_is_present() -> None:
    assert len(_corpus()) >= 30


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"Verum corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_corpus_mounts_resolve(path: Path) -> None:
    program, diags = load_program(SourceFile.read(path), cfg=LINUX)
    assert errors(diags) == [], [d.message for d in diags if d.is_error]
    entry = program.modules[program.entry]
    assert entry.imports, "every corpus file mounts something"
    for spec in entry.imports:
        if not spec.glob:
            assert spec.bound_name in entry.scope, spec.path


def test_closest_skips_names_too_long_to_be_typos(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: "did you mean" ran an edit-distance table against every
    name in scope for every error, so a 5 MB program with 2,400 handlers and
    one unknown name per handler took minutes (quadratic)."""
    from weftc.modules import suggest

    calls = 0
    real = suggest.edit_distance

    def counting(a: str, b: str) -> int:
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(suggest, "edit_distance", counting)
    names = [f"handler_{k}" for k in range(5000)] + ["Pathh"]
    assert suggest.closest("Path", names) == "Pathh"
    assert calls == 1
