"""Overload benchmark: goodput and admitted tail latency at twice capacity,
with and without weft's overload layers.

    python bench/overload/run.py              # ~4 min; writes results.json and RESULTS.md
    python bench/overload/run.py --quick      # ~30 s smoke of the whole pipeline

1. Capacity: wrk (closed-loop) against the unprotected server at a few
   connection counts; the best 2xx rate.
2. Per configuration (`none`, `shed`, `codel`, `codel_shed`, `codel_deep`; see app.py): an open-loop
   run at a quarter of capacity gives the unloaded p99, then an open-loop
   run at twice capacity gives goodput, admitted p99 and the share shed.

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
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.http1 import procs as proc_stats
from bench.http1 import wrkrun
from bench.http1.idle_conns import raise_nofile
from bench.overload import procs, report
from bench.results_md import replace_section

HERE = Path(__file__).resolve().parent
CONFIGS = ("none", "shed", "codel", "codel_shed", "codel_deep")


def capacity(port: int, connections: tuple[int, ...], seconds: int) -> dict[str, Any]:
    url = f"http://{procs.HOST}:{port}/"
    wrkrun.run(url, connections[0], 1, cpu=procs.CLIENT_CPU)  # warm-up
    by: dict[str, float] = {}
    for c in connections:
        r = wrkrun.run(url, c, seconds, cpu=procs.CLIENT_CPU)
        ok_share = 1.0 - r.errors / r.requests if r.requests else 0.0
        by[str(c)] = round(r.requests_per_s * ok_share, 1)
    return {"rps": max(by.values()), "by_connections": by}


def benchmark(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    layer_args = {"work_ms": args.work_ms, "limit": args.limit, "target_ms": args.target_ms,
                  "interval_ms": args.interval_ms, "queue": args.queue}
    conns = (2, 8, 32)
    configs: dict[str, Any] = {}
    cap: dict[str, Any] = {}
    rounds = 0
    for name in args.configs:
        # Every configuration does the same work: the first server's calibration.
        with procs.serving(name, log=log_dir / f"{name}.log", rounds=rounds,
                           **layer_args) as served:
            rounds = served.rounds
            if not cap:
                if name != "none":
                    raise SystemExit("the first configuration must be `none` (capacity)")
                cap = capacity(served.port, conns, args.capacity_s)
                print(f"capacity {cap['rps']:.0f} req/s {cap['by_connections']}", flush=True)
            run = {"deadline": args.deadline, "max_conns": args.max_conns}
            base = procs.open_loop(served.port, cap["rps"] * args.baseline_share,
                                   args.baseline_s, **run)
            pids = proc_stats.tree_pids(served.pid)
            cpu0, wall0 = proc_stats.cpu_seconds(pids), time.monotonic()
            over = procs.open_loop(served.port, cap["rps"] * args.factor, args.duration, **run)
            # Under 2x load the server should use its whole core; much less
            # means other processes took it (the shared machine's noise).
            over["server_cpu_share"] = round(
                (proc_stats.cpu_seconds(pids) - cpu0) / (time.monotonic() - wall0), 2)
        configs[name] = {"baseline": base, "overload": over}
        configs[name]["verdict"] = report.verdict(configs[name], cap["rps"])
        print(f"{name}: {json.dumps(configs[name]['verdict'])}", flush=True)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "settings": {**layer_args, "rounds": rounds, "deadline_s": args.deadline,
                     "duration_s": args.duration, "baseline_s": args.baseline_s,
                     "baseline_share": args.baseline_share, "overload_factor": args.factor,
                     "overload_rps": round(cap["rps"] * args.factor, 1),
                     "max_conns": args.max_conns, "server_cpu": procs.SERVER_CPU,
                     "client_cpu": procs.CLIENT_CPU},
        "capacity": cap,
        "configs": configs,
    }


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="short runs (pipeline smoke)")
    p.add_argument("--configs", default=",".join(CONFIGS),
                   help="comma-separated, `none` first (default: all)")
    p.add_argument("--work-ms", type=float, default=1.0)
    p.add_argument("--limit", type=int, default=4)
    p.add_argument("--target-ms", type=float, default=2.0)
    p.add_argument("--interval-ms", type=float, default=50.0)
    p.add_argument("--queue", type=int, default=16, help="CoDel queue bound (codel)")
    p.add_argument("--factor", type=float, default=2.0, help="overload, x capacity")
    p.add_argument("--duration", type=float, help="overload seconds (default 30, quick 3)")
    p.add_argument("--baseline-s", type=float, help="unloaded seconds (default 8, quick 2)")
    p.add_argument("--baseline-share", type=float, default=0.25)
    p.add_argument("--capacity-s", type=int, help="wrk seconds per run (default 3, quick 1)")
    p.add_argument("--deadline", type=float, default=2.0, help="client timeout, seconds")
    p.add_argument("--max-conns", type=int, default=1000)
    p.add_argument("--out-json", type=Path, default=HERE / "results.json")
    p.add_argument("--results-md", type=Path, default=HERE.parent / "RESULTS.md")
    args = p.parse_args(argv)
    args.configs = [c.strip() for c in str(args.configs).split(",") if c.strip()]
    args.duration = args.duration or (3.0 if args.quick else 30.0)
    args.baseline_s = args.baseline_s or (2.0 if args.quick else 8.0)
    args.capacity_s = args.capacity_s or (1 if args.quick else 3)
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
