"""From raw runs to medians, ratios, target verdicts and the RESULTS.md section.

Everything here is a pure function of the results dictionary that run.py
builds (and writes to results.json), so the report can be regenerated and
tested without running a server.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BEGIN = "<!-- http1:begin -->"
END = "<!-- http1:end -->"

# wrk at or above this share of its core could not have offered more load.
CLIENT_BOUND = 0.95
# Other processes using more than this many cores' worth make a row suspect.
NOISY = 0.10


@dataclass(frozen=True, slots=True)
class Workload:
    key: str
    label: str
    connections: int
    pipeline: bool


WORKLOADS = (
    Workload("c1", "1 connection", 1, False),
    Workload("c64", "64 connections", 64, False),
    Workload("c64p16", "64 connections, 16-deep pipelining", 64, True),
)
_WRK_FIELDS = ("rps", "p50_ms", "p99_ms", "client_cpu", "server_cpu", "other_cpu", "steal_cpu")

# results.json is JSON: nested str-keyed dicts of numbers and strings.
Json = dict[str, Any]


def _median(values: list[float | None]) -> float | None:
    """Median of the values present (wrk may have printed no percentile)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def medians(runs: list[Json]) -> Json:
    """Per-workload medians over `runs` (each: workload key -> wrk numbers, plus `idle`)."""
    out: Json = {}
    for w in WORKLOADS:
        samples = [r[w.key] for r in runs if w.key in r]
        if samples:
            entry: Json = {f: _median([s[f] for s in samples]) for f in _WRK_FIELDS}
            entry["errors"] = sum(int(s["errors"]) for s in samples)
            entry["client_bound"] = entry["client_cpu"] >= CLIENT_BOUND
            entry["noisy"] = entry["other_cpu"] > NOISY
            # Server CPU per request: robust to stolen time, unlike req/s.
            entry["cpu_us_per_req"] = statistics.median(
                s["server_cpu"] / s["rps"] * 1e6 for s in samples if s["rps"])
            out[w.key] = entry
    idle = [r["idle"] for r in runs if "idle" in r]
    if idle:
        out["idle"] = {
            "kib_per_conn": statistics.median(i["kib_per_conn"] for i in idle),
            "conns": idle[0]["conns"],
            "min_still_open": min(i["still_open"] for i in idle),
            "pids": max(i["pids"] for i in idle),
        }
    return out


def _metric(med: Json, key: str) -> float | None:
    """A headline number by name: `<workload>_rps`, `c1_p50_ms` or `idle_kib`."""
    if key == "idle_kib":
        return float(med["idle"]["kib_per_conn"]) if "idle" in med else None
    workload, _, field = key.partition("_")
    entry = med.get(workload)
    value = None if entry is None else entry[field]
    return None if value is None else float(value)


RATIO_KEYS = ("c1_rps", "c1_p50_ms", "c64_rps", "c64p16_rps", "idle_kib")


def ratios(all_medians: dict[str, Json], subject: str) -> dict[str, dict[str, float | None]]:
    """`subject`'s numbers divided by each other server's, per headline metric."""
    mine = all_medians.get(subject)
    out: dict[str, dict[str, float | None]] = {}
    if not mine:
        return out
    for peer, theirs in all_medians.items():
        if peer == subject or not theirs:
            continue
        row: dict[str, float | None] = {}
        for key in RATIO_KEYS:
            a, b = _metric(mine, key), _metric(theirs, key)
            row[key] = a / b if a is not None and b else None
        out[peer] = row
    return out


@dataclass(frozen=True, slots=True)
class Target:
    text: str
    goal: float
    at_most: bool  # True: measured must be <= goal; False: >= goal
    measure: Callable[[dict[str, Json]], float | None]


def _ratio(subject: str, key: str, peers: tuple[str, ...]) -> Callable[[dict[str, Json]], float | None]:
    """subject's metric over the best (highest) of `peers`' values for it."""
    def measure(m: dict[str, Json]) -> float | None:
        mine = _metric(m[subject], key) if m.get(subject) else None
        theirs = [v for p in peers if m.get(p) and (v := _metric(m[p], key))]
        return mine / max(theirs) if mine is not None and theirs else None
    return measure


