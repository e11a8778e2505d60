"""TrustBundleProvider: the trust bundles of every trusted domain, read from
files and swapped at runtime without a restart.

How this works: the provider holds one immutable `BundleSet`. `reload()`
reads every file again and, only if all of them parse, swaps the new set in
with a higher `generation`; a failed reload raises `TrustBundleError` and
leaves the old set in force, so a half-written file during a rotation never
empties the trust store. With `poll_interval`, `current()` (called by the
auth layer on each request and by the TLS hook on each handshake) stats the
files at most once per interval and reloads when a modification time, size
or inode changed, so a rotation by file replacement is picked up by the
next request or handshake after the interval. Stat calls are cheap and no
background task is needed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import final

from weft.identity.bundle import BundleSet, TrustBundle, TrustBundleError, load_bundle
from weft.identity.spiffe_id import SpiffeId

__all__ = ["TrustBundleProvider"]

_log = logging.getLogger("weft.identity")

_Signature = tuple[tuple[str, int, int, int] | tuple[str], ...]


@final
class TrustBundleProvider:
    """Bundles per trust domain from files; `reload()` or poll to rotate."""

    __slots__ = ("_clock", "_current", "_next_poll", "_signature", "_sources", "last_error",
                 "poll_interval")

    def __init__(self, sources: Mapping[str, str | Sequence[str]], *,
                 poll_interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not sources:
            raise ValueError("a TrustBundleProvider needs at least one trust domain")
        normalised: dict[str, tuple[str, ...]] = {}
        for domain, paths in sources.items():
            SpiffeId(domain)  # validates the trust domain name
            normalised[domain] = (paths,) if isinstance(paths, str) else tuple(paths)
            if not normalised[domain]:
                raise ValueError(f"trust domain {domain!r} has no bundle file")
        if poll_interval is not None and poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self._sources = MappingProxyType(normalised)
        self.poll_interval = poll_interval
        self._clock = clock
        self.last_error: str | None = None
        self._signature = self._stat()
        self._current = BundleSet(self._read(), 1)
        self._next_poll = clock() + poll_interval if poll_interval is not None else 0.0

    @property
    def trust_domains(self) -> tuple[str, ...]:
        return tuple(self._sources)

    @property
    def generation(self) -> int:
        return self._current.generation

    def _read(self) -> Mapping[str, TrustBundle]:
        return MappingProxyType({domain: load_bundle(domain, paths)
                                 for domain, paths in self._sources.items()})

    def _stat(self) -> _Signature:
        out: list[tuple[str, int, int, int] | tuple[str]] = []
        for paths in self._sources.values():
            for path in paths:
                try:
                    st = os.stat(path)
                except OSError:
                    out.append((path,))
                else:
                    out.append((path, st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(out)

    def reload(self) -> BundleSet:
        """Read every file again and swap the bundles in; on failure raise
        `TrustBundleError` and keep the bundles in force."""
        signature = self._stat()
        try:
            bundles = self._read()
        except TrustBundleError as exc:
            self.last_error = str(exc)
            self._signature = signature  # do not retry the same broken files on every poll
            raise
        self._signature = signature
        self.last_error = None
        self._current = BundleSet(bundles, self._current.generation + 1)
        _log.info("trust bundles reloaded (generation %d)", self._current.generation)
        return self._current

    def current(self) -> BundleSet:
        """The bundles in force, after a reload if polling found changed files."""
        if self.poll_interval is not None:
            now = self._clock()
            if now >= self._next_poll:
                self._next_poll = now + self.poll_interval
                if self._stat() != self._signature:
                    try:
                        self.reload()
                    except TrustBundleError:
                        _log.exception("trust bundle reload failed; keeping the previous bundles")
        return self._current

    def x509_bundle(self, trust_domain: str) -> TrustBundle | None:
        bundle = self.current().get(trust_domain)
        return bundle if bundle is not None and bundle.x509_roots else None

    def jwt_bundle(self, trust_domain: str) -> TrustBundle | None:
        bundle = self.current().get(trust_domain)
        return bundle if bundle is not None and bundle.jwt_keys else None
