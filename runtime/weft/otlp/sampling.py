"""Tail sampling: decide, once a span has ended, whether it is worth exporting.

A head decision (the `sampled` flag) is made before anyone knows how the
request will go; a tail sampler sees the outcome. The usual policy keeps
every failed or slow request and a small share of the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from weft.layers.tracing import Span

__all__ = ["TailSampler", "keep_all", "keep_errors_and_slow"]

TailSampler = Callable[[Span], bool]


def keep_all(span: Span) -> bool:
    """Export every span (the default)."""
    return True


def keep_errors_and_slow(slow_seconds: float, keep_ratio: float = 0.0) -> TailSampler:
    """Keep spans that raised, answered 5xx or took at least `slow_seconds`,
    plus `keep_ratio` of the others.

    The share is drawn from the trace id, not a random number, so every
    service that applies the same ratio keeps or drops the same traces whole.
    """
    if slow_seconds < 0 or not 0.0 <= keep_ratio <= 1.0:
        raise ValueError("slow_seconds must be >= 0 and keep_ratio within [0, 1]")
    slow_ns = int(slow_seconds * 1e9)
    threshold = int(keep_ratio * (1 << 64))

    def decide(span: Span) -> bool:
        if span.error is not None or (span.status is not None and span.status >= 500):
            return True
        if span.end_ns - span.start_ns >= slow_ns:
            return True
        return int(span.trace_id[-16:], 16) < threshold

    return decide
