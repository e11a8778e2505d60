"""Verum's buffer pool and arena pool (`core.net.weft.bufpool`, `.arena_pool`).

Both preallocate memory once and hand out leases, so a connection or a
request reuses a warm block instead of allocating its own:

* `BufferPool` is one `bytearray` slab of `count * buf_size` bytes; a
  `BufferHandle` leases one slot (`view()` is a memoryview of it, no copy).
  An exhausted pool answers None and counts a miss; the caller falls back
  to its own bytes, as in Verum.
* `ArenaPool` keeps `warm_count` `GenerationalArena`s (bump allocators over a
  `bytearray`). `acquire()` pops a warm arena or allocates a burst arena;
  releasing a lease resets the arena (its generation goes up, so views
  handed out before are refused by `check`) and keeps it warm if the pool
  has room.

A lease is returned by `release()`, by leaving its `with` block, or when
CPython drops the last reference to it (`__del__`: Verum's `Drop`, which the
generated code relies on). Everything runs on one event loop, so the
counters are plain ints. io_uring buffer registration has no Python
counterpart; `iouring_registered()` is honestly False.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import TracebackType
from typing import final

__all__ = [
    "ArenaFull",
    "ArenaLease",
    "ArenaPool",
    "ArenaPoolConfig",
    "BufferHandle",
    "BufferPool",
    "BufferPoolConfig",
    "GenerationalArena",
    "StaleArenaRef",
]

_MIN_BUF_SIZE = 4096


# ------------------------------------------------------------ buffer pool


@final
@dataclass(frozen=True, slots=True)
class BufferPoolConfig:
    """Slot count and size; Verum's defaults (256 slots of 16 KiB)."""

    count: int = 256
    buf_size: int = 16 * 1024
    io_uring: bool = False

    @classmethod
    def default(cls) -> BufferPoolConfig:
        return cls()

    def with_count(self, count: int) -> BufferPoolConfig:
        return replace(self, count=count)

    def with_buf_size(self, size: int) -> BufferPoolConfig:
        return replace(self, buf_size=size)

    def with_io_uring(self, enabled: bool) -> BufferPoolConfig:
        return replace(self, io_uring=enabled)

    def clone(self) -> BufferPoolConfig:
        return self


@final
class BufferPool:
    """Fixed-size buffers carved from one slab, leased by index."""

    __slots__ = ("_free", "_slab", "acquires", "config", "misses")

    def __init__(self, config: BufferPoolConfig) -> None:
        if config.count <= 0 or config.buf_size < _MIN_BUF_SIZE:
            raise ValueError(f"BufferPool: count > 0 and buf_size >= {_MIN_BUF_SIZE} required")
        self.config = config
        self._slab = bytearray(config.count * config.buf_size)
        # A stack: the most recently returned (cache-warm) slot goes out first.
        self._free = list(range(config.count - 1, -1, -1))
        self.acquires = 0
        self.misses = 0

    @classmethod
    def new(cls, config: BufferPoolConfig) -> BufferPool:
        return cls(config)

    @classmethod
    def default(cls) -> BufferPool:
        return cls(BufferPoolConfig())

    def acquire(self) -> BufferHandle | None:
        """A free slot, or None (a miss) when every slot is leased."""
        self.acquires += 1
        if not self._free:
            self.misses += 1
            return None
        return BufferHandle(self, self._free.pop())

    def view(self, index: int) -> memoryview:
        size = self.config.buf_size
        return memoryview(self._slab)[index * size:(index + 1) * size]

    def give_back(self, index: int) -> None:
        self._free.append(index)

    def iouring_registered(self) -> bool:
        return False

    def free_count(self) -> int:
        return len(self._free)

    def acquires_total(self) -> int:
        return self.acquires

    def misses_total(self) -> int:
        return self.misses

    def clone(self) -> BufferPool:
        """Verum's `Clone` shares the pool state: the same object."""
        return self


