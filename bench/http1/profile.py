"""Where a server's time goes under one benchmark workload.

    python bench/http1/profile.py [--server weft] [--workload c64] [--duration 10] [--native]

Starts the server pinned to the server core exactly as run.py does, loads it
with wrk on the client core, samples it with py-spy (also on the client core,
so the sampler does not steal the server's time), and prints the server's
user/kernel CPU split, requests/s, CPU per request, and the functions with
the most samples (self and inclusive). `--native` adds C frames (libc
`write`/`read` show the syscalls). py-spy is a profiling aid, not a project
dependency: `pip install py-spy`.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.http1 import procs, report
from bench.http1.idle_conns import raise_nofile
from bench.http1.run import CLIENT_CPU, HOST, running
from bench.http1.servers import SERVERS

_LINE_NO = re.compile(r":\d+\)$")


def summarise(raw: str, top: int) -> list[str]:
    """Self and inclusive sample shares per function from py-spy's raw output."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_LINE_NO.sub(")", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        return ["no samples"]
    out = [f"{total} samples", "", "self:"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    # Inclusive: Python functions only, minus the frames every sample shares.
    shared = [(f, n) for f, n in incl.most_common() if ".py)" in f and n < 0.99 * total]
    out += ["", "inclusive (Python frames below the event loop):"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in shared[:top]]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", default="weft", choices=sorted(SERVERS))
    p.add_argument("--workload", default="c64", choices=[w.key for w in report.WORKLOADS])
    p.add_argument("--duration", type=int, default=10, help="seconds sampled")
    p.add_argument("--rate", type=int, default=200, help="samples per second")
    p.add_argument("--native", action="store_true", help="include C frames")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--raw", type=Path, help="also keep py-spy's raw (collapsed) output here")
    args = p.parse_args(argv)
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    workload = next(w for w in report.WORKLOADS if w.key == args.workload)
    raise_nofile()
    with tempfile.TemporaryDirectory(prefix="weft-profile-") as tmp, \
            running(SERVERS[args.server], Path(tmp)) as server:
        # Warm up, then load for longer than the sampling window.
        subprocess.run(["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c64", "-d2s",
                        f"http://{HOST}:{server.port}/"], capture_output=True, check=False)
        wrk = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{workload.connections}",
               f"-d{args.duration + 3}s", f"http://{HOST}:{server.port}/"]
        if workload.pipeline:
            wrk[5:5] = ["-s", str(Path(__file__).resolve().parent / "pipeline.lua")]
        load = subprocess.Popen(wrk, stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        pids = procs.tree_pids(server.pid)
        (u0, s0), t0 = procs.cpu_split(pids), time.monotonic()
        out = Path(tmp) / "profile.txt"
        spy = ["taskset", "-c", CLIENT_CPU, pyspy, "record", "-p", str(server.pid),
               "-d", str(args.duration), "-r", str(args.rate), "-f", "raw", "-o", str(out)]
        if args.native:
            spy.append("--native")
        subprocess.run(spy, capture_output=True, check=False)
        (u1, s1), wall = procs.cpu_split(pids), time.monotonic() - t0
        wrk_out, _ = load.communicate()
        raw = out.read_text() if out.exists() else ""
    if args.raw:
        args.raw.write_text(raw)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk_out)
    print(f"{SERVERS[args.server].label}, {workload.label}: "
          f"{float(rps.group(1)) if rps else 0:,.0f} req/s (under py-spy)")
    busy = (u1 - u0) + (s1 - s0)
    print(f"server CPU {busy / wall:.0%} of a core: user {(u1 - u0) / busy:.0%}, "
          f"kernel {(s1 - s0) / busy:.0%}" if busy else "server CPU: none measured")
    if rps and busy:
        print(f"server CPU per request: {busy / wall / float(rps.group(1)) * 1e6:.1f} µs")
    print("\n".join(summarise(raw, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
