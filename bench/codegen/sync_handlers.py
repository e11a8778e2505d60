"""What emitting effect-free handlers as plain `def` saves, per request.

    python bench/codegen/sync_handlers.py [--requests 20000] [--rounds 5]
    valgrind --tool=callgrind python bench/codegen/sync_handlers.py \
        --only plain --requests 2000 --rounds 1      # and --requests 8000

Builds `examples/hello.vr`, then serves `GET /hello/Ada` in-process (one
`Http1Connection` over a fake transport, as `bench/http1/inproc.py` does)
through two routers that differ in one thing: the generated plain-`def`
endpoints, or the same endpoints behind `async def` wrappers (what codegen
would emit without the effect analysis). Prints the CPU time per request of
each, alternating, and their ratio. CPU time, not requests/s; on a loaded
machine even CPU time swings, so `--only plain|async` under callgrind gives
the instruction count of one variant: the difference between the totals of
a 2,000- and an 8,000-request run, divided by 6,000, is the cost of one
request with start-up, the build and warm-up cancelled out.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from weft import reactor  # noqa: E402
from weft.connection import ConnectionContext, Http1Connection  # noqa: E402
from weft.http_types import Request, Response  # noqa: E402
from weft.protocols.http1 import Http1Limits  # noqa: E402
from weft.router import Router  # noqa: E402

from bench.http1.inproc import FakeTransport, measured  # noqa: E402

LABELS = {"plain": "plain def (generated)", "async": "async def wrappers"}
REQUEST = b"GET /hello/Ada HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"


def generated_app(out: Path) -> Any:
    subprocess.run([sys.executable, "-m", "weftc", "build", str(ROOT / "examples" / "hello.vr"),
                    "-o", str(out)], check=True, capture_output=True, cwd=ROOT)
    sys.path.insert(0, str(out))
    return importlib.import_module("hello.app")


def routers(app: Any) -> dict[str, Router]:
    hello: Callable[[], Response] = app.hello
    echo: Callable[[Request], Response] = app.endpoint_echo_name

    async def async_hello() -> Response:
        return hello()

    async def async_echo(req: Request) -> Response:
        return echo(req)

    return {
        "plain": Router.new().route("/", "GET", hello)
        .route("/hello/:name", "GET", echo),
        "async": Router.new().route("/", "GET", async_hello)
        .route("/hello/:name", "GET", async_echo),
    }


def cpu_per_request(router: Router, requests: int) -> float:
    loop = reactor.new_event_loop()
    conn = Http1Connection(ConnectionContext(router, Http1Limits(), loop, 10))
    transport = FakeTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    measured(conn, REQUEST, 2000)
    written = transport.written
    t0 = time.process_time()
    measured(conn, REQUEST, requests)
    cpu = time.process_time() - t0
    if transport.written - written < requests * 40:
        raise RuntimeError("the responses did not come back")
    conn.connection_lost(None)
    loop.close()
    return cpu / requests * 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", choices=("plain", "async"),
                   help="measure one variant (for callgrind)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as out:
        variants = routers(generated_app(Path(out)))
        if args.only:
            variants = {args.only: variants[args.only]}
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, router in variants.items():
                samples[name].append(cpu_per_request(router, args.requests))
    medians = {name: statistics.median(xs) for name, xs in samples.items()}
    for name, xs in samples.items():
        print(f"{LABELS[name]:24} median {medians[name]:6.2f} µs CPU/request  "
              f"(runs: {', '.join(f'{x:.2f}' for x in xs)})")
    if len(medians) < 2:
        return 0
    sync, wrapped = medians["plain"], medians["async"]
    print(f"async ÷ plain: {wrapped / sync:.3f} ({(1 - sync / wrapped) * 100:.1f}% less CPU "
          "per request with plain def)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
