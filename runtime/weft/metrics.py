"""A small Prometheus registry and its text exposition format (version 0.0.4).

How this works:

* A `Registry` owns metric *families* by name. `counter()`, `gauge()` and
  `histogram()` are get-or-create, so two layers asking for the same family
  share it; asking again with a different kind or label set is a bug and
  raises `ValueError`.
* A family with label names hands out one *child* per tuple of label values
  (`family.labels("GET", "/users/:id")`); the children are cached in a dict,
  so the hot path is one dict lookup and one float add. A family without
  labels is its own single child (`counter.inc()`).
* `gauge_fn()` registers a callback read only at scrape time, for values the
  runtime already tracks elsewhere (open connections, pool sizes);
  `callback()` does the same for a labelled counter or gauge family.
* `render()` writes `# HELP` / `# TYPE` lines and samples, escaping help text
  and label values as the format requires. Histogram buckets are cumulative
  and always end with `le="+Inf"`, followed by `_sum` and `_count`.

A registry belongs to one worker process and is touched only from its event
loop thread, so nothing here takes a lock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Final, Generic, TypeVar, final

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_BUCKETS",
    "Counter",
    "CounterChild",
    "Gauge",
    "GaugeChild",
    "Histogram",
    "HistogramChild",
    "Registry",
]

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

# Seconds; the Prometheus client default, which suits web request latency.
DEFAULT_BUCKETS: Final[tuple[float, ...]] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


def _fmt(value: float) -> str:
    """A sample value as Prometheus writes it (Go float syntax)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return repr(float(value))


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _label_block(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape_label(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


# ---------------------------------------------------------------------------
# Children: one time series each
# ---------------------------------------------------------------------------

@final
class CounterChild:
    """A monotonically increasing total."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("a counter can only increase")
        self.value += amount


@final
class GaugeChild:
    """A value that goes up and down."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount

    def dec(self, amount: float = 1.0) -> None:
        self.value -= amount

    def set(self, value: float) -> None:
        self.value = value


@final
class HistogramChild:
    """Observation counts per bucket (stored non-cumulative, rendered cumulative)."""

    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last slot is the +Inf overflow
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        bounds = self.bounds
        i = 0
        n = len(bounds)
        while i < n and value > bounds[i]:
            i += 1
        self.counts[i] += 1
        self.sum += value
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """`(upper bound, observations <= bound)` pairs, ending with +Inf."""
        out: list[tuple[float, int]] = []
        running = 0
        for bound, c in zip((*self.bounds, math.inf), self.counts, strict=True):
            running += c
            out.append((bound, running))
        return out


# ---------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------

C = TypeVar("C", CounterChild, GaugeChild, HistogramChild)


class _Family(Generic[C]):
    kind: str = ""

    def __init__(self, name: str, help_text: str, labelnames: Sequence[str]) -> None:
        if not _METRIC_NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        for label in labelnames:
            if not _LABEL_NAME.match(label) or label.startswith("__"):
                raise ValueError(f"invalid label name {label!r} on {name}")
        if len(set(labelnames)) != len(labelnames):
            raise ValueError(f"duplicate label names on {name}")
        self.name = name
        self.help = help_text
        self.labelnames: tuple[str, ...] = tuple(labelnames)
        self._children: dict[tuple[str, ...], C] = {}

    def _new_child(self) -> C:
        raise NotImplementedError

    def labels(self, *values: str) -> C:
        """The child for these label values, in `labelnames` order."""
        child = self._children.get(values)
        if child is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"{self.name} takes labels {self.labelnames}, got {values!r}")
            key = tuple(str(v) for v in values)
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = self._new_child()
        return child

    def _only(self) -> C:
        if self.labelnames:
            raise ValueError(f"{self.name} has labels {self.labelnames}; use .labels(...)")
        return self.labels()

    def samples(self) -> Iterable[str]:
        raise NotImplementedError


@final
class Counter(_Family[CounterChild]):
    kind = "counter"

    def _new_child(self) -> CounterChild:
        return CounterChild()

    def inc(self, amount: float = 1.0) -> None:
        self._only().inc(amount)

    def samples(self) -> Iterable[str]:
        for values, child in self._children.items():
            yield f"{self.name}{_label_block(self.labelnames, values)} {_fmt(child.value)}"


@final
class Gauge(_Family[GaugeChild]):
    kind = "gauge"

    def _new_child(self) -> GaugeChild:
        return GaugeChild()

    def inc(self, amount: float = 1.0) -> None:
        self._only().inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        self._only().dec(amount)

    def set(self, value: float) -> None:
        self._only().set(value)

    def samples(self) -> Iterable[str]:
        for values, child in self._children.items():
            yield f"{self.name}{_label_block(self.labelnames, values)} {_fmt(child.value)}"


@final
class Histogram(_Family[HistogramChild]):
    kind = "histogram"

    def __init__(self, name: str, help_text: str, labelnames: Sequence[str],
                 buckets: Sequence[float]) -> None:
        if "le" in labelnames:
            raise ValueError("`le` is reserved for histogram buckets")
        super().__init__(name, help_text, labelnames)
        bounds = tuple(float(b) for b in buckets if not math.isinf(b))
        if not bounds or list(bounds) != sorted(set(bounds)):
            raise ValueError(f"{name}: buckets must be non-empty and strictly increasing")
        self.bounds = bounds

    def _new_child(self) -> HistogramChild:
        return HistogramChild(self.bounds)

    def observe(self, value: float) -> None:
        self._only().observe(value)

    def samples(self) -> Iterable[str]:
        for values, child in self._children.items():
            for bound, total in child.cumulative():
                le = 'le="' + _fmt_le(bound) + '"'
                yield f"{self.name}_bucket{_label_block(self.labelnames, values, le)} {total}"
            labels = _label_block(self.labelnames, values)
            yield f"{self.name}_sum{labels} {_fmt(child.sum)}"
            yield f"{self.name}_count{labels} {child.count}"


def _fmt_le(bound: float) -> str:
    # Bucket bounds keep a decimal point ("1.0") as the reference client does,
    # so the same bound always yields the same label value.
    return "+Inf" if math.isinf(bound) else repr(bound)


@final
class _GaugeFn:
    """A gauge whose value is read from a callback at scrape time."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str, fn: Callable[[], float]) -> None:
        if not _METRIC_NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        self.name = name
        self.help = help_text
        self.fn = fn

    def samples(self) -> Iterable[str]:
        yield f"{self.name} {_fmt(float(self.fn()))}"


@final
class _Callback:
    """A counter or gauge family whose samples come from a callback at scrape
    time: `fn()` yields `(label values, value)` pairs."""

    def __init__(self, name: str, help_text: str, kind: str, labelnames: Sequence[str],
                 fn: Callable[[], Iterable[tuple[Sequence[str], float]]]) -> None:
        if kind not in ("counter", "gauge"):
            raise ValueError(f"{name}: a callback family is a counter or a gauge, not {kind!r}")
        if not _METRIC_NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        for label in labelnames:
            if not _LABEL_NAME.match(label) or label.startswith("__"):
                raise ValueError(f"invalid label name {label!r} on {name}")
        self.name = name
        self.help = help_text
        self.kind = kind
        self.labelnames: tuple[str, ...] = tuple(labelnames)
        self.fn = fn

    def samples(self) -> Iterable[str]:
        for values, value in self.fn():
            yield f"{self.name}{_label_block(self.labelnames, values)} {_fmt(float(value))}"


_AnyFamily = Counter | Gauge | Histogram | _GaugeFn | _Callback


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

@final
class Registry:
    """The families of one process, rendered in registration order."""

    __slots__ = ("_families",)

    def __init__(self) -> None:
        self._families: dict[str, _AnyFamily] = {}

    def _existing(self, name: str, kind: type[_AnyFamily],
                  labelnames: Sequence[str]) -> _AnyFamily | None:
        fam = self._families.get(name)
        if fam is None:
            return None
        if type(fam) is not kind or (
                not isinstance(fam, _GaugeFn) and fam.labelnames != tuple(labelnames)):
            raise ValueError(f"metric {name} is already registered with another kind or labels")
        return fam

    def counter(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> Counter:
        fam = self._existing(name, Counter, labelnames)
        if fam is None:
            fam = self._families[name] = Counter(name, help_text, labelnames)
        assert isinstance(fam, Counter)
        return fam

    def gauge(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> Gauge:
        fam = self._existing(name, Gauge, labelnames)
        if fam is None:
            fam = self._families[name] = Gauge(name, help_text, labelnames)
        assert isinstance(fam, Gauge)
        return fam

    def histogram(self, name: str, help_text: str, labelnames: Sequence[str] = (),
                  buckets: Sequence[float] = DEFAULT_BUCKETS) -> Histogram:
        fam = self._existing(name, Histogram, labelnames)
        if fam is None:
            fam = self._families[name] = Histogram(name, help_text, labelnames, buckets)
        assert isinstance(fam, Histogram)
        return fam

    def gauge_fn(self, name: str, help_text: str, fn: Callable[[], float]) -> None:
        """Expose `fn()` as a gauge, evaluated on every scrape."""
        if name in self._families:
            raise ValueError(f"metric {name} is already registered")
        self._families[name] = _GaugeFn(name, help_text, fn)

    def callback(self, name: str, help_text: str, kind: str, labelnames: Sequence[str],
                 fn: Callable[[], Iterable[tuple[Sequence[str], float]]]) -> None:
        """Expose the `(label values, value)` pairs `fn()` yields, on every
        scrape, as a `kind` ("counter" or "gauge") family. For totals the
        runtime already keeps elsewhere (bytes on the wire, restarts)."""
        if name in self._families:
            raise ValueError(f"metric {name} is already registered")
        self._families[name] = _Callback(name, help_text, kind, labelnames, fn)

    def callback_source(self, name: str) -> object | None:
        """The callable behind callback family `name` (so a collector that
        gathers several sources can be found again and extended)."""
        fam = self._families.get(name)
        return fam.fn if isinstance(fam, _Callback) else None

    def unregister(self, name: str) -> None:
        self._families.pop(name, None)

    def names(self) -> list[str]:
        return list(self._families)

    def render(self) -> str:
        """The whole registry in text exposition format 0.0.4."""
        lines: list[str] = []
        for fam in self._families.values():
            lines.append(f"# HELP {fam.name} {_escape_help(fam.help)}")
            lines.append(f"# TYPE {fam.name} {fam.kind}")
            lines.extend(fam.samples())
        return "\n".join(lines) + "\n" if lines else ""
