"""Closest-name suggestions for "did you mean" notes."""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute; each costs 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest(wanted: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `wanted`, if it is near enough to be a typo.

    Case differences are cheap (`router` → `Router`); otherwise a third of
    the name may differ, at least one edit and at most four.
    """
    limit = min(4, max(1, len(wanted) // 3))
    best: tuple[int, str] | None = None
    low = wanted.lower()
    for cand in sorted(set(candidates)):
        # Length alone bounds the distance from below: skip the O(n*m) table
        # for names that cannot be near (files with thousands of names stay fast).
        if abs(len(cand) - len(wanted)) > limit:
            continue
        d = 0 if cand.lower() == low else edit_distance(wanted, cand)
        if d <= limit and (best is None or d < best[0]):
            best = (d, cand)
    return best[1] if best else None
