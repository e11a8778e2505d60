"""In-process HTTP/2 cost probe: server CPU per request with no sockets.

    python bench/h2/inproc.py [--requests N] [--profile]

Drives one `Http2Connection` (the hello example's Router) through a fake
transport with the bytes an h2load-like client sends: batches of 32 GET
requests, HPACK-indexed as h2load indexes them, each batch in one
`data_received`, the client's WINDOW_UPDATE/SETTINGS ACK traffic included.
Every response is decoded by an h2 client to check it (200, the body).
Prints µs of CPU per request (process time, best of 5 rounds) and the
Python function calls per request (cProfile's count: exact, load-independent). `--profile` prints the top of a cProfile run instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
from weft.connection.http2 import Http2Connection
from weft.types import Service

REPO = Path(__file__).resolve().parents[2]

BATCH = 32
HEADERS = [(":method", "GET"), (":path", "/"), (":scheme", "http"),
           (":authority", "127.0.0.1:8000"), ("accept", "*/*"),
           ("accept-encoding", "gzip, deflate"), ("user-agent", "h2load nghttp2/1.59.0")]


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.out: list[bytes] = []

    def write(self, data: Any) -> None:
        self.out.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def is_closing(self) -> bool:
        return False

    def can_write_eof(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def _hello_service() -> Service:
    """The service examples/python/hello.py serves (its Router)."""
    spec = importlib.util.spec_from_file_location("hello_example",
                                                  REPO / "examples" / "python" / "hello.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    service: Service = module.make_app()._service  # what Server serves, minus sockets
    return service


async def _run(requests: int, prof: cProfile.Profile | None = None) -> float:
    conn = Http2Connection(_hello_service())
    transport = _Transport()
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                                  header_encoding=None))
    client.initiate_connection()
    conn.connection_made(transport)
    conn.data_received(client.data_to_send())
    done = 0
    cpu = 0.0
    while done < requests:
        for _ in range(BATCH):
            client.send_headers(client.get_next_available_stream_id(), HEADERS, end_stream=True)
        data = client.data_to_send()
        if prof is not None:
            prof.enable()
        t0 = time.process_time()
        conn.data_received(data)
        await asyncio.sleep(0)
        cpu += time.process_time() - t0
        if prof is not None:
            prof.disable()
        reply, transport.out[:] = b"".join(transport.out), []
        for ev in client.receive_data(reply):
            if isinstance(ev, h2.events.ResponseReceived):
                assert dict(ev.headers)[b":status"] == b"200", ev.headers
            elif isinstance(ev, h2.events.DataReceived):
                assert ev.data == b"Hello, World!", ev.data
                client.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                done += 1
    conn.abort()
    return cpu * 1e6 / done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    prof = cProfile.Profile()
    asyncio.run(_run(BATCH * 20, prof))
    calls = pstats.Stats(prof).total_calls  # type: ignore[attr-defined]
    if args.profile:
        prof = cProfile.Profile()
        asyncio.run(_run(args.requests, prof))
        pstats.Stats(prof).sort_stats("tottime").print_stats(40)
        return 0
    asyncio.run(_run(2_000))  # warm-up
    rounds = [asyncio.run(_run(args.requests // 5)) for _ in range(5)]
    print(f"{min(rounds):.1f} us of server CPU per request (best of 5; all: "
          f"{', '.join(f'{r:.0f}' for r in rounds)}); {calls / (BATCH * 20):.0f} Python "
          "calls per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
