"""The overload benchmark's server: hello world plus a fixed CPU burst.

    python bench/overload/app.py --bind 127.0.0.1:0 --layers shed --work-ms 1

`GET /` awaits once (standing in for the await on a database or a
downstream call), then does a fixed amount of CPU work (~`--work-ms` on an
idle core, calibrated once at start-up as a number of SHA-256 rounds, so a
busier core takes longer, as real work would) and answers `done`.

The await matters: a handler that never awaits runs inline as its request
is parsed, so at most one request is ever inside the layers and no layer can
see a queue; the backlog then lives in socket buffers, out of their reach.

`--layers` picks the protection, outermost first:

* `none`: the router alone;
* `shed`: `LoadShedLayer.default()` around `ConcurrencyLimitLayer(--limit)`,
  refusing at once whenever every permit is taken;
* `codel`: `CoDelLayer` with `--limit` permits, the rest queued and dropped
  once their queueing delay stays above `--target-ms` for `--interval-ms`;
  the queue's hard bound `--queue` refuses at once beyond it (shedding);
* `codel_shed`: `codel` behind `LoadShedLayer.default()`, which refuses at
  the door whenever CoDel predicts a newcomer would wait `--target-ms` or
  more (CoDel's `saturated()`): CoDel + load shedding.
* `codel_deep`: the same with the layer's default queue bound (1024), so
  CoDel's drop schedule alone has to absorb the excess.

The bound port is printed as `port=N` on stdout once the server accepts.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable

from weft.http_types import Request, Response
from weft.layers import CoDelConfig, CoDelLayer, ConcurrencyLimitLayer, LoadShedLayer
from weft.router import Router
from weft.types import Service

LAYERS = ("none", "shed", "codel", "codel_deep", "codel_shed")
_BLOCK = b"\x5a" * 4096
DEFAULT_CODEL_QUEUE = CoDelConfig().max_queue


def _rounds(n: int) -> None:
    h = hashlib.sha256()
    for _ in range(n):
        h.update(_BLOCK)


def calibrate(work_s: float, trials: int = 15) -> int:
    """SHA-256 rounds that take `work_s` on this core (fastest of `trials`)."""
    probe = 200
    best = min(_timed(probe) for _ in range(trials))
    return max(1, round(probe * work_s / best))


def _timed(n: int) -> float:
    start = time.perf_counter()
    _rounds(n)
    return time.perf_counter() - start


def make_handler(rounds: int) -> Callable[[Request], Awaitable[Response]]:
    async def work(request: Request) -> Response:
        await asyncio.sleep(0)
        _rounds(rounds)
        return Response(200, [("content-type", "text/plain")], b"done")
    return work


def build_service(layers: str, rounds: int, limit: int, target_ms: float,
                  interval_ms: float, queue: int) -> Service:
    router = Router().get("/", make_handler(rounds))
    service: Service = router
    if layers == "shed":
        service = LoadShedLayer.default().wrap(ConcurrencyLimitLayer(limit).wrap(service))
    elif layers in ("codel", "codel_deep", "codel_shed"):
        config = CoDelConfig(target=target_ms / 1000, interval=interval_ms / 1000,
                             max_in_flight=limit,
                             max_queue=DEFAULT_CODEL_QUEUE if layers == "codel_deep" else queue)
        service = CoDelLayer(config).wrap(service)
        if layers == "codel_shed":
            # The shedder refuses at the door whatever CoDel predicts would
            # wait `target` or more (its `saturated()`); CoDel still judges
            # every request that queued.
            service = LoadShedLayer.default().wrap(service)
    elif layers != "none":
        raise ValueError(f"--layers must be one of {', '.join(LAYERS)}")
    return service


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--bind", default="127.0.0.1:0", help="HOST:PORT (port 0: any free port)")
    p.add_argument("--layers", choices=LAYERS, default="none")
    p.add_argument("--work-ms", type=float, default=1.0)
    p.add_argument("--limit", type=int, default=1, help="permits in flight (shed, codel)")
    p.add_argument("--target-ms", type=float, default=2.5, help="CoDel target")
    p.add_argument("--interval-ms", type=float, default=50.0, help="CoDel interval")
    p.add_argument("--queue", type=int, default=16, help="CoDel queue bound (codel)")
    p.add_argument("--rounds", type=int, default=0,
                   help="SHA-256 rounds per request (0: calibrate to --work-ms)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    host, _, port = str(args.bind).rpartition(":")
    from weft import reactor
    from weft.server import Server, ServerConfig

    rounds = args.rounds if args.rounds > 0 else calibrate(args.work_ms / 1000)
    service = build_service(args.layers, rounds, args.limit, args.target_ms, args.interval_ms,
                            args.queue)

    async def serve() -> None:
        server = Server(service, ServerConfig(host=host, port=int(port), max_connections=20_000))
        await server.start()
        print(f"port={server.port} rounds={rounds}", flush=True)
        await server.serve_forever()

    try:
        reactor.run(serve())
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
