"""The `websockets` library's own server echoing every message (the peer
for the WebSocket round-trip benchmark), on uvloop like weft.

    python ws_echo.py --bind 127.0.0.1:9000
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import uvloop
from websockets.asyncio.server import ServerConnection, serve


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(echo, host, port, compression=None):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="127.0.0.1:9000")
    args = parser.parse_args()
    host, _, port = args.bind.rpartition(":")
    uvloop.run(main(host, int(port)))
