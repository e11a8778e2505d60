"""Hello world on `weft.server.Server` with a plain service and no router.

Set against examples/python/hello.py (same server, with `weft.router`), the
difference between the two rows is what routing costs per request.

    python bench/http1/apps/weft_raw.py --bind 127.0.0.1:8000
"""

from __future__ import annotations

import argparse

from weft.http_types import Request, Response

BODY = b"Hello, World!"


async def hello(request: Request) -> Response:
    """Every request gets the same 13 bytes (the server adds content-length)."""
    return Response(200, [("content-type", "text/plain")], BODY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT")
    args = parser.parse_args()
    host, _, port = str(args.bind).rpartition(":")

    # Imported here so `--help` works, and a missing module names itself clearly.
    from weft import reactor
    from weft.server import Server, ServerConfig

    async def serve() -> None:
        server = Server(hello, ServerConfig(host=host, port=int(port)))
        await server.start()
        await server.serve_forever()

    reactor.run(serve())


if __name__ == "__main__":
    main()
