"""Overload benchmark: goodput and admitted tail latency at twice capacity,
with and without weft's overload layers.

    python bench/overload/run.py              # ~6 min; writes results.json and RESULTS.md
    python bench/overload/run.py --quick      # ~1 min smoke of the whole pipeline

1. Capacity (`capacity.py`): the unprotected server's unloaded p99 at a low
   rate, then an open-loop search, with the same generator as the overload
   runs, for the highest rate it sustains (>= 99.9 % answered 2xx, admitted
   p99 within 5x unloaded). Every step runs on a fresh server.
2. Per configuration (`codel_shed`, `shed`, `codel`, `codel_deep`, `none`;
   see app.py): an open-loop run at a quarter of capacity gives the unloaded
   p99, then an open-loop run at twice capacity gives goodput, admitted p99
   and the share shed.
3. A closing step at the capacity rate on a fresh unprotected server shows
   whether the machine's speed drifted during the run.

Every number is from the same run on the same machine; the verdicts are
ratios (p99 under overload / unloaded p99, goodput / capacity).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.http1 import procs as proc_stats
from bench.http1.idle_conns import raise_nofile
from bench.overload import capacity, procs, report
from bench.results_md import replace_section

HERE = Path(__file__).resolve().parent
# A run counts only if other processes took at most this share of the
# server's core over it; otherwise it is repeated after a pause.
MAX_OTHERS = 0.05
RETRY_PAUSE_S = 10.0
#: offered load of the saturation measurement, as a multiple of the knee
SATURATION_FACTOR = 3.0
CONFIGS = ("codel_shed", "shed", "codel", "codel_deep", "none")


def _layer_args(args: argparse.Namespace) -> dict[str, Any]:
    return {"work_ms": args.work_ms, "limit": args.limit, "target_ms": args.target_ms,
            "interval_ms": args.interval_ms, "queue": args.queue}


def measured(served: procs.Served, rate: float, seconds: float,
             args: argparse.Namespace) -> dict[str, Any]:
    """One open-loop run against `served`, with how the server's core was used."""
    pids = proc_stats.tree_pids(served.pid)
    cpu0 = proc_stats.cpu_seconds(pids)
    idle0, total0 = procs.core_times(procs.SERVER_CPU)
    wall0 = time.monotonic()
    summary: dict[str, Any] = dict(procs.open_loop(
        served.port, rate, seconds, deadline=args.deadline, max_conns=args.max_conns))
    used = proc_stats.cpu_seconds(pids) - cpu0
    idle1, total1 = procs.core_times(procs.SERVER_CPU)
    window = time.monotonic() - wall0
    # The server's CPU seconds per second of load (1.0 = its whole core); it
    # is idle before the schedule starts, so the generator's start-up is left
    # out. Over the whole window: the share of the core that ran nothing, and
    # the share that other processes took (busy time the server did not use).
    load = time.time() - float(summary["started_unix"])
    summary["server_cpu"] = round(used / load, 2) if load > 0 else None
    ticks = total1 - total0
    busy = (ticks - (idle1 - idle0)) / procs.CLK_TCK
    summary["server_core_idle"] = round((idle1 - idle0) / ticks, 2) if ticks else None
    summary["server_core_others"] = round(max(0.0, busy - used) / window, 2)
    return summary


def uncontended(attempt: Callable[[], dict[str, Any]], tries: int,
                others: Callable[[dict[str, Any]], float]) -> tuple[dict[str, Any], int]:
    """Run `attempt` until other processes took at most `MAX_OTHERS` of the
    server's core (at most `tries` times; else the least disturbed run).

    The machine is shared: a run during which another process held the
    server's core measures that process, not the server. Whether a run is
    repeated depends only on that share, never on the run's own results."""
    best: dict[str, Any] | None = None
    for i in range(1, tries + 1):
        out = attempt()
        if best is None or others(out) < others(best):
            best = out
        if others(out) <= MAX_OTHERS:
            return out, i
        print(f"  other processes took {others(out):.0%} of the server's core; "
              f"{'again' if i < tries else 'keeping the least disturbed run'}", flush=True)
        if i < tries:
            time.sleep(RETRY_PAUSE_S)
    assert best is not None
    return best, tries


def _others(summary: dict[str, Any]) -> float:
    return float(summary["server_core_others"])


