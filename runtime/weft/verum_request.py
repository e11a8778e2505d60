"""Verum's `WeftRequest { .. }` record literal as a `weft.http_types.Request`.

`Request.__init__` takes what a protocol knows when a request arrives;
`path_params` is filled later by the router, so it is no constructor
argument. A Verum program builds a request with every field at once
(tests and simulations do); the compiler lowers that literal to this call.
"""

from __future__ import annotations

from weft.http_types import Headers, Request

__all__ = ["weft_request"]


def weft_request(*, method: str, path: str, raw_query: str | None, headers: Headers,
                 body: bytes, path_params: dict[str, str],
                 peer: tuple[str, int] | None) -> Request:
    """A request with every field of Verum's `WeftRequest` set."""
    req = Request(method, path, raw_query, headers, body, peer=peer)
    req.path_params = path_params
    return req