@final
class BufferHandle:
    """One leased slot; returned to its pool exactly once."""

    __slots__ = ("_pool", "index")

    def __init__(self, pool: BufferPool, index: int) -> None:
        self._pool: BufferPool | None = pool
        self.index = index

    def _owner(self) -> BufferPool:
        if self._pool is None:
            raise RuntimeError("BufferHandle: the buffer was already returned")
        return self._pool

    def slot(self) -> tuple[int, int]:
        """(start, len) of this buffer in the pool's slab."""
        size = self._owner().config.buf_size
        return self.index * size, size

    def fd_offset(self) -> int:
        """The buffer's index: what io_uring calls a fixed buffer's index."""
        return self.index

    def view(self) -> memoryview:
        return self._owner().view(self.index)

    def write_at(self, data: bytes) -> int:
        """Copy `data` to the buffer's start; the bytes written (capped at its size)."""
        view = self.view()
        n = min(len(data), len(view))
        view[:n] = data[:n]
        return n

    def release(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.give_back(self.index)

    def __enter__(self) -> BufferHandle:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


# ------------------------------------------------------------ arenas


class ArenaFull(MemoryError):
    """An allocation did not fit in what is left of the arena."""


class StaleArenaRef(RuntimeError):
    """A view from an earlier generation of a reset arena was used."""


@final
class GenerationalArena:
    """A bump allocator over one `bytearray`; `reset()` frees everything at once."""

    __slots__ = ("_buf", "_generation", "_used")

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("GenerationalArena: capacity must be >= 0")
        self._buf = bytearray(capacity)
        self._used = 0
        self._generation = 0

    @classmethod
    def new(cls, capacity: int) -> GenerationalArena:
        return cls(capacity)

    def alloc(self, size: int) -> memoryview:
        """`size` bytes of the arena, valid until the next `reset()`."""
        if size < 0:
            raise ValueError("GenerationalArena.alloc: size must be >= 0")
        start = self._used
        if start + size > len(self._buf):
            raise ArenaFull(f"arena of {len(self._buf)} bytes has {len(self._buf) - start} "
                            f"left, asked for {size}")
        self._used = start + size
        return memoryview(self._buf)[start:start + size]

    def check(self, generation: int) -> None:
        """Refuse a reference stamped with an older generation (Verum's CBGR check)."""
        if generation != self._generation:
            raise StaleArenaRef(f"arena generation {generation} was reset "
                                f"(now {self._generation})")

    def generation(self) -> int:
        return self._generation

    def used(self) -> int:
        return self._used

    def capacity(self) -> int:
        return len(self._buf)

    def reset(self) -> None:
        self._used = 0
        self._generation += 1


@final
@dataclass(frozen=True, slots=True)
class ArenaPoolConfig:
    """Verum's defaults: 64 warm arenas of 64 KiB, at most 1024 in all."""

    warm_count: int = 64
    per_arena_bytes: int = 64 * 1024
    max_total: int = 1024

    @classmethod
    def default(cls) -> ArenaPoolConfig:
        return cls()

    def with_warm_count(self, count: int) -> ArenaPoolConfig:
        return replace(self, warm_count=count)

    def with_per_arena_bytes(self, size: int) -> ArenaPoolConfig:
        return replace(self, per_arena_bytes=size)

    def with_max_total(self, total: int) -> ArenaPoolConfig:
        return replace(self, max_total=total)

    def clone(self) -> ArenaPoolConfig:
        return self


@final
class ArenaPool:
    """Warm arenas leased per request; bursts past the warm set are counted."""

    __slots__ = ("_free", "_total", "bursts", "config", "leases")

    def __init__(self, config: ArenaPoolConfig) -> None:
        self.config = config
        self._free = [GenerationalArena(config.per_arena_bytes) for _ in range(config.warm_count)]
        self._total = config.warm_count
        self.leases = 0
        self.bursts = 0

    @classmethod
    def new(cls, config: ArenaPoolConfig) -> ArenaPool:
        return cls(config)

    @classmethod
    def default(cls) -> ArenaPool:
        return cls(ArenaPoolConfig())

    def acquire(self) -> ArenaLease:
        """A warm arena, or a new (burst) one when none is free."""
        if self._free:
            arena = self._free.pop()
        else:
            if self._total >= self.config.max_total:
                raise ArenaFull(f"ArenaPool: all {self.config.max_total} arenas are leased")
            arena = GenerationalArena(self.config.per_arena_bytes)
            self._total += 1
            self.bursts += 1
        self.leases += 1
        return ArenaLease(self, arena)

    def give_back(self, arena: GenerationalArena) -> None:
        arena.reset()
        if len(self._free) < self.config.warm_count:
            self._free.append(arena)
        else:
            self._total -= 1

    def total(self) -> int:
        """Arenas in existence: warm plus leased."""
        return self._total

    def warm_count(self) -> int:
        return len(self._free)

    def leases_total(self) -> int:
        return self.leases

    def bursts_total(self) -> int:
        return self.bursts

    def clone(self) -> ArenaPool:
        return self


@final
class ArenaLease:
    """Exclusive use of one arena until released (reset and returned)."""

    __slots__ = ("_arena", "_pool")

    def __init__(self, pool: ArenaPool, arena: GenerationalArena) -> None:
        self._pool = pool
        self._arena: GenerationalArena | None = arena

    def arena_mut(self) -> GenerationalArena:
        if self._arena is None:
            raise RuntimeError("ArenaLease: arena already returned")
        return self._arena

    def generation(self) -> int:
        return 0 if self._arena is None else self._arena.generation()

    def used(self) -> int:
        return 0 if self._arena is None else self._arena.used()

    def capacity(self) -> int:
        return 0 if self._arena is None else self._arena.capacity()

    def release(self) -> None:
        arena, self._arena = self._arena, None
        if arena is not None:
            self._pool.give_back(arena)

    def __enter__(self) -> ArenaLease:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()
