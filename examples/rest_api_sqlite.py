"""Python providers for `examples/rest_api.vr`'s contexts.

`rest_api.vr` binds them with `@python("rest_api_sqlite:SqliteDatabase")`
and `@python("rest_api_sqlite:EnvConfig")`; `weftc build` copies this file
beside the generated package `rest_api`, whose types it uses.

* `EnvConfig` reads `Config` from the environment: `WEFT_JWT_SECRET` (at
  least 32 bytes, as HS256 requires; the development default below must not
  be used in production) and `WEFT_DB_PATH` (default `data/rest_api.sqlite3`,
  relative to the working directory).
* `SqliteDatabase` is `Database` on an embedded SQLite file. `connect(path)`
  opens it and then holds it for as long as the supervisor's `db` child
  runs, checking every `WEFT_DB_CHECK_SECONDS` (0.2 s) that the file is still
  the one it opened; if the file vanished or was replaced, the child crashes
  and the supervisor restarts it, which reopens (and recreates) the file.
  While the file cannot be opened at all (a missing volume, a path under a
  regular file), `connect` keeps retrying at that period instead of
  returning: an immediate exit would be restarted at once, and the restart
  storm would exceed the supervisor's intensity and stop the server. The
  readiness probe `ping` fails meanwhile, so `/_health/ready` answers 503.
  `WEFT_DB_LATENCY_MS` adds a delay to every query (fault injection, used to
  exercise the timeout layer and the readiness timeout).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from rest_api.types import DbError, DbError_Conflict, DbError_ConnectionLost, User, UserId
from weft.result import Err, Ok, Result

DEV_JWT_SECRET = "weft-development-secret-not-for-production-use"
DEFAULT_DB_PATH = "data/rest_api.sqlite3"

log = logging.getLogger("rest_api.db")


@dataclass(frozen=True, slots=True)
class EnvConfig:
    """`Config` from the environment, with development defaults."""

    jwt_secret: str = field(default_factory=lambda: os.environ.get("WEFT_JWT_SECRET",
                                                                    DEV_JWT_SECRET))
    db_url: str = field(default_factory=lambda: os.environ.get("WEFT_DB_PATH", DEFAULT_DB_PATH))


class DatabaseFileLost(Exception):
    """The open database file was removed or replaced: the `db` child must restart."""


class SqliteDatabase:
    """`Database` on one SQLite connection owned by the event loop's thread."""

    def __init__(self) -> None:
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._latency = float(os.environ.get("WEFT_DB_LATENCY_MS", "0")) / 1000.0
        self._check_every = float(os.environ.get("WEFT_DB_CHECK_SECONDS", "0.2"))

    def _open(self, path: str) -> sqlite3.Connection:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS users ("
                     "id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL)")
        st = os.stat(path)
        self._identity = (st.st_dev, st.st_ino)
        self._conn = conn
        return conn

    async def connect(self, url: str) -> Result[None, DbError]:
        conn = await self._open_retrying(url)
        try:
            while True:
                await asyncio.sleep(self._check_every)
                try:
                    st = os.stat(url)
                except FileNotFoundError:
                    raise DatabaseFileLost(f"{url} was removed") from None
                if (st.st_dev, st.st_ino) != self._identity:
                    raise DatabaseFileLost(f"{url} was replaced")
        finally:
            conn.close()
            if self._conn is conn:
                self._conn = None

    async def _open_retrying(self, path: str) -> sqlite3.Connection:
        reported = False
        while True:
            try:
                return self._open(path)
            except (OSError, sqlite3.Error) as exc:
                if not reported:
                    log.warning("cannot open database %s (%s); retrying every %g s",
                                path, type(exc).__name__, self._check_every)
                    reported = True
            await asyncio.sleep(self._check_every)

    async def ping(self) -> bool:
        """Readiness: the connection the `db` child holds answers a query."""
        if self._latency:
            await asyncio.sleep(self._latency)
        conn = self._conn
        if conn is None:
            return False
        try:
            conn.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    async def _ready(self) -> sqlite3.Connection | None:
        if self._latency:
            await asyncio.sleep(self._latency)
        if self._conn is None:
            try:
                return self._open(EnvConfig().db_url)
            except (OSError, sqlite3.Error):
                return None
        return self._conn

    async def find(self, id: UserId) -> Result[User | None, DbError]:
        conn = await self._ready()
        if conn is None:
            return Err(DbError_ConnectionLost())
        row = conn.execute("SELECT id, name, email FROM users WHERE id = ?", (id,)).fetchone()
        return Ok(None if row is None else User(int(row[0]), str(row[1]), str(row[2])))

    async def save(self, user: User) -> Result[UserId, DbError]:
        conn = await self._ready()
        if conn is None:
            return Err(DbError_ConnectionLost())
        try:
            conn.execute("INSERT INTO users (id, name, email) VALUES (?, ?, ?)",
                         (user.id, user.name, user.email))
        except sqlite3.IntegrityError:
            return Err(DbError_Conflict(f"user {user.id} already exists"))
        return Ok(user.id)
