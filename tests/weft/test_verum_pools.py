"""Buffer and arena pools (`weft.verum_pools`), Verum's ConnectionConfig and Duration."""

from __future__ import annotations

import pytest
from weft.verum_connection import ConnectionConfig
from weft.verum_pools import (
    ArenaFull,
    ArenaPool,
    ArenaPoolConfig,
    BufferPool,
    BufferPoolConfig,
    GenerationalArena,
    StaleArenaRef,
)
from weft.verum_time import Duration


def test_buffer_pool_leases_slots_until_exhausted() -> None:
    pool = BufferPool.new(BufferPoolConfig.default().with_count(2).with_buf_size(4096))
    a, b = pool.acquire(), pool.acquire()
    assert a is not None and b is not None
    assert {a.fd_offset(), b.fd_offset()} == {0, 1}
    assert pool.acquire() is None
    assert (pool.free_count(), pool.acquires_total(), pool.misses_total()) == (0, 3, 1)
    assert a.write_at(b"hello" * 1000) == 4096  # capped at the slot
    start, size = a.slot()
    assert (start, size) == (a.fd_offset() * 4096, 4096)
    assert bytes(a.view()[:5]) == b"hello"
    a.release()
    a.release()  # idempotent
    assert pool.free_count() == 1
    with pytest.raises(RuntimeError):
        a.view()
    del b  # dropping the last reference returns the slot (Verum's Drop)
    assert pool.free_count() == 2
    assert not pool.iouring_registered()


def test_buffer_pool_refuses_tiny_buffers() -> None:
    with pytest.raises(ValueError, match="buf_size >= 4096"):
        BufferPool(BufferPoolConfig(count=4, buf_size=512))


def test_arena_allocates_resets_and_refuses_stale_generations() -> None:
    arena = GenerationalArena.new(16)
    view = arena.alloc(10)
    view[:] = b"0123456789"
    assert (arena.used(), arena.capacity()) == (10, 16)
    with pytest.raises(ArenaFull):
        arena.alloc(7)
    stamp = arena.generation()
    arena.reset()
    assert (arena.used(), arena.generation()) == (0, stamp + 1)
    with pytest.raises(StaleArenaRef):
        arena.check(stamp)
    arena.check(stamp + 1)


def test_arena_pool_bursts_and_keeps_only_the_warm_set() -> None:
    pool = ArenaPool.new(ArenaPoolConfig(warm_count=1, per_arena_bytes=64, max_total=2))
    first = pool.acquire()
    first.arena_mut().alloc(8)
    second = pool.acquire()  # the warm set is empty: a burst
    assert (pool.total(), pool.warm_count(), pool.leases_total(), pool.bursts_total()) \
        == (2, 0, 2, 1)
    with pytest.raises(ArenaFull):
        pool.acquire()
    first.release()
    assert (first.used(), first.capacity()) == (0, 0)
    second.release()  # beyond warm_count: destroyed, not kept
    assert (pool.total(), pool.warm_count()) == (1, 1)
    with pool.acquire() as again:
        assert (again.generation(), again.used()) == (1, 0)  # reset on return
    assert pool.warm_count() == 1


def test_connection_config_maps_to_http1_limits() -> None:
    pool = BufferPool.default()
    cfg = ConnectionConfig.default().with_pool(pool)
    assert cfg.clone().pool is pool and cfg.arena_pool is None
    limits = ConnectionConfig(header_deadline_ms=2_500, idle_deadline_ms=0).http1_limits()
    assert (limits.max_body_bytes, limits.header_timeout, limits.body_timeout) \
        == (1024 * 1024, 2.5, 30.0)
    assert limits.keepalive_timeout > 3600 * 24  # 0 ms: no deadline


def test_duration_units() -> None:
    d = Duration.from_millis(1500)
    assert (d.as_nanos(), d.as_millis(), d.as_secs(), d.seconds()) \
        == (1_500_000_000, 1500, 1, 1.5)
    assert Duration.from_secs(2) > d
    with pytest.raises(ValueError):
        Duration(-1)
