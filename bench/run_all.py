"""Run every benchmark present, in order; `make bench` calls this.

    python bench/run_all.py [--quick]

A benchmark is a top-level `bench/*_bench.py` script (parse, build, ...) or a
harness `bench/<name>/run.py` (http1, h2, ...). Each writes its own section
of bench/RESULTS.md. `--quick` is passed to the harnesses (all of which take
it); the scripts run as they are. Exits non-zero if any benchmark did.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def scripts(quick: bool) -> list[list[str]]:
    """The command line of each benchmark present, scripts first, sorted by name."""
    out = [[sys.executable, str(p)] for p in sorted(BENCH.glob("*_bench.py"))]
    for harness in sorted(BENCH.glob("*/run.py")):
        out.append([sys.executable, str(harness), *(["--quick"] if quick else [])])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke-sized harness runs")
    args = parser.parse_args(argv)
    worst = 0
    for cmd in scripts(args.quick):
        name = str(Path(cmd[1]).relative_to(BENCH))
        print(f"== {name} {' '.join(cmd[2:])}".rstrip(), flush=True)
        code = subprocess.run(cmd, cwd=BENCH.parent, check=False).returncode
        if code != 0:
            print(f"== {name} exited {code}", file=sys.stderr, flush=True)
            worst = worst or code
    return worst


if __name__ == "__main__":
    sys.exit(main())
