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


def own_reference_rps(cfg: dict[str, Any]) -> float:
    """A configuration's goodput yardstick, from its own minute: the service
    rate measured just before its runs, or its own goodput at 2x if that is
    higher (so it can never score above 100%)."""
    return max(float(cfg["service"]["goodput_rps"]), float(cfg["overload"]["goodput_rps"]))


def verdict(cfg: dict[str, Any], capacity: float) -> dict[str, Any]:
    """Same-run ratios: admitted p99 against the unloaded p99, goodput against
    `capacity` (the configuration's `own_reference_rps`)."""
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


def _two(v: object) -> str:
    return f"{v:.2f}" if isinstance(v, float) else "-"


def _tries(n: object) -> str:
    return f" (try {n})" if isinstance(n, int) and n > 1 else ""


def _best(configs: dict[str, Any]) -> str:
    name, cfg = max(configs.items(), key=lambda kv: float(kv[1]["overload"]["goodput_rps"]))
    return f"{float(cfg['overload']['goodput_rps']):,.0f}/s ({NAMES.get(name, name)})"


def _pct(v: object) -> str:
    return f"{v:.0%}" if isinstance(v, float) else "-"


def _steps(steps: list[dict[str, Any]]) -> str:
    return ", ".join(f"{st['rate']:,.0f}/{_fmt(st['p99_ms'])}/{'y' if st['sustained'] else 'n'}"
                     for st in steps)


def _recheck(step: dict[str, Any] | None) -> str:
    if step is None:
        return "not run"
    verdict = "sustained" if step["sustained"] else "not sustained"
    return (f"{verdict} (goodput {step['goodput_rps']:,.0f}/s, "
            f"p99 {_fmt(step['p99_ms'], ' ms')})")


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
        f"**Capacity = {cap['rps']:,.0f} req/s**, the larger of the server's service rate "
        f"({_fmt(cap.get('peak_rps'), ' req/s')}: its goodput when offered "
        f"{_fmt((cap.get('peak') or {}).get('offered_rps'), ' req/s')} behind "
        "ConcurrencyLimit + LoadShed, which keep its queue from growing) and the knee "
        f"({_fmt(cap.get('knee_rps', cap['rps']), ' req/s')}: the highest open-loop rate the "
        f"unprotected server sustained for {cap['step_s']:g} s (>= 99.9% answered 2xx, "
        "admitted p99 at most "
        f"{P99_LIMIT:g}x its unloaded p99 of {cap['unloaded_p99_ms']} ms at "
        f"{cap['unloaded_rps']:,.0f} req/s), found by growing the rate 1.25x per step, then "
        f"bisecting to {cap['resolution']:.0%}; first failed rate "
        f"{_fmt(cap['first_failed_rps'], ' req/s')}; steps (req/s, p99 ms, sustained): "
        f"{_steps(cap['steps'])}). "
        f"A closing step at the knee after the configurations: {_recheck(cap.get('recheck'))}. "
        f"Then, per configuration, an open-loop run at "
        f"{s['baseline_share']:.0%} of capacity for {s['baseline_s']} s (the unloaded p99) "
        f"and one at **{s['overload_factor']:g}x capacity ({s['overload_rps']:,.0f} req/s) "
        f"for {s['duration_s']} s**. Clients give up after {s['deadline_s']} s "
        f"(at most {s['max_conns']} connections); latency counts from each request's "
        f"scheduled time. Load average before / after the run: {results['loadavg']} / "
        f"{results.get('loadavg_end', '-')}.",
        "",
        "| configuration | unloaded p99 | service rate (same minute) | goodput at 2x | "
        "goodput / reference | admitted p50 | "
        "admitted p99 | p99 / unloaded | shed (503) | timed out | server CPU | "
        "core to others | target met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for name, cfg in results["configs"].items():
        v = cfg["verdict"]
        o = cfg["overload"]
        n = max(1, int(o["scheduled"]))
        lines.append(
            f"| {NAMES.get(name, name)} | {_fmt(cfg['baseline']['latency_ok_ms']['p99'], ' ms')} "
            f"| {_fmt((cfg.get('service') or {}).get('goodput_rps'), '/s')} "
            f"| {_fmt(float(o['goodput_rps']), '/s')} | {_pct(v['goodput_share'])} "
            f"| {_fmt(o['latency_ok_ms']['p50'], ' ms')} | {_fmt(o['latency_ok_ms']['p99'], ' ms')} "
            f"| {_fmt(v['p99_ratio'], 'x')} | {o['shed'] / n:.1%} | {o['timeouts'] / n:.1%} "
            f"| {_two(o.get('server_cpu'))} | {_two(o.get('server_core_others'))}"
            f"{_tries(cfg.get('tries'))} "
            f"| {'yes' if v['meets_target'] else 'no'} |")
    lines += [
        "",
        f"Highest goodput of any configuration at 2x: {_best(results['configs'])}. "
        "**Goodput reference, per configuration**: its service rate measured in the same "
        "minute (a saturation step on a fresh server just before its runs: goodput when "
        "offered 3x the knee behind ConcurrencyLimit + LoadShed), or its own goodput at 2x "
        "if higher. The machine's speed drifts over minutes, so a reference measured once "
        "at the start would judge later configurations against a rate the machine no "
        "longer has. "
        f"Target: admitted p99 under {P99_LIMIT:g}x the unloaded p99 and goodput at least "
        f"{GOODPUT_FLOOR:.0%} of the reference. \"server CPU\" is the server's CPU seconds "
        "per second during the 2x run (1.0 = its whole core); \"core to others\" is the "
        "share of its core that other processes of the shared machine took meanwhile. "
        f"A measurement with more than {s.get('max_others', 0.05):.0%} to others is "
        f"repeated after a pause (at most {s.get('tries', 1)} tries; the choice never "
        "looks at the results). "
        f"Settings: {s['limit']} permit(s) for ConcurrencyLimit and CoDel; "
        f"CoDel target {s['target_ms']:g} ms, interval {s['interval_ms']:g} ms; queue bound "
        f"{s['queue']} (`codel`), 1024 (`codel_deep`, the default); `codel_shed` is "
        "`LoadShedLayer.default()` over CoDel: refused at the door when CoDel predicts a "
        "wait of at least its target. Raw summaries: `bench/overload/results.json`.",
        END,
    ]
    return "\n".join(lines)
