"""Request heads as the adapter wants them, parsed once per distinct head.

Why: on a busy connection most request heads repeat byte for byte (the
same client, the same route), and so do their HPACK blocks once the
client's table holds the fields. `HeadMemo` keeps the last few parsed heads
of a connection keyed by the encoded block, each for as long as the HPACK
decoder's generation (`hpack_cache.MemoDecoder.sync`) stays the one it was
parsed in and only if decoding it left the table alone: then decoding the
block again would give the same fields and change nothing, so it is not
decoded at all. Entries are bounded in count and size; a miss costs one
decode and one parse, exactly as without the memo.
"""

from __future__ import annotations

from typing import Final, final

from weft.protocols.http2.fields import FieldError, request_fields

Header = tuple[bytes, bytes]

#: method, target, query, scheme, authority, protocol, regular fields, and the
#: content-length (-1: none); all None but the fields when the head has no
#: :method or :path (plain CONNECT)
RequestHead = tuple[str | None, str, str | None, str, str | None, str | None,
                    tuple[tuple[str, str], ...], int]

_HEADS: Final = 16
_HEAD_BYTES: Final = 2048


def _text(value: bytes) -> str:
    return value.decode("latin-1")


def parse_head(fields: list[Header]) -> RequestHead:
    """Split a checked request head into pseudo-fields and text fields."""
    method = path = scheme = protocol = authority = None
    headers: list[tuple[str, str]] = []
    length = -1
    for name, value in fields:
        if name == b"content-length":
            length = _content_length(value, length)
        if name[:1] == b":":
            if name == b":method":
                method = _text(value)
            elif name == b":path":
                path = _text(value)
            elif name == b":scheme":
                scheme = _text(value)
            elif name == b":authority":
                authority = _text(value)
            elif name == b":protocol":
                protocol = _text(value)
        else:
            headers.append((_text(name), _text(value)))
    if method is None or path is None:
        return (None, "", None, "", None, None, (), -1)
    if authority is not None and not any(k == "host" for k, _ in headers):
        headers.append(("host", authority))
    target, sep, query = path.partition("?")
    return (method, target, query if sep else None, scheme or "https", authority, protocol,
            tuple(headers), length)


def _content_length(value: bytes, seen: int) -> int:
    """A content-length is digits, and every copy agrees (RFC 9110 §8.6);
    the DATA frames must then add up to it (RFC 9113 §8.1.1)."""
    if not value.isdigit():
        raise FieldError(f"Invalid content-length {value!r}")
    length = int(value)
    if seen not in (-1, length):
        raise FieldError("Conflicting content-length fields")
    return length


def trailer_fields(raw: list[Header]) -> list[tuple[str, str]]:
    """Checked request trailers as text (raises `FieldError`)."""
    return [(_text(k), _text(v)) for k, v in request_fields(raw, trailers=True)]


@final
class HeadMemo:
    """At most 16 parsed heads of blocks of at most 2 KiB."""

    __slots__ = ("_generation", "_heads")

    def __init__(self) -> None:
        self._heads: dict[bytes, RequestHead] = {}
        self._generation = -1

    def get(self, block: bytes, generation: int) -> RequestHead | None:
        if generation != self._generation:
            self._heads.clear()
            self._generation = generation
            return None
        return self._heads.get(block)

    def put(self, block: bytes, generation: int, head: RequestHead) -> None:
        """Remember `head` for `block`; the caller checked that decoding it
        left the decoder at `generation`."""
        heads = self._heads
        if generation != self._generation or len(block) > _HEAD_BYTES:
            return
        if len(heads) >= _HEADS:
            heads.clear()
        heads[block] = head