def _absolute(subject: str, key: str) -> Callable[[dict[str, Json]], float | None]:
    def measure(m: dict[str, Json]) -> float | None:
        return _metric(m[subject], key) if m.get(subject) else None
    return measure


TARGETS = (
    Target("64 connections: weft / uvicorn raw ASGI req/s", 1.6, False,
           _ratio("weft", "c64_rps", ("uvicorn",))),
    Target("64 connections: weft / granian RSGI req/s", 1.4, False,
           _ratio("weft", "c64_rps", ("granian_rsgi",))),
    Target("16-deep pipelining: weft req/s", 180_000, False, _absolute("weft", "c64p16_rps")),
    Target("16-deep pipelining: weft / best granian (ASGI or RSGI) req/s", 2.5, False,
           _ratio("weft", "c64p16_rps", ("granian_rsgi", "granian_asgi"))),
    Target("idle keep-alive memory: weft KiB per connection", 4.0, True,
           _absolute("weft", "idle_kib")),
    Target("1 connection p50: weft / minimal protocol", 1.15, True,
           _ratio("weft", "c1_p50_ms", ("minimal",))),
)


def evaluate_targets(all_medians: dict[str, Json]) -> list[Json]:
    out: list[Json] = []
    for t in TARGETS:
        value = t.measure(all_medians)
        met = None if value is None else (value <= t.goal if t.at_most else value >= t.goal)
        out.append({"text": t.text, "goal": t.goal, "at_most": t.at_most,
                    "measured": value, "met": met})
    return out


# ---------------------------------------------------------------- markdown