def find_capacity(args: argparse.Namespace, log: Path) -> tuple[int, dict[str, Any]]:
    """Calibrate the handler's work, then search the unprotected server's capacity."""
    layer_args = _layer_args(args)
    unloaded_rps = args.unloaded_share / (args.work_ms / 1000)
    rounds = args.rounds

    def step(rate: float) -> dict[str, Any]:
        nonlocal rounds
        with procs.serving("none", log=log, rounds=rounds, **layer_args) as s:
            rounds = s.rounds  # the first server calibrates; the rest reuse it
            return measured(s, rate, args.step_s, args)

    unloaded, _ = uncontended(lambda: step(unloaded_rps), args.tries, _others)
    p99 = unloaded["latency_ok_ms"]["p99"]
    if p99 is None:
        raise SystemExit(f"no request succeeded at {unloaded_rps:.0f} req/s: {unloaded}")
    bound = report.P99_LIMIT * float(p99)

    def measure(rate: float) -> dict[str, Any]:
        out, _ = uncontended(lambda: step(rate), args.tries, _others)
        print(f"  capacity step {rate:.0f} req/s: ok {out['ok']}/{out['scheduled']}, "
              f"p99 {out['latency_ok_ms']['p99']} ms (bound {bound:.1f}), "
              f"cpu {out['server_cpu']}, others {out['server_core_others']}", flush=True)
        return out

    start = args.search_start or 0.5 / (args.work_ms / 1000)
    found = capacity.search(measure, start, bound, resolution=args.resolution)
    peak = saturation(args, rounds, found.capacity_rps, log)
    return rounds, {
        "rps": max(found.capacity_rps, peak["goodput_rps"]),
        "knee_rps": found.capacity_rps,
        "peak_rps": peak["goodput_rps"],
        "peak": peak,
        "first_failed_rps": found.first_failed_rps,
        "max_goodput_rps": max(s.goodput_rps for s in found.steps),
        "unloaded_rps": round(unloaded_rps, 1),
        "unloaded_p99_ms": p99,
        "unloaded_others": unloaded["server_core_others"],
        "p99_bound_ms": round(bound, 3),
        "step_s": args.step_s,
        "resolution": args.resolution,
        "steps": [asdict(s) for s in found.steps],
    }


def saturation(args: argparse.Namespace, rounds: int, knee: float,
               log: Path) -> dict[str, Any]:
    """The server's service rate: what it completes per second when offered
    `SATURATION_FACTOR` x the knee for two search steps, behind a concurrency
    limit and a shedder (the `shed` configuration) so that its queue cannot
    grow and it neither idles nor drowns."""
    def attempt() -> dict[str, Any]:
        with procs.serving("shed", log=log, rounds=rounds, **_layer_args(args)) as s:
            return measured(s, knee * SATURATION_FACTOR, 2 * args.step_s, args)

    out, _ = uncontended(attempt, args.tries, _others)
    print(f"  saturation at {knee * SATURATION_FACTOR:.0f} req/s offered: goodput "
          f"{out['goodput_rps']}/s, cpu {out['server_cpu']}", flush=True)
    return {"offered_rps": round(knee * SATURATION_FACTOR, 1),
            "goodput_rps": float(out["goodput_rps"]), "server_cpu": out["server_cpu"],
            "others": out["server_core_others"]}


def run_config(name: str, rounds: int, rps: float, knee: float, args: argparse.Namespace,
               log: Path) -> dict[str, Any]:
    """The service rate measured again (the machine's speed drifts over
    minutes, so each configuration gets a reference from its own minute),
    then unloaded and 2x runs of the configuration on one fresh server."""
    service = saturation(args, rounds, knee, log)
    with procs.serving(name, log=log, rounds=rounds, **_layer_args(args)) as served:
        base = measured(served, rps * args.baseline_share, args.baseline_s, args)
        over = measured(served, rps * args.factor, args.duration, args)
    return {"service": service, "baseline": base, "overload": over}


