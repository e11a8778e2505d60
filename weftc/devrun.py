"""`make run`: what a newcomer sees first.

Checks every example program with the compiler stages that exist, prints
their canonical form's first lines, then serves the runtime's hello-world
(`examples/python/hello.py`) with curl lines to try. Code generation from
`.vr` (issue 4) replaces the last step with the compiled REST example.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from weftc.diagnostics import render_human
from weftc.pipeline import check_file

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make run")
    ap.add_argument("--bind", default="127.0.0.1:8080")
    args = ap.parse_args(argv)
    failed = 0
    for path in sorted((ROOT / "examples").glob("*.vr")):
        result = check_file(str(path))
        status = "ok" if result.ok else "FAILED"
        print(f"weftc check {path.relative_to(ROOT)}: {status}")
        if not result.ok:
            failed += 1
            print(render_human(result.diagnostics, result.sources), file=sys.stderr)
    if failed:
        return 1
    host, _, port = args.bind.rpartition(":")
    print()
    print("Code generation from .vr is not built yet (issue 4); serving the runtime's")
    print(f"Python hello-world instead on http://{args.bind}/ . Try:")
    print(f"  curl -i http://{host}:{port}/")
    print(f"  curl -i http://{host}:{port}/hello/Ada")
    print("Ctrl-C stops it (graceful shutdown).")
    sys.argv = ["hello.py", "--bind", args.bind]
    runpy.run_path(str(ROOT / "examples" / "python" / "hello.py"), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
