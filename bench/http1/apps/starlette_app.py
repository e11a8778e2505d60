"""Hello world through Starlette's router and response classes (uvicorn + Starlette)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

# An explicit content-type keeps the bytes equal to the other apps (Starlette
# would otherwise append "; charset=utf-8").
_HEADERS = {"content-type": "text/plain"}


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, World!", headers=_HEADERS)


app = Starlette(routes=[Route("/", hello)])
