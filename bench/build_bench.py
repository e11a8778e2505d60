"""`weftc build examples/rest_api.vr`: cold and warm, process start included.

Cold: a fresh output folder (the stdlib parse cache stays warm, as on a
developer's machine after the first run). Warm: the same folder again, with
nothing changed. Writes the section between `<!-- build:begin -->` and
`<!-- build:end -->` in bench/RESULTS.md (appended if absent).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results_md import replace_section

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "rest_api.vr"
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- build:begin -->", "<!-- build:end -->"


def timed_build(out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "weftc", "build", str(EXAMPLE), "-o", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0


def measure(rounds: int = 5) -> tuple[list[float], list[float]]:
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(rounds):
        out = Path(tempfile.mkdtemp(prefix="weft-build-bench-"))
        try:
            cold.append(timed_build(out))
            warm.append(timed_build(out))
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return cold, warm


def section(cold: list[float], warm: list[float]) -> str:
    def row(name: str, xs: list[float], target: str) -> str:
        return (f"| {name} | {statistics.median(xs):.3f} | {min(xs):.3f} | {max(xs):.3f} | "
                f"{target} |")
    return "\n".join([
        BEGIN,
        "## `weftc build examples/rest_api.vr` (process start included)",
        "",
        f"{len(cold)} rounds; seconds.",
        "",
        "| build | median | min | max | target |",
        "|---|---|---|---|---|",
        row("cold (fresh output folder)", cold, "< 1.5"),
        row("warm (nothing changed)", warm, "< 0.3"),
        END,
    ])


def write(text: str) -> None:
    replace_section(text, BEGIN, END, RESULTS)


def main() -> int:
    cold, warm = measure()
    text = section(cold, warm)
    print(text)
    write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
