"""Fan-out servers for bench/h2/fanout.py: every subscriber on `/` gets
`"subscribed"` once it is registered, then `"<seq> <time.time_ns()>"` once a
second, sent to all subscribers at once by the server's own broadcast helper.

    python ws_fanout.py weft       --bind 127.0.0.1:9000   # weft Broadcast
    python ws_fanout.py websockets --bind 127.0.0.1:9000   # websockets.broadcast()

Neither side compresses or sends keep-alive pings, so only fan-out is measured.
The send timestamp is taken just before the fan-out loop, so a subscriber
late in the loop sees the loop's cost in its latency, as a real client would.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import time
from collections.abc import Callable

SUBSCRIBED = "subscribed"
PERIOD_S = 1.0


def raise_nofile() -> None:
    """One socket per subscriber: lift the soft descriptor limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def tick(publish: Callable[[str], object]) -> None:
    """Call `publish(message)` once a second, the message carrying its send time."""
    seq = 0
    loop = asyncio.get_running_loop()
    next_at = loop.time() + PERIOD_S
    while True:
        await asyncio.sleep(max(0.0, next_at - loop.time()))
        next_at += PERIOD_S
        seq += 1
        publish(f"{seq} {time.time_ns()}")


# ---------------------------------------------------------------------- weft


def serve_weft(bind: str) -> None:
    from weft import reactor
    from weft.app import WeftApp
    from weft.connection.websocket import Broadcast, WsSession
    from weft.protocols.websocket import WsConfig
    from weft.router import Router

    hub = Broadcast()

    async def subscriber(session: WsSession) -> None:
        hub.subscribe(session)
        try:
            await session.send_text(SUBSCRIBED)
            async for _ in session:  # subscribers send nothing; this waits for close
                pass
        finally:
            hub.unsubscribe(session)

    router = Router().ws("/", subscriber, WsConfig(compression=False))
    app = WeftApp.new(router).bind(bind)
    tasks: list[asyncio.Task[None]] = []

    async def main() -> None:
        def ready() -> None:
            tasks.append(asyncio.get_running_loop().create_task(tick(hub.publish)))

        try:
            await app.serve_async(on_ready=ready)
        finally:
            for task in tasks:
                task.cancel()

    reactor.run(main())


# ---------------------------------------------------------------- websockets


def serve_websockets(bind: str) -> None:
    import uvloop
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    subscribers: set[ServerConnection] = set()

    async def subscriber(ws: ServerConnection) -> None:
        subscribers.add(ws)
        try:
            await ws.send(SUBSCRIBED)
            await ws.wait_closed()
        finally:
            subscribers.discard(ws)

    def publish(message: str) -> None:
        broadcast(subscribers, message)

    async def main(host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
        async with serve(subscriber, host, port, compression=None, ping_interval=None,
                         backlog=2048):
            ticker = loop.create_task(tick(publish))
            try:
                await stop
            finally:
                ticker.cancel()

    host, _, port = bind.rpartition(":")
    uvloop.run(main(host, int(port)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server", choices=("weft", "websockets"))
    parser.add_argument("--bind", default="127.0.0.1:9000")
    args = parser.parse_args()
    raise_nofile()
    if args.server == "weft":
        serve_weft(args.bind)
    else:
        serve_websockets(args.bind)
