"""`MemoDecoder.sync` / `MemoEncoder.sync`: the generation moves exactly when
the table does, which is what `H2Core`'s head memos rely on."""

from __future__ import annotations

from hpack import Encoder
from weft.protocols.http2.hpack_cache import MemoDecoder, MemoEncoder

FIELDS = [(b":method", b"GET"), (b":path", b"/"), (b"x-a", b"1")]


def test_decoder_generation_follows_the_table() -> None:
    enc, dec = Encoder(), MemoDecoder()
    first = enc.encode(FIELDS)            # adds x-a: 1
    again = enc.encode(FIELDS)            # indexed only
    g0 = dec.sync(True)
    dec.decode(first, raw=True)
    g1 = dec.sync(True)
    assert g1 != g0                       # the table changed
    assert dec.decode(again, raw=True) == dec.decode(again, raw=True)
    assert dec.sync(True) == g1           # indexed blocks leave it alone
    dec.decode(enc.encode([(b"x-b", b"2")]), raw=True)
    assert dec.sync(True) != g1


def test_encoder_generation_and_pending_size_change() -> None:
    enc = MemoEncoder()
    g0 = enc.sync()
    assert g0 is not None
    enc.encode(FIELDS)                    # adds x-a: 1
    g1 = enc.sync()
    assert g1 is not None and g1 != g0
    block = enc.encode(FIELDS)
    assert enc.encode(FIELDS) == block and enc.sync() == g1
    enc.header_table_size = 0             # the peer's SETTINGS_HEADER_TABLE_SIZE
    assert enc.sync() is None             # the next block must carry the change
    changed = enc.encode(FIELDS)
    assert changed != block and enc.sync() not in (None, g1)
