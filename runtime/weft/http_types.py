"""The request and response values every layer above L3 sees.

Protocols (HTTP/1.1, HTTP/2, HTTP/3) build a `Request`; services return a
`Response`; serializers turn it back into bytes. Both are plain slotted
objects: the hot path allocates one of each per request and nothing else.

Header names are lower-case `str`, values `str` (latin-1 decoded, as RFC 9110
allows any octet); a `Headers` keeps the wire order and builds its lookup
index lazily, on the first lookup, because most handlers never read headers.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from typing import Any, final


@final
class Headers:
    """An ordered, case-insensitive multi-map of header fields.

    A protocol parser may hand over its validated field block unsplit
    (`from_block`): the list is built on first use, so a handler that never
    reads headers never pays for splitting them.
    """

    __slots__ = ("_block", "_index", "_list", "_split")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._list: list[tuple[str, str]] | None = [(k.lower(), v) for k, v in items]
        self._index: dict[str, str] | None = None
        self._block = ""
        self._split: Callable[[str], list[tuple[str, str]]] | None = None

    @classmethod
    def from_lowered(cls, items: list[tuple[str, str]]) -> Headers:
        """Adopt a list whose names are already lower-case (protocol parsers)."""
        h = cls.__new__(cls)
        h._list = items
        h._index = None
        h._block = ""
        h._split = None
        return h

    @classmethod
    def from_block(cls, block: str, split: Callable[[str], list[tuple[str, str]]]) -> Headers:
        """Adopt an unsplit field block; `split(block)` must return its
        (lower-case name, value) pairs, and is called at most once, lazily."""
        h = cls.__new__(cls)
        h._list = None
        h._index = None
        h._block = block
        h._split = split
        return h

    @property
    def _items(self) -> list[tuple[str, str]]:
        items = self._list
        if items is None:
            split = self._split
            assert split is not None
            items = self._list = split(self._block)
            self._split = None
            self._block = ""
        return items

    @_items.setter
    def _items(self, items: list[tuple[str, str]]) -> None:
        self._list = items
        self._split = None
        self._block = ""

    def _idx(self) -> dict[str, str]:
        idx = self._index
        if idx is None:
            idx = {}
            for k, v in self._items:
                # Repeated fields combine with ", " (RFC 9110 §5.3), except the
                # first value wins for lookups of singletons via get_all callers.
                idx[k] = f"{idx[k]}, {v}" if k in idx else v
            self._index = idx
        return idx

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._idx().get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self._items if k == name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._idx()

    def __getitem__(self, name: str) -> str:
        return self._idx()[name.lower()]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def add(self, name: str, value: str) -> None:
        self._items.append((name.lower(), value))
        self._index = None

    def set(self, name: str, value: str) -> None:
        name = name.lower()
        self._items = [(k, v) for k, v in self._items if k != name]
        self._items.append((name, value))
        self._index = None

    def remove(self, name: str) -> None:
        name = name.lower()
        self._items = [(k, v) for k, v in self._items if k != name]
        self._index = None

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@final
class Request:
    """One HTTP request, fully received (bodies are buffered up to the limit).

    `path` is the raw (still percent-encoded) path; the router decodes
    segments it captures. `extensions` carries per-request values that layers
    add (trace context, principal, deadline) without widening this class.
    """

    __slots__ = ("body", "extensions", "headers", "http_version", "method", "path",
                 "path_params", "peer", "raw_query", "scheme")

    def __init__(self, method: str, path: str, raw_query: str | None = None,
                 headers: Headers | None = None, body: bytes = b"",
                 http_version: str = "1.1", scheme: str = "http",
                 peer: tuple[str, int] | None = None) -> None:
        self.method = method
        self.path = path
        self.raw_query = raw_query
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self.http_version = http_version
        self.scheme = scheme
        self.peer = peer
        self.path_params: dict[str, str] = {}
        self.extensions: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}{'?' + self.raw_query if self.raw_query else ''}>"


_new = object.__new__


def parsed_request(method: str, path: str, raw_query: str | None, block: str,
                   split: Callable[[str], list[tuple[str, str]]]) -> Request:
    """`Request(method, path, raw_query, Headers.from_block(block, split))`
    for a protocol's hot path.

    Calling a class whose `__init__` is Python goes through `type.__call__`
    and a C-level re-entry into the interpreter (about a third of the cost
    of building a request on CPython 3.11); filling the slots from a plain
    function does not. Must set every slot `Request.__init__` sets (a test
    compares the two).
    """
    headers = _new(Headers)
    headers._list = None
    headers._index = None
    headers._block = block
    headers._split = split
    r = _new(Request)
    r.method = method
    r.path = path
    r.raw_query = raw_query
    r.headers = headers
    r.body = b""
    r.http_version = "1.1"
    r.scheme = "http"
    r.peer = None
    r.path_params = {}
    r.extensions = {}
    return r


@final
class Response:
    """Status, headers and either a body or an async stream of chunks.

    A streamed response is sent chunked on HTTP/1.1 unless the handler set
    `content-length` itself.
    """

    __slots__ = ("body", "headers", "status", "stream")

    def __init__(self, status: int = 200, headers: list[tuple[str, str]] | None = None,
                 body: bytes = b"", stream: AsyncIterable[bytes] | None = None) -> None:
        self.status = status
        self.headers: list[tuple[str, str]] = headers if headers is not None else []
        self.body = body
        self.stream = stream

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def with_header(self, name: str, value: str) -> Response:
        self.headers.append((name, value))
        return self

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)}B{' stream' if self.stream else ''}>"


def body_response(status: int, headers: list[tuple[str, str]], body: bytes) -> Response:
    """`Response(status, headers, body)` without `type.__call__` (see
    `parsed_request`): for the builders every handler's return value goes
    through."""
    r = _new(Response)
    r.status = status
    r.headers = headers
    r.body = body
    r.stream = None
    return r
