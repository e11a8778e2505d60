"""HPACK encoder and decoder that remember blocks which leave the table alone.

Why: most header blocks on a busy connection repeat. A client sends the same
request headers again as a few indexed bytes, and the server's response head
repeats too, so its encoding is a run of indexes. Decoding or encoding such a
block is ~20 Python calls per field in `hpack`, for a result that is already
known.

Invariant (why this is exact, not an approximation): `decode(data)` and
`encode(headers)` are functions of their input and the dynamic table's state.
A result is remembered only when computing it did not change that state (no
entry added or evicted, no size update), and only for as long as the state
stays the one it was computed in: every table change (an added entry is a new
object at the front of the deque, a clear or eviction changes the length, a
resize changes `maxsize`), and any size limit the verdict depends on, empties
the memo. So a hit returns exactly the bytes or fields `hpack` would have
returned, and the table, which must stay in step with the peer's, is the
same as if `hpack` had run. Blocks that change the table always go to `hpack`.

`sync()` hands the same invariant to callers: it returns a generation
number that changes whenever the memo is dropped, so a caller may keep what
it derived from a block (a parsed request head, an encoded response head)
for as long as the generation stays and decoding or encoding it left the
table alone (`H2Core` does both).

`NeverIndexedHeaderTuple` fields compare equal to plain tuples, so a header
list holding any `HeaderTuple` is never looked up or remembered (a 3-tuple's
sensitive flag is part of the key). Memory: at most `_ENTRIES` blocks of at most
`_MAX_BLOCK` bytes (decoder) or fields (encoder) per connection.
"""

from __future__ import annotations

from typing import Any, Final, final

from hpack import Decoder, Encoder, HeaderTuple
from hpack.table import HeaderTable

_ENTRIES: Final = 32
_MAX_BLOCK: Final = 512   # decoder: encoded bytes; larger blocks are rare and unique
_MAX_FIELDS: Final = 24   # encoder: fields in one header list
#: the only field type whose equality is its content (HeaderTuple subclasses
#: carry `indexable` outside it); 3-tuples carry their flag inside the key
_PLAIN: Final = {tuple}


def _state(table: HeaderTable) -> tuple[object, int, int]:
    """What identifies the dynamic table's contents between two calls. The
    caller keeps the front entry alive, so a new entry cannot reuse its id."""
    entries = table.dynamic_entries
    return (entries[0] if entries else None, len(entries), table.maxsize)


@final
class MemoDecoder(Decoder):
    """`hpack.Decoder` plus the memo described in the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[bytes, list[HeaderTuple]] = {}
        self._memo_state: tuple[object, ...] = ()
        #: bumped whenever the memo is dropped (see `sync`)
        self.generation = 0

    def sync(self, raw: bool = False) -> int:
        """Drop the memo if the table (or a limit) changed since the last
        call; returns the generation. Two calls that return the same number
        see the same table, so a block decodes to the same fields under
        both: a caller may remember what it derives from a block for as
        long as the generation stays, if decoding it left the table alone."""
        table = self.header_table
        state = (*_state(table), table.resized, self.max_header_list_size,
                 self.max_allowed_table_size, raw)
        if state != self._memo_state:
            self._memo.clear()
            self._memo_state = state
            self.generation += 1
        return self.generation

    def decode(self, data: bytes, raw: bool = False) -> list[HeaderTuple]:
        if type(data) is not bytes:
            data = bytes(data)
        self.sync(raw)
        memo = self._memo
        hit = memo.get(data)
        if hit is not None:
            return list(hit)
        state = self._memo_state
        table = self.header_table
        headers = list(super().decode(data, raw))
        if len(data) <= _MAX_BLOCK and _state(table) == state[:3] and table.resized is state[3]:
            if len(memo) >= _ENTRIES:
                memo.clear()
            memo[data] = headers
            return list(headers)
        return headers


@final
class MemoEncoder(Encoder):
    """`hpack.Encoder` plus the memo described in the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[tuple[Any, ...], bytes] = {}
        self._memo_state: tuple[object, ...] = ()
        #: bumped whenever the memo is dropped (see `sync`)
        self.generation = 0

    def sync(self) -> int | None:
        """As `MemoDecoder.sync`, for blocks encoded from the same fields;
        None while a table size change is pending (the next block must
        carry it, so it is never the same as an earlier one)."""
        table = self.header_table
        if table.resized or self.table_size_changes:
            return None
        state = _state(table)
        if state != self._memo_state:
            self._memo.clear()
            self._memo_state = state
            self.generation += 1
        return self.generation

    def encode(self, headers: Any, huffman: bool = True) -> bytes:
        if (not huffman or type(headers) is not list or len(headers) > _MAX_FIELDS
                or self.sync() is None or set(map(type, headers)) != _PLAIN):
            return super().encode(headers, huffman)
        try:
            key = tuple(headers)
            hash(key)
        except TypeError:  # an unhashable value: nothing to remember
            return super().encode(headers, huffman)
        memo = self._memo
        hit = memo.get(key)
        if hit is not None:
            return hit
        state = self._memo_state
        table = self.header_table
        block = super().encode(headers, huffman)
        if _state(table) == state and not table.resized:
            if len(memo) >= _ENTRIES:
                memo.clear()
            memo[key] = block
        return block