def _num(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def _cell_rps(entry: Json | None) -> str:
    if entry is None:
        return "n/a"
    mark = (" ‡" if entry["client_bound"] else "") + (" §" if entry["noisy"] else "")
    err = f" ({entry['errors']} errors)" if entry["errors"] else ""
    return f"{entry['rps']:,.0f}{mark}{err}"


def render(results: Json) -> str:
    """The HTTP/1.1 section of RESULTS.md, markers included."""
    cfg, machine, servers = results["config"], results["machine"], results["servers"]
    lines = [BEGIN, "## HTTP/1.1", "",
             f"_Generated by `bench/http1/run.py` at {results['generated']}; do not edit by hand. "
             "Method and caveats: [bench/http1/README.md](http1/README.md)._", ""]
    if cfg["quick"]:
        lines += ["**Quick mode: a smoke run, not a measurement.**", ""]
    noise = [e["other_cpu"] for s in servers.values() for k, e in s.get("median", {}).items()
             if k != "idle"]
    if noise and statistics.median(noise) > NOISY:
        lines += [f"**Noisy run: other processes used a median {statistics.median(noise):.2f} "
                  "cores during the measurements**, so the servers got only part of their core "
                  "and req/s are depressed and uneven; ratios are indicative only. Server CPU "
                  "per request (below) depends least on that.", ""]
    lines += [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, Linux {machine['kernel']}, "
        f"Python {machine['python']}, {machine['wrk']}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items()) + ".",
        "",
        f"Each server pinned to core {cfg['server_cpu']} (`taskset`), wrk (1 thread) to core "
        f"{cfg['client_cpu']}; {cfg['duration_s']} s per run after {cfg['warmup_s']} s warm-up "
        f"at 64 connections; each server restarted for every run; median of {cfg['runs']} runs. "
        f"Idle memory: {cfg['idle_conns']} keep-alive connections after one request each, "
        "server RSS delta (summed over its processes) per connection.",
        "",
        "| server | 1 conn req/s | 1 conn p50 ms | 64 conns req/s | 64 conns, 16-deep pipelining req/s "
        "| idle KiB/conn |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    measured = {n: s for n, s in servers.items() if s.get("median")}
    for _name, s in measured.items():
        med = s["median"]
        c1 = med.get("c1")
        idle = med.get("idle")
        idle_cell = _num(idle["kib_per_conn"] if idle else None, 1)
        if idle and idle["min_still_open"] < idle["conns"]:
            idle_cell += f" (server kept only {idle['min_still_open']}/{idle['conns']} open)"
        lines.append(
            f"| {s['label']} | {_cell_rps(c1)} | {_num(c1.get('p50_ms') if c1 else None, 3)} | "
            f"{_cell_rps(med.get('c64'))} | {_cell_rps(med.get('c64p16'))} | "
            f"{idle_cell} |")
    lines += ["", f"‡ client-bound: wrk used ≥ {CLIENT_BOUND:.0%} of its core, so the server may "
              "be faster than shown. § noisy: other processes used more than "
              f"{NOISY:.0%} of a core during the run.", "",
              "### CPU use",
              "",
              "Median share of one core used by wrk / the server / everything else, and the "
              "server's CPU time per request (µs; lower is better, and unlike req/s it does not "
              "depend on how much CPU the server got).", "",
              "| server | " + " | ".join(w.label for w in WORKLOADS) + " |",
              "|---|" + "--:|" * len(WORKLOADS)]
    for s in measured.values():
        cells = []
        for w in WORKLOADS:
            e = s["median"].get(w.key)
            cells.append("n/a" if e is None else
                         f"{e['client_cpu']:.0%} / {e['server_cpu']:.0%} / {e['other_cpu']:.0%}"
                         f", {e['cpu_us_per_req']:.1f} µs")
        lines.append(f"| {s['label']} | " + " | ".join(cells) + " |")
    for subject, table in results["ratios"].items():
        if not table:
            continue
        lines += ["", f"### Ratios: {servers[subject]['label']} ÷ peer",
                  "(> 1 is better for req/s; < 1 is better for p50 and memory)", "",
                  "| peer | 1 conn req/s | 1 conn p50 | 64 conns req/s | pipelined req/s "
                  "| idle KiB/conn |", "|---|--:|--:|--:|--:|--:|"]
        for peer, row in table.items():
            lines.append(f"| {servers[peer]['label']} | "
                         + " | ".join(_num(row[k], 2) for k in RATIO_KEYS) + " |")
    lines += ["", "### Targets (issue 3)", ""]
    for t in results["targets"]:
        box = {True: "met", False: "**not met**", None: "not measured"}[t["met"]]
        sign = "≤" if t["at_most"] else "≥"
        digits = 0 if t["goal"] >= 100 else 2
        lines.append(f"- {t['text']} {sign} {_num(t['goal'], digits)}: "
                     f"measured {_num(t['measured'], digits)} — {box}")
    skipped = {n: s for n, s in servers.items() if not s.get("median")}
    if skipped:
        lines += ["", "### Not measured", ""]
        lines += [f"- {s['label']}: {s.get('reason') or 'no successful run'}"
                  for s in skipped.values()]
    failures = [(s["label"], f) for s in servers.values() for f in s.get("failures", [])]
    if failures:
        lines += ["", "### Failed runs", ""]
        lines += [f"- {label}: {f}" for label, f in failures]
    lines += ["", "### Responses (bytes on the wire for `GET /`)", "",
              "| server | bytes | header names |", "|---|--:|---|"]
    for s in measured.values():
        r = s.get("response") or {}
        lines.append(f"| {s['label']} | {r.get('bytes', 'n/a')} | {', '.join(r.get('headers', []))} |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def splice(document: str, section: str) -> str:
    """Replace the text between the http1 markers in `document` with `section`.

    A document without the markers gets the section appended, so other
    benchmarks' sections are never touched.
    """
    start, end = document.find(BEGIN), document.find(END)
    if start == -1 or end == -1 or end < start:
        sep = "" if not document or document.endswith("\n\n") else (
            "\n" if document.endswith("\n") else "\n\n")
        return document + sep + section
    tail = document[end + len(END):]
    return document[:start] + section.rstrip("\n") + tail
