"""The testee for Autobahn's fuzzingclient: weft's WebSocket echo.

    python bench/autobahn/echo_server.py --port 9001

Limits are raised above the suite's largest messages (case 9.x sends
16 MiB), so those cases test the protocol rather than our default 1 MiB
guard; everything else is the shipped default (compression on).
"""

from __future__ import annotations

import argparse

from weft.connection.websocket import WsSession
from weft.protocols.websocket import WsConfig
from weft.router import Router
from weft.server import ServerConfig, serve

_BIG = 64 * 1024 * 1024


async def echo(session: WsSession) -> None:
    async for message in session:
        if isinstance(message, str):
            await session.send_text(message)
        else:
            await session.send_bytes(message)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    config = WsConfig(max_frame_bytes=_BIG, max_message_bytes=_BIG)
    serve(Router().ws("/", echo, config), ServerConfig(host="127.0.0.1", port=args.port))


if __name__ == "__main__":
    main()
