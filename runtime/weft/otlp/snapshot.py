"""A point-in-time view of a `weft.metrics.Registry`, read through its
public text exposition (`Registry.render()`).

Why parse text rather than walk the registry's objects: `render()` is the
registry's one public read contract, and it already covers every family
kind, including scrape-time callbacks. It runs once per export interval, not
per request, so the parse cost does not matter.

The parser accepts exactly what `render()` writes (format 0.0.4): `# HELP`
and `# TYPE` lines, then samples `name{label="value",...} number`, with
`\\`, `\n` and `\"` escapes in label values. Histograms arrive as
cumulative `_bucket{le=...}` samples plus `_sum` and `_count`; they are
turned back into per-bucket counts, which is what OTLP carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, final

from weft.metrics import Registry

__all__ = ["HistogramPoint", "MetricSnapshot", "NumberPoint", "parse_exposition", "snapshot"]

Labels = tuple[tuple[str, str], ...]

_UNESCAPE: Final = {"\\": "\\", "n": "\n", '"': '"'}


@final
@dataclass(frozen=True, slots=True)
class NumberPoint:
    """One counter or gauge series."""

    labels: Labels
    value: float


@final
@dataclass(frozen=True, slots=True)
class HistogramPoint:
    """One histogram series; `counts` has one more slot than `bounds` (+Inf)."""

    labels: Labels
    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    sum: float
    count: int


@final
@dataclass(frozen=True, slots=True)
class MetricSnapshot:
    name: str
    help: str
    kind: str  # "counter", "gauge" or "histogram"
    points: tuple[NumberPoint, ...] | tuple[HistogramPoint, ...]


def snapshot(registry: Registry) -> list[MetricSnapshot]:
    """Every family in `registry`, in registration order."""
    return parse_exposition(registry.render())


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(_UNESCAPE.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _parse_value(text: str) -> float:
    if text == "+Inf":
        return math.inf
    if text == "-Inf":
        return -math.inf
    return float(text)  # "NaN" parses as nan


def _parse_sample(line: str) -> tuple[str, Labels, float]:
    brace = line.find("{")
    if brace < 0:
        name, _, value = line.partition(" ")
        return name, (), _parse_value(value.strip())
    name = line[:brace]
    labels: list[tuple[str, str]] = []
    i = brace + 1
    while line[i] != "}":
        eq = line.index('="', i)
        key = line[i:eq]
        i = eq + 2
        chars: list[str] = []
        while line[i] != '"':
            if line[i] == "\\":
                chars.append(_UNESCAPE.get(line[i + 1], line[i + 1]))
                i += 2
            else:
                chars.append(line[i])
                i += 1
        labels.append((key, "".join(chars)))
        i += 1
        if line[i] == ",":
            i += 1
    return name, tuple(labels), _parse_value(line[i + 1:].strip())


@dataclass(slots=True)
class _HistogramBuilder:
    cumulative: list[tuple[float, int]]
    sum: float = 0.0
    count: int = 0

    def build(self, labels: Labels) -> HistogramPoint:
        ordered = sorted(self.cumulative)
        bounds = tuple(b for b, _ in ordered if not math.isinf(b))
        counts: list[int] = []
        previous = 0
        for _, running in ordered:
            counts.append(running - previous)
            previous = running
        return HistogramPoint(labels, bounds, tuple(counts), self.sum, self.count)


def _histogram_points(name: str, samples: list[tuple[str, Labels, float]]
                      ) -> tuple[HistogramPoint, ...]:
    series: dict[Labels, _HistogramBuilder] = {}
    for sample_name, labels, value in samples:
        suffix = sample_name[len(name):]
        if suffix == "_bucket":
            le = next(v for k, v in labels if k == "le")
            key = tuple((k, v) for k, v in labels if k != "le")
            builder = series.setdefault(key, _HistogramBuilder([]))
            builder.cumulative.append((_parse_value(le), int(value)))
        elif suffix == "_sum":
            series.setdefault(labels, _HistogramBuilder([])).sum = value
        elif suffix == "_count":
            series.setdefault(labels, _HistogramBuilder([])).count = int(value)
    return tuple(builder.build(labels) for labels, builder in series.items())


def parse_exposition(text: str) -> list[MetricSnapshot]:
    """Families from text format 0.0.4 as `Registry.render()` writes it."""
    families: list[tuple[str, str, str, list[tuple[str, Labels, float]]]] = []
    helps: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            name, _, rest = line[7:].partition(" ")
            helps[name] = _unescape(rest)
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            families.append((name, helps.get(name, ""), kind.strip(), []))
        elif not line.startswith("#") and families:
            families[-1][3].append(_parse_sample(line))
    out: list[MetricSnapshot] = []
    for name, help_text, kind, samples in families:
        if kind == "histogram":
            out.append(MetricSnapshot(name, help_text, kind, _histogram_points(name, samples)))
        else:
            points = tuple(NumberPoint(labels, value) for _, labels, value in samples)
            out.append(MetricSnapshot(name, help_text, kind, points))
    return out
