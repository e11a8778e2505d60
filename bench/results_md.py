"""One way to update `bench/RESULTS.md`: each benchmark owns the text
between its own `<!-- name:begin -->` / `<!-- name:end -->` markers and
never touches the rest of the file."""

from __future__ import annotations

from pathlib import Path

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(section: str, begin: str, end: str, path: Path = RESULTS_MD) -> None:
    """Replace the text from `begin` through `end` with `section` (which
    carries both markers), or append `section` when the markers are absent."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
