"""Connection handling shared by the store's domain parts: opening either engine (SQLite
through aiosqlite, PostgreSQL through ``_engine.PgConnection``), migrating, transactions."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from digests.dburl import PostgresUrl
from digests.errors import NotFoundError, UserFacingError
from digests.store._engine import POSTGRES, SQLITE, WRITE_LOCK_KEY, Dialect, postgres_ddl
from digests.store._pg import PgConnection, connect_error
from digests.store._schema import MIGRATIONS, POSTGRES_FORMS

CONNECT_TIMEOUT_S = 10.0

BEGIN_ATTEMPTS = 20


class StoreError(UserFacingError):
    """The store could not do what was asked; the message says why."""


class NotFound(StoreError, NotFoundError):
    """A named thing (category, feed, subscriber) does not exist."""


class StoreBase:
    """Owns the aiosqlite connection; the domain mixins use its helpers."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path | PostgresUrl | None,
        dialect: Dialect = SQLITE,
    ) -> None:
        self._db = db
        # What _fetchall/_fetchone read through. On PostgreSQL a connection of its own: a
        # read another task makes while a write transaction is open must not run inside
        # it (a failed read would abort that transaction; SQLite's would not), nor wait
        # behind the write lock (on SQLite, WAL never makes a reader wait for a writer).
        self._reader: Any = db
        # The task whose write transaction is open: its own reads (a callback such as
        # push_new_article's content, which reads the article it just stored) go through
        # the transaction's connection and see its writes; other tasks' reads do not.
        self._writer_task: asyncio.Task[Any] | None = None
        self.path = path  # printing it never shows a password
        self.dialect = dialect
        # Tables given explicit ids in this PostgreSQL transaction: their sequences are
        # moved past them before it commits (SQLite's AUTOINCREMENT does that itself).
        self._sequenced: set[str] = set()
        # One connection is shared by concurrent tasks: writes take turns so that one
        # task's BEGIN never swallows another task's statements.
        self._write_lock = asyncio.Lock()
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the open file

    @classmethod
    async def open(cls, path: Path | str | PostgresUrl, *, create: bool = True) -> Any:
        """Open (creating if needed) the database at ``path`` (a SQLite file, or a
        PostgresUrl) and bring its schema up to date.

        With ``create=False`` (read-only commands) a missing file is an error, not a new
        empty database. Raises StoreError when the file cannot be opened, does not exist
        and may not be created, or is not a digestbot database; on PostgreSQL, when the
        server cannot be reached or refuses the log-in.
        """
        if isinstance(path, PostgresUrl):
            return await cls._open_postgres(path, create=create)
        target = Path(path)
        if str(target) != ":memory:" and not create and not target.exists():
            raise StoreError(f"no database at {target}; create it with 'digestbot init'")
        if str(target) != ":memory:":
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(str(target), isolation_level=None)
        except Exception as exc:  # sqlite3.OperationalError carries the reason
            raise StoreError(f"cannot open database {target}: {exc}") from exc
        db.row_factory = aiosqlite.Row
        store = cls(db, target)
        try:
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA busy_timeout = 5000")
            # 64 MB of page cache (the default is 2 MB): a dispatch touches every subscriber.
            await db.execute("PRAGMA cache_size = -65536")
            await db.execute("PRAGMA temp_store = MEMORY")
            # Checkpoint the WAL every ~40 MB instead of every 4 MB: a dispatch writes tens of
            # MB, and each checkpoint copies pages a second time.
            await db.execute("PRAGMA wal_autocheckpoint = 10000")
            await store.migrate()
            if str(target) != ":memory:":
                store._identity = _file_identity(target)
        except Exception as exc:
            await db.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot use database {target}: {exc}") from exc
        return store

    @classmethod
    async def _open_postgres(cls, url: PostgresUrl, *, create: bool) -> Any:
        import asyncpg  # only loaded when PostgreSQL is used

        async def connect() -> asyncpg.Connection:
            # A frozen process holding a write transaction (and with it the write lock
            # every process takes) is cut off after a minute instead of stalling them all.
            return await asyncpg.connect(
                url.dsn,
                timeout=CONNECT_TIMEOUT_S,
                server_settings={"idle_in_transaction_session_timeout": "60000"},
            )

        try:
            conn = await connect()
        except Exception as exc:
            raise StoreError(connect_error(url, exc)) from None
        store = cls(PgConnection(connect, conn), url, POSTGRES)  # type: ignore[arg-type]
        store._reader = PgConnection(connect, None)  # connects at its first read
        try:
            if not create and await store.schema_version() == 0:
                # As a missing SQLite file: read-only commands do not set a database up.
                raise StoreError(f"no digestbot database at {url}; create it with 'digestbot init'")
            await store.migrate()
        except Exception as exc:
            await store.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot use database {url}: {exc}") from exc
        return store

    async def close(self) -> None:
        side = getattr(self, "_side_reader", None)
        if side is not None:
            self._side_reader = None
            await side.close()
        if self._reader is not self._db:
            await self._reader.close()
        await self._db.close()

    async def health(self, timeout: float = 5.0) -> str | None:
        """Why this store can no longer be trusted with writes, in one line without the
        file's path (health checks are public), or None.

        A database file deleted or replaced under the running process still accepts
        writes (into the old, unlinked file nobody will read again), so the file at
        ``path`` must still be the one opened; and the database must answer.
        """
        if self._identity is not None and isinstance(self.path, Path):
            try:
                now_there = _file_identity(self.path)
            except OSError as exc:
                return f"the database file is gone ({exc.strerror}); restart digestbot"
            if now_there != self._identity:
                return "the database file was replaced since it was opened; restart digestbot"
        try:
            await asyncio.wait_for(self.schema_version(), timeout)
            if self._db is not self._reader and self._db.closed:  # type: ignore[attr-defined]
                # Reads answer on their own connection; a lost write connection (nothing
                # may be waiting on it) must connect again too.
                await asyncio.wait_for(self._db.execute("SELECT 1"), timeout)
        except Exception as exc:  # any failure to answer is the answer
            return f"database does not answer: {type(exc).__name__}: {exc}"[:300]
        return None

    async def schema_version(self) -> int:
        if self.dialect.postgres:
            row = await self._fetchone("SELECT to_regclass('schema_version') IS NOT NULL")
            if not row or not row[0]:
                return 0
            row = await self._fetchone("SELECT MAX(version) FROM schema_version")
            return int(row[0]) if row and row[0] is not None else 0
        row = await self._fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration the database lacks, each in one transaction; return the version."""
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise StoreError(
                f"database schema version {version} is newer than this digestbot "
                f"({len(MIGRATIONS)}); upgrade digestbot"
            )
        if self.dialect.postgres:
            await self._migrate_postgres()
            return len(MIGRATIONS)
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
            except Exception as exc:
                with contextlib.suppress(Exception):
                    await self._db.execute("ROLLBACK")
                raise StoreError(f"migration {number} failed: {exc}") from exc
        return len(MIGRATIONS)

    async def _migrate_postgres(self) -> None:
        """PostgreSQL keeps the version in a table; each migration is one transaction under
        the write lock, so processes starting together migrate once. A PostgreSQL database
        is always created by this code, so the data repairs among the migrations (which
        fix rows older versions wrote to SQLite) have their PostgreSQL forms in
        ``POSTGRES_FORMS``."""
        async with self._transaction() as db:  # under the lock: two processes start at once
            await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        while True:
            async with self._transaction() as db:
                row = await (await db.execute("SELECT MAX(version) FROM schema_version")).fetchone()
                version = int(row[0]) if row and row[0] is not None else 0
                if version > len(MIGRATIONS):
                    raise StoreError(
                        f"database schema version {version} is newer than this digestbot "
                        f"({len(MIGRATIONS)}); upgrade digestbot"
                    )
                if version == len(MIGRATIONS):
                    return
                number = version + 1
                script = POSTGRES_FORMS.get(number, MIGRATIONS[number - 1])
                try:
                    await db.executescript(postgres_ddl(script))  # type: ignore[attr-defined]
                except Exception as exc:
                    raise StoreError(f"migration {number} failed: {exc}") from exc
                await db.execute("DELETE FROM schema_version")
                await db.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._begin()
            self._writer_task = asyncio.current_task()
            try:
                yield self._db
                await self._sync_sequences()
            except BaseException:
                self._writer_task = None
                self._sequenced.clear()
                with contextlib.suppress(Exception):  # a lost connection rolled back itself
                    await self._db.execute("ROLLBACK")
                raise
            else:
                self._writer_task = None
                await self._db.execute("COMMIT")

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting out another connection's write transaction.

        SQLite's busy timeout covers most waits, but it can answer "database is locked"
        at once (or after the timeout on a loaded machine) while another process or
        connection writes; a few more tries, yielding to the event loop between them,
        let that writer finish instead of failing this one.
        """
        if self.dialect.postgres:
            await self._db.execute("BEGIN")
            try:
                await self._db.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            except BaseException:
                with contextlib.suppress(Exception):
                    await self._db.execute("ROLLBACK")
                raise
            return
        for attempt in range(BEGIN_ATTEMPTS):
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == BEGIN_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(min(0.5, 0.02 * (attempt + 1)))

    async def _next_id(self, db: aiosqlite.Connection, table: str) -> int:
        """The id the next row of an AUTOINCREMENT table gets. Only call it inside a write
        transaction: it lets a batch insert with explicit ids in one round trip."""
        if self.dialect.postgres:
            self._sequenced.add(table)
            row = await (
                await db.execute(
                    f"SELECT GREATEST(COALESCE((SELECT MAX(id) FROM {table}), 0), "
                    f"(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
                    f"FROM {table}_id_seq))"
                )
            ).fetchone()
            return int(row[0]) + 1 if row else 1
        row = await (
            await db.execute(
                f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), "
                f"COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0))",
                (table,),
            )
        ).fetchone()
        return int(row[0]) + 1 if row else 1

    async def _sync_sequences(self) -> None:
        """Move each sequence past the explicit ids this transaction gave (PostgreSQL), so
        an id is never handed out twice, even after its row was deleted."""
        while self._sequenced:
            table = self._sequenced.pop()
            await self._db.execute(
                f"SELECT setval('{table}_id_seq', GREATEST((SELECT MAX(id) FROM {table}), "
                f"(SELECT last_value FROM {table}_id_seq)))"
            )

    def _read_connection(self) -> Any:
        """The transaction's connection for the task inside it (it must see its own
        writes), the reading one for every other task."""
        if self._writer_task is not None and self._writer_task is asyncio.current_task():
            return self._db
        return self._reader

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._read_connection().execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._read_connection().execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _fetchall_aside(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """A long read (a count over every subscriber) that must not hold up writes: on
        SQLite through a read-only connection of its own (its own thread; WAL lets it read
        while the writer writes), elsewhere as ``_fetchall``."""
        if self.dialect.name != "sqlite" or self.path is None or str(self.path) == ":memory:":
            return await self._fetchall(sql, params)
        side = getattr(self, "_side_reader", None)
        if side is None:
            side = await aiosqlite.connect(
                f"file:{Path(self.path).as_posix()}?mode=ro", uri=True, isolation_level=None
            )
            await side.execute("PRAGMA busy_timeout = 5000")
            if getattr(self, "_side_reader", None) is None:
                self._side_reader = side
            else:  # two first reads at once: keep one connection
                await side.close()
                side = self._side_reader
        async with side.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


def _file_identity(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def like_literal(text: str) -> str:
    """``text`` inside a ``LIKE ... ESCAPE '\\'`` pattern, its ``%``, ``_`` and ``\\``
    taken literally (pure; the same on both engines)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def placeholders(items: Iterable[Any]) -> str:
    """``?, ?, ?`` for an IN clause with one marker per item."""
    return ", ".join("?" for _ in items)


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """Split a sequence so that IN clauses stay under SQLite's variable limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
