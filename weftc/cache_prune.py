"""Bounded on-disk caches: keep the newest few entries of one kind.

Each cache file is keyed by a hash of its inputs (stdlib sources, grammar,
compiler version), so every edit to those leaves the previous entry behind.
Without pruning a developer's `~/.cache/weftc` grows by half a megabyte per
stdlib edit, forever.
"""

from __future__ import annotations

from pathlib import Path


def keep_newest(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the `keep` most recently modified files matching `pattern`.

    Best effort: a file another process removes or replaces meanwhile, or a
    folder we may not write, is left as it is.
    """
    entries: list[tuple[float, Path]] = []
    try:
        for path in folder.glob(pattern):
            try:
                entries.append((path.stat().st_mtime, path))
            except OSError:
                continue
    except OSError:
        return
    entries.sort(reverse=True)
    for _, path in entries[keep:]:
        try:
            path.unlink()
        except OSError:
            pass
