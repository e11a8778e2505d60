"""Measuring clients, run by `run.py` as their own process pinned to core 1.

    python clients.py tls  --port P --count N [--alpn h2]
    python clients.py ws   --url ws://127.0.0.1:P/ws/echo --count N

`tls`: connect + TLS 1.3 handshake time, first without a session (full
handshake), then offering the session ticket from an earlier connection
(resumption). A request is sent on each connection and its response read,
because TLS 1.3 tickets arrive after the handshake. Prints JSON with the
samples' medians in milliseconds and how many resumptions really happened.

`ws`: one WebSocket connection (no compression) and `count` sequential
16-byte text round trips; prints p50/p99 in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import ssl
import statistics
import sys
import time

_REQUEST = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"


def _client_context(alpn: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the benchmark's self-signed certificate
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols([alpn])
    return ctx


def _handshake(ctx: ssl.SSLContext, port: int, session: ssl.SSLSession | None
               ) -> tuple[float, ssl.SSLSession | None, bool]:
    start = time.perf_counter()
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    elapsed = time.perf_counter() - start
    reused = bool(tls.session_reused)
    try:
        if tls.selected_alpn_protocol() != "h2":
            tls.sendall(_REQUEST)
            while tls.recv(65536):
                pass
        else:
            tls.recv(65536)  # the server's SETTINGS; tickets come with or before it
    except (OSError, ssl.SSLError):
        pass
    new_session = tls.session
    tls.close()
    return elapsed, new_session, reused


def tls_main(port: int, count: int, alpn: str) -> dict[str, float | int]:
    ctx = _client_context(alpn)
    full: list[float] = []
    resumed: list[float] = []
    reused = 0
    for _ in range(count):
        elapsed, session, _ = _handshake(ctx, port, None)
        full.append(elapsed)
        if session is None:
            continue
        elapsed, _, was_reused = _handshake(ctx, port, session)
        resumed.append(elapsed)
        reused += was_reused
    return {"full_ms_p50": statistics.median(full) * 1e3,
            "resumed_ms_p50": statistics.median(resumed) * 1e3 if resumed else float("nan"),
            "handshakes": count, "resumed": reused}


async def ws_main(url: str, count: int) -> dict[str, float | int]:
    from websockets.asyncio.client import connect

    samples: list[float] = []
    message = "0123456789abcdef"
    async with connect(url, compression=None) as ws:
        for _ in range(min(50, count)):  # warm-up
            await ws.send(message)
            await ws.recv()
        for _ in range(count):
            start = time.perf_counter()
            await ws.send(message)
            await ws.recv()
            samples.append(time.perf_counter() - start)
    samples.sort()
    return {"p50_us": samples[len(samples) // 2] * 1e6,
            "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e6,
            "round_trips": count}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tls")
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--count", type=int, default=200)
    t.add_argument("--alpn", default="http/1.1")
    w = sub.add_parser("ws")
    w.add_argument("--url", required=True)
    w.add_argument("--count", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.cmd == "tls":
        result = tls_main(args.port, args.count, args.alpn)
    else:
        result = asyncio.run(ws_main(args.url, args.count))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
