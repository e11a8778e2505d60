"""Hatch build hook: compile the optional C accelerators; prebuild the parser tables.

The accelerators are the runtime's request path (`weft.*._native`) and the
compiler's parser front end (`weftc.syntax._cfront`, several sources).

Why a hook and not setuptools: the project builds with hatchling (package
data, wheel layout); only the compile step needs setuptools' `build_ext`,
which knows this Python's compiler flags and extension suffix.

Each accelerator has a pure-Python twin that gives the same results (tests
compare them), so a machine without a C compiler still installs a working,
slower package: the hook warns and goes on. Set `WEFT_NATIVE=require` to make
a failed compile an error (CI does, through `make`), or `WEFT_NATIVE=off` to
build without them.

Editable installs get the compiled module next to its source (that folder is
on `sys.path`); wheels get it through `force_include`.

It also runs weftc's parser once so that its LALR analysis (lark's cache
and the fast path's tables, about 10 s of CPU) ships with the package instead
of being built by the user's first `weftc` run; weftc starts its user cache
from them (`weftc.syntax.parser`). They are keyed by the lark and Python
versions; a mismatch only costs that first run.

Run directly (`python hatch_build.py`) to rebuild the modules and tables in
place while working on the C sources or the grammar.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).resolve().parent

#: (import name, C sources relative to the repository root; the module is
#: placed in the first source's folder)
EXTENSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("weft.protocols.http1._native", ("runtime/weft/protocols/http1/_native.c",)),
    ("weft.connection._native", ("runtime/weft/connection/_native.c",)),
    ("weft.router._native", ("runtime/weft/router/_native.c",)),
    ("weftc.syntax._cfront", tuple(f"weftc/syntax/cfront/{name}.c" for name in
                                   ("module", "lex", "postlex", "lalr", "tok", "nodes"))),
)


def module_dir(module: str) -> Path:
    """Where an in-place build of `module` goes (the package folder)."""
    package = module.rsplit(".", 1)[0].split(".")
    base = ROOT / "runtime" if package[0] == "weft" else ROOT
    return base.joinpath(*package)


def compile_extension(module: str, sources: tuple[str, ...], out: Path) -> Path:
    """Compile one extension into `out`; returns the built file."""
    from setuptools import Distribution, Extension  # type: ignore[import-untyped]
    from setuptools.command.build_ext import build_ext  # type: ignore[import-untyped]

    ext = Extension(module, [str(ROOT / s) for s in sources],
                    include_dirs=[str(ROOT / "runtime" / "weft")],
                    extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                        "-Wno-missing-field-initializers"])
    dist = Distribution({"name": "weft-native", "ext_modules": [ext]})
    cmd = build_ext(dist)
    cmd.build_lib = str(out / "lib")
    cmd.build_temp = str(out / "tmp")
    cmd.ensure_finalized()
    cmd.run()
    return Path(cmd.get_ext_fullpath(module))


#: where the prebuilt tables live in the package (weftc.resources.shipped_tables_dir):
#: in the source tree for an editable install, force-included into a wheel
TABLES_DIR = ROOT / "weftc" / "_tables"
WHEEL_TABLES_DIR = "weftc/_tables"


def build_parser_tables(out: Path) -> list[Path]:
    """Run the parser once with an empty cache folder; the files it wrote."""
    cache = out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    # Keep the PYTHONPATH we were given: pip's isolated build environment (where
    # lark is installed) reaches the child through it.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "WEFTC_CACHE_DIR": str(cache)}
    env.pop("WEFTC_SLOW_PARSER", None)
    saved = out / "saved"
    saved.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-c", _SAVE_TABLES, str(saved)], env=env, check=True,
                   timeout=600, capture_output=True)
    return sorted(saved.iterdir())


# Runs in a child process with the repository on PYTHONPATH: build the parser
# from scratch, then write the fast path's tables and the saved Lark object.
_SAVE_TABLES = """
import shutil, sys
from pathlib import Path
from weftc.syntax import parser
engine = parser._engine()
lark = engine.lark
out = Path(sys.argv[1])
with (out / parser.lark_name(engine.grammar)).open("wb") as f:
    lark.save(f, exclude_options=parser.UNSAVED_OPTIONS)
name = parser.tables_name(engine.grammar)
built = engine.cache / name
shutil.copyfile(built if built.exists() else parser.shipped_tables_dir() / name, out / name)
"""


def place_tables(files: list[Path]) -> None:
    if TABLES_DIR.exists():
        shutil.rmtree(TABLES_DIR)
    TABLES_DIR.mkdir(parents=True)
    for f in files:
        shutil.copyfile(f, TABLES_DIR / f.name)


def build_in_place() -> list[Path]:
    """Compile every accelerator next to its source (editable installs, development)."""
    placed = []
    with tempfile.TemporaryDirectory(prefix="weft-native-") as tmp:
        for module, sources in EXTENSIONS:
            built = compile_extension(module, sources, Path(tmp))
            target = module_dir(module) / built.name
            # a new file renamed over the old one: processes that loaded the
            # old module keep their mapping (overwriting it in place crashes them)
            fresh = target.with_name(target.name + ".new")
            shutil.copyfile(built, fresh)
            os.replace(fresh, target)
            placed.append(target)
    return placed


class NativeBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles `EXTENSIONS`; see the module docstring for the failure policy."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._tables(version, build_data)
        self._native(version, build_data)

    def _tables(self, version: str, build_data: dict[str, Any]) -> None:
        try:
            out = Path(tempfile.mkdtemp(prefix="weftc-tables-"))
            files = build_parser_tables(out)
        except (OSError, subprocess.SubprocessError) as exc:  # e.g. lark missing
            print(f"weftc: parser tables not prebuilt ({exc}); the first run builds them",
                  file=sys.stderr)
            return
        if version == "editable":
            place_tables(files)
        else:
            for f in files:
                build_data["force_include"][str(f)] = f"{WHEEL_TABLES_DIR}/{f.name}"

    def _native(self, version: str, build_data: dict[str, Any]) -> None:
        mode = os.environ.get("WEFT_NATIVE", "auto")
        if mode == "off":
            return
        try:
            if version == "editable":
                build_in_place()
                return
            out = Path(tempfile.mkdtemp(prefix="weft-native-"))
            for module, sources in EXTENSIONS:
                built = compile_extension(module, sources, out)
                dest = module.rsplit(".", 1)[0].replace(".", "/") + "/" + built.name
                build_data["force_include"][str(built)] = dest
            build_data["pure_python"] = False
            build_data["infer_tag"] = True
        except Exception as exc:  # no compiler, no headers: the pure-Python twins serve
            if mode == "require":
                raise
            print(f"weft: C accelerators not built ({exc}); the pure-Python code serves",
                  file=sys.stderr)


if __name__ == "__main__":
    for path in build_in_place():
        print(path.relative_to(ROOT))
    with tempfile.TemporaryDirectory(prefix="weftc-tables-") as tmp:
        place_tables(build_parser_tables(Path(tmp)))
    for path in sorted(TABLES_DIR.iterdir()):
        print(path.relative_to(ROOT))
