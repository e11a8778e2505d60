"""The overload section of bench/RESULTS.md, rendered from results.json."""

from __future__ import annotations

from typing import Any

BEGIN = "<!-- overload:begin -->"
END = "<!-- overload:end -->"
P99_LIMIT = 5.0  # admitted p99 under overload / unloaded p99
GOODPUT_FLOOR = 0.9  # goodput under overload / capacity

NAMES = {
    "none": "no layers",
    "shed": "LoadShed + ConcurrencyLimit",
    "codel": "CoDel, bounded queue",
    "codel_shed": "CoDel + LoadShed",
    "codel_deep": "CoDel, default queue (1024)",
}


def verdict(cfg: dict[str, Any], capacity: float) -> dict[str, Any]:
    """Same-run ratios: admitted p99 against the unloaded p99, goodput against capacity."""
    base = cfg["baseline"]["latency_ok_ms"]["p99"]
    over = cfg["overload"]["latency_ok_ms"]["p99"]
    ratio = None if not base or over is None else round(over / base, 2)
    share = round(float(cfg["overload"]["goodput_rps"]) / capacity, 3) if capacity else None
    meets = ratio is not None and share is not None and ratio < P99_LIMIT \
        and share >= GOODPUT_FLOOR
    return {"p99_ratio": ratio, "goodput_share": share, "meets_target": meets}


def _fmt(v: object, suffix: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}{suffix}"
    return f"{v}{suffix}"


def _pct(v: object) -> str:
    return f"{v:.0%}" if isinstance(v, float) else "-"


def render(results: dict[str, Any]) -> str:
    s = results["settings"]
    cap = results["capacity"]
    lines = [
        BEGIN,
        "## Overload: goodput and tail latency at twice capacity",
        "",
        f"`python bench/overload/run.py` ({results['date']}; {results['machine']}). "
        f"Server on core {s['server_cpu']}, open-loop generator on core {s['client_cpu']}. "
        f"Handler: one await, then ~{s['work_ms']} ms of CPU ({s['rounds']} SHA-256 rounds). "
        f"Capacity = best wrk (closed-loop) rate of the unprotected server over "
        f"{', '.join(str(c) for c in cap['by_connections'])} connections: "
        f"**{cap['rps']:,.0f} req/s**. Then, per configuration, an open-loop run at "
        f"{s['baseline_share']:.0%} of capacity for {s['baseline_s']} s (the unloaded p99) "
        f"and one at **{s['overload_factor']:g}x capacity ({s['overload_rps']:,.0f} req/s) "
        f"for {s['duration_s']} s**. Clients give up after {s['deadline_s']} s "
        f"(at most {s['max_conns']} connections); latency counts from each request's "
        f"scheduled time. Load average before the run: {results['loadavg']}.",
        "",
        "| configuration | unloaded p99 | goodput at 2x | goodput / capacity | admitted p50 | "
        "admitted p99 | p99 / unloaded | shed (503) | timed out | server CPU | target met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for name, cfg in results["configs"].items():
        v = cfg["verdict"]
        o = cfg["overload"]
        n = max(1, int(o["scheduled"]))
        lines.append(
            f"| {NAMES.get(name, name)} | {_fmt(cfg['baseline']['latency_ok_ms']['p99'], ' ms')} "
            f"| {_fmt(float(o['goodput_rps']), '/s')} | {_pct(v['goodput_share'])} "
            f"| {_fmt(o['latency_ok_ms']['p50'], ' ms')} | {_fmt(o['latency_ok_ms']['p99'], ' ms')} "
            f"| {_fmt(v['p99_ratio'], 'x')} | {o['shed'] / n:.1%} | {o['timeouts'] / n:.1%} "
            f"| {o.get('server_cpu_share', '-')} | {'yes' if v['meets_target'] else 'no'} |")
    lines += [
        "",
        f"Target: admitted p99 under {P99_LIMIT:g}x the unloaded p99 and goodput at least "
        f"{GOODPUT_FLOOR:.0%} of capacity. \"server CPU\" is the server's CPU seconds "
        "per second during the 2x run (1.0 = its whole core; less means other processes "
        f"took part of it). Settings: ConcurrencyLimit {s['limit']} permits; "
        f"CoDel {s['limit']} permits, target {s['target_ms']} ms, interval "
        f"{s['interval_ms']} ms, queue bound {s['queue']} (bounded) or 1024 (default). "
        "Raw summaries: `bench/overload/results.json`.",
        END,
    ]
    return "\n".join(lines)