def benchmark(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    layer_args = _layer_args(args)
    loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rounds, cap = find_capacity(args, log_dir / "capacity.log")
    rps = float(cap["rps"])
    print(f"capacity {rps:.0f} req/s (first failed {cap['first_failed_rps']}, "
          f"{len(cap['steps'])} steps, rounds {rounds})", flush=True)
    configs: dict[str, Any] = {}
    for name in args.configs:
        # Every configuration does the same work: the calibration above.
        cfg, tries = uncontended(
            partial(run_config, name, rounds, rps, float(cap["knee_rps"]), args,
                    log_dir / f"{name}.log"),
            args.tries, lambda c: max(_others(c["baseline"]), _others(c["overload"])))
        cfg["tries"] = tries
        configs[name] = cfg
        print(f"{name}: goodput {cfg['overload']['goodput_rps']}/s (others "
              f"{cfg['overload']['server_core_others']}, try {tries})", flush=True)
    for name, cfg in configs.items():
        reference = cfg["reference_rps"] = round(report.own_reference_rps(cfg), 1)
        cfg["verdict"] = report.verdict(cfg, reference)
        print(f"{name}: {json.dumps(cfg['verdict'])} against {reference} req/s", flush=True)
    knee = float(cap["knee_rps"])
    recheck, _ = uncontended(lambda: measured_none(rounds, knee, args, log_dir), args.tries,
                             _others)
    cap["recheck"] = asdict(capacity.judge(knee, recheck, float(cap["p99_bound_ms"])))
    print(f"knee recheck at {knee:.0f} req/s: {cap['recheck']}", flush=True)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "loadavg": loadavg,
        "loadavg_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "settings": {**layer_args, "rounds": rounds, "deadline_s": args.deadline,
                     "duration_s": args.duration, "baseline_s": args.baseline_s,
                     "baseline_share": args.baseline_share, "overload_factor": args.factor,
                     "overload_rps": round(rps * args.factor, 1),
                     "max_conns": args.max_conns, "server_cpu": procs.SERVER_CPU,
                     "client_cpu": procs.CLIENT_CPU, "max_others": MAX_OTHERS,
                     "tries": args.tries},
        "capacity": cap,
        "configs": configs,
    }


def measured_none(rounds: int, rate: float, args: argparse.Namespace,
                  log_dir: Path) -> dict[str, Any]:
    """One step at `rate` on a fresh unprotected server."""
    with procs.serving("none", log=log_dir / "capacity.log", rounds=rounds,
                       **_layer_args(args)) as served:
        return measured(served, rate, args.step_s, args)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="short runs (pipeline smoke)")
    p.add_argument("--configs", default=",".join(CONFIGS),
                   help="comma-separated, run in this order (default: all)")
    p.add_argument("--work-ms", type=float, default=1.0)
    p.add_argument("--rounds", type=int, default=0,
                   help="SHA-256 rounds per request (0: calibrate to --work-ms)")
    p.add_argument("--limit", type=int, default=2, help="permits (ConcurrencyLimit, CoDel)")
    p.add_argument("--target-ms", type=float, default=2.5, help="CoDel target")
    p.add_argument("--interval-ms", type=float, default=50.0, help="CoDel interval")
    p.add_argument("--queue", type=int, default=16, help="CoDel queue bound (codel)")
    p.add_argument("--factor", type=float, default=2.0, help="overload, x capacity")
    p.add_argument("--duration", type=float, help="overload seconds (default 30, quick 3)")
    p.add_argument("--baseline-s", type=float, help="unloaded seconds (default 8, quick 2)")
    p.add_argument("--baseline-share", type=float, default=0.25)
    p.add_argument("--step-s", type=float, help="capacity search step (default 5, quick 1.5)")
    p.add_argument("--resolution", type=float,
                   help="capacity search resolution, relative (default 0.03, quick 0.1)")
    p.add_argument("--search-start", type=float, default=0.0,
                   help="first rate of the search (0: half of 1/work)")
    p.add_argument("--unloaded-share", type=float, default=0.1,
                   help="the search's unloaded rate, as a share of 1/work")
    p.add_argument("--deadline", type=float, default=2.0, help="client timeout, seconds")
    p.add_argument("--max-conns", type=int, default=1000)
    p.add_argument("--tries", type=int, default=4,
                   help="runs of a measurement while others hold the server's core")
    p.add_argument("--out-json", type=Path, default=HERE / "results.json")
    p.add_argument("--results-md", type=Path, default=HERE.parent / "RESULTS.md")
    args = p.parse_args(argv)
    args.configs = [c.strip() for c in str(args.configs).split(",") if c.strip()]
    args.duration = args.duration or (3.0 if args.quick else 30.0)
    args.baseline_s = args.baseline_s or (2.0 if args.quick else 8.0)
    args.step_s = args.step_s or (1.5 if args.quick else 5.0)
    args.resolution = args.resolution or (0.1 if args.quick else 0.03)
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Unwind through every `finally`, so the server tree is killed.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown or not args.configs:
        print(f"unknown configuration(s) {unknown}; choose from {', '.join(CONFIGS)}",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    raise_nofile()
    with tempfile.TemporaryDirectory(prefix="weft-overload-") as tmp:
        results = benchmark(args, Path(tmp))
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(results, indent=2) + "\n")
    section = report.render(results)
    replace_section(section, report.BEGIN, report.END, args.results_md)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
