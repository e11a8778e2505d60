"""Hatch build hook: compile weft's optional C accelerators.

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

Run directly (`python hatch_build.py`) to rebuild the modules in place while
working on the C sources.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).resolve().parent

#: (import name, C source relative to the repository root)
EXTENSIONS: tuple[tuple[str, str], ...] = (
    ("weft.protocols.http1._native", "runtime/weft/protocols/http1/_native.c"),
    ("weft.connection._native", "runtime/weft/connection/_native.c"),
    ("weft.router._native", "runtime/weft/router/_native.c"),
)


def compile_extension(module: str, source: str, out: Path) -> Path:
    """Compile one extension into `out`; returns the built file."""
    from setuptools import Distribution, Extension  # type: ignore[import-untyped]
    from setuptools.command.build_ext import build_ext  # type: ignore[import-untyped]

    ext = Extension(module, [str(ROOT / source)], include_dirs=[str(ROOT / "runtime" / "weft")],
                    extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                        "-Wno-missing-field-initializers"])
    dist = Distribution({"name": "weft-native", "ext_modules": [ext]})
    cmd = build_ext(dist)
    cmd.build_lib = str(out / "lib")
    cmd.build_temp = str(out / "tmp")
    cmd.ensure_finalized()
    cmd.run()
    return Path(cmd.get_ext_fullpath(module))


def build_in_place() -> list[Path]:
    """Compile every accelerator next to its source (editable installs, development)."""
    placed = []
    with tempfile.TemporaryDirectory(prefix="weft-native-") as tmp:
        for module, source in EXTENSIONS:
            built = compile_extension(module, source, Path(tmp))
            target = (ROOT / source).parent / built.name
            shutil.copyfile(built, target)
            placed.append(target)
    return placed


class NativeBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles `EXTENSIONS`; see the module docstring for the failure policy."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        mode = os.environ.get("WEFT_NATIVE", "auto")
        if mode == "off":
            return
        try:
            if version == "editable":
                build_in_place()
                return
            out = Path(tempfile.mkdtemp(prefix="weft-native-"))
            for module, source in EXTENSIONS:
                built = compile_extension(module, source, out)
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
