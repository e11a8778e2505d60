"""A wheel, not only the editable install, carries the grammar and stdlib.

Builds the wheel without network (hatchling is a test dependency), installs it
with --no-deps into a fresh venv that borrows the dependencies from the
current environment through a .pth line (which does not pull in the editable
install's own .pth files), and parses an example with the installed script
from a folder outside the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_packages_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "weftc/__init__.py" in names
    assert "weft/__init__.py" in names
    assert "weftc/_data/grammar/verum.lark" in names
    assert any(n.startswith("weftc/_data/stdlib/") and n.endswith(".vr") for n in names)
    assert not any(n.startswith(("tests/", "runtime/")) for n in names)
    # the C accelerator, compiled by hatch_build.py (gcc is part of `make test`'s machine)
    assert any(n.startswith("weft/protocols/http1/_native.") and n.endswith(".so") for n in names)
    assert any(n.startswith("weftc/syntax/_cfront.") and n.endswith(".so") for n in names)
    # the parser's LALR analysis, prebuilt so that the first weftc run need not
    assert any(n.startswith("weftc/_tables/verum-tables-") for n in names)
    assert any(n.startswith("weftc/_tables/verum-lark-") for n in names)
    assert not any(n.endswith((".c", ".h")) for n in names)


def test_wheel_install_parses_example(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # Borrow third-party dependencies (lark, z3, ...) from this environment.
    Path(site, "_borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
                    "--quiet", "--no-index", str(wheel)], check=True, capture_output=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run([str(py), "-c", "import weftc, weft; print(weftc.__file__); print(weft.__file__);"
                            "from weft.protocols.http1 import parser; print(parser.NATIVE.__file__);"
                            "from weftc.syntax import native; print(native._cfront.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where.splitlines()[0], where
    assert str(env_dir) in where.splitlines()[1], where
    assert str(env_dir) in where.splitlines()[2], where  # the wheel's own compiled modules
    assert str(env_dir) in where.splitlines()[3], where
    probe = ("from weftc.syntax import parser; e = parser._engine(); "
             "assert e._shipped_lark() is not None; "
             "assert (parser.shipped_tables_dir() / parser.tables_name(e.grammar)).is_file()")
    subprocess.run([str(py), "-c", probe], cwd=tmp_path, env={**env, "WEFTC_CACHE_DIR": str(tmp_path)},
                   check=True, capture_output=True, timeout=120)
    res = subprocess.run([str(env_dir / "bin" / "weftc"), "parse", str(ROOT / "examples" / "hello.vr"),
                          "--format", "json"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert '"node"' in res.stdout
