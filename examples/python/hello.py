"""Hello, World! on the weft runtime, written directly in Python.

    python examples/python/hello.py --bind 127.0.0.1:8000 --workers 2

`GET /` answers `Hello, World!`; `GET /hello/{name}` answers `Hello, {name}!`.
SIGTERM or Ctrl-C stops it gracefully: requests in flight finish first.
"""

from __future__ import annotations

import argparse
import logging
import sys

from weft.app import WeftApp
from weft.http_types import Request
from weft.router import Router


async def hello(req: Request) -> str:
    return "Hello, World!"


async def hello_name(req: Request) -> str:
    return f"Hello, {req.path_params['name']}!"


def make_app() -> WeftApp:
    router = Router().get("/", hello).get("/hello/:name", hello_name)
    return WeftApp.new(router)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT or [V6]:PORT")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s: %(message)s")
    return make_app().bind(args.bind).workers(args.workers).serve()


if __name__ == "__main__":
    sys.exit(main())
