"""PostgreSQL through asyncpg, answering like an aiosqlite connection (see ``_engine``).

Statements take turns on the one connection (asyncpg allows one at a time), each SQL text
is prepared once, its ``?`` placeholders numbered, and each argument converted to the type
PostgreSQL inferred for it. asyncpg's errors come out as sqlite3's DB-API classes, so a
store method catches the same errors on both engines.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from digests.dburl import PostgresUrl
from digests.errors import DigestbotError
from digests.store._engine import numbered

if TYPE_CHECKING:
    import asyncpg

STATEMENT_CACHE = 512
# executemany sends an ``INSERT ... VALUES (?, ...)`` (plain, or ``ON CONFLICT ... DO
# NOTHING``) as multi-row INSERTs of up to MULTI_ROW rows: the server spends about half the
# CPU of one execution per row (a dispatch's outbox rows). A remainder goes in power-of-two
# parts, so an INSERT has at most ten prepared forms. DO UPDATE is left alone: two rows of
# one statement may not update the same row.
MULTI_ROW = 512
_INSERT_VALUES = re.compile(
    r"^(?P<head>\s*INSERT\s+INTO\s+[^;]+?\bVALUES\s*)(?P<row>\((?:[^()']|'(?:[^']|'')*')*\))"
    r"(?P<tail>(?:\s+ON\s+CONFLICT\b[^;]*\bDO\s+NOTHING)?\s*)$",
    re.IGNORECASE | re.DOTALL,
)


class PgIntegrityError(sqlite3.IntegrityError, DigestbotError):
    """PostgreSQL refused a write that breaks a constraint (unique, foreign key, check)."""


class PgOperationalError(sqlite3.OperationalError, DigestbotError):
    """PostgreSQL could not be reached, or the connection broke."""


class PgDatabaseError(sqlite3.DatabaseError, DigestbotError):
    """PostgreSQL refused a statement."""


def _as_text(value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, str):
        # PostgreSQL text cannot hold U+0000: the server refuses the whole statement where
        # SQLite stores or looks the text up. U+FFFD (what a decoder puts for a byte it
        # cannot read) keeps the length and matches no stored text that had no NUL.
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def _as_int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value  # asyncpg's own error says what was wrong
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _as_float(value: Any) -> Any:
    return float(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else value


def _as_bool(value: Any) -> Any:
    return bool(value) if isinstance(value, int) else value


def _as_bytes(value: Any) -> Any:
    return value.encode() if isinstance(value, str) else value


_COERCE: dict[str, Callable[[Any], Any]] = {
    "text": _as_text,
    "varchar": _as_text,
    "bpchar": _as_text,
    "name": _as_text,
    "json": _as_text,
    "jsonb": _as_text,
    "int2": _as_int,
    "int4": _as_int,
    "int8": _as_int,
    "float4": _as_float,
    "float8": _as_float,
    "numeric": _as_float,
    "bool": _as_bool,
    "bytea": _as_bytes,
}


def _status_count(status: str | None) -> int:
    """The row count in a command tag such as ``UPDATE 3`` or ``INSERT 0 2``."""
    if not status:
        return -1
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgCursor:
    """The rows and row count of one statement, fetched at once."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = None  # PostgreSQL has none: the store uses RETURNING

    async def fetchall(self) -> list[Any]:
        return self._rows

    async def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    async def close(self) -> None:
        return None


class _Pending:
    """What ``execute`` returns: awaited, or used as ``async with``, like aiosqlite's."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        cursor: PgCursor = await self._run()
        return cursor

    async def __aexit__(self, *_exc: object) -> None:
        return None


def _translate(exc: BaseException) -> BaseException:
    import asyncpg  # loaded only once PostgreSQL is in use

    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return PgIntegrityError(_one_line(exc))
    if isinstance(
        exc,
        (
            OSError,
            asyncio.TimeoutError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.InterfaceError,
            asyncpg.CannotConnectNowError,
            asyncpg.AdminShutdownError,
        ),
    ):
        return PgOperationalError(f"database connection lost: {type(exc).__name__}: {exc}")
    if isinstance(exc, asyncpg.PostgresError):
        return PgDatabaseError(_one_line(exc))
    return exc


def _one_line(exc: BaseException) -> str:
    """asyncpg's message with its DETAIL and HINT lines joined into one line."""
    return "; ".join(" ".join(line.split()) for line in str(exc).splitlines() if line.strip())


class PgConnection:
    """One asyncpg connection behind aiosqlite's API: statements take turns (asyncpg allows
    one at a time per connection), and each SQL text is prepared once."""

    def __init__(self, connect: Callable[[], Any], conn: asyncpg.Connection | None) -> None:
        self._connect = connect
        self._conn: asyncpg.Connection | None = conn
        self._lock = asyncio.Lock()
        self._statements: OrderedDict[str, tuple[Any, tuple[Callable[[Any], Any], ...]]] = (
            OrderedDict()
        )
        self.in_transaction = False

    @property
    def closed(self) -> bool:
        return self._conn is None or self._conn.is_closed()

    async def _connection(self) -> asyncpg.Connection:
        """The live connection; a lost one is replaced (outside a transaction, whose work
        died with it)."""
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        if self.in_transaction:
            raise PgOperationalError("database connection lost in a transaction")
        self._statements.clear()
        self._conn = await self._connect()
        return self._conn

    async def _prepared(
        self, conn: asyncpg.Connection, sql: str
    ) -> tuple[Any, tuple[Callable[[Any], Any], ...]]:
        found = self._statements.get(sql)
        if found is not None:
            self._statements.move_to_end(sql)
            return found
        statement = await conn.prepare(numbered(sql))
        coercers = tuple(
            _COERCE.get(kind.name, lambda value: value) for kind in statement.get_parameters()
        )
        self._statements[sql] = (statement, coercers)
        if len(self._statements) > STATEMENT_CACHE:
            self._statements.popitem(last=False)
        return statement, coercers

    async def _run(self, sql: str, params: Sequence[Any]) -> PgCursor:
        async with self._lock:
            if self.closed and sql.strip().upper() == "ROLLBACK":
                # The server rolled the transaction back when the connection broke.
                self.in_transaction = False
                return PgCursor([], 0)
            try:
                conn = await self._connection()
                if not params and _is_control(sql):
                    status = await conn.execute(sql)
                    self._track(sql)
                    if status == "ROLLBACK" and _is_commit(sql):
                        # PostgreSQL answers COMMIT with ROLLBACK, and no error, when a
                        # statement of the transaction failed and its error was caught:
                        # nothing of it was written, which must not pass for success.
                        raise PgOperationalError(
                            "the transaction was aborted by a failed statement; "
                            "nothing of it was written"
                        )
                    return PgCursor([], _status_count(status))
                statement, coercers = await self._prepared(conn, sql)
                args = _arguments(coercers, params)
                rows = await statement.fetch(*args)
                return PgCursor(list(rows), _status_count(statement.get_statusmsg()))
            except Exception as exc:
                failure = self._failure(sql, exc)
                if failure is exc:
                    raise
                raise failure from exc

    def _failure(self, sql: str, exc: Exception) -> Exception:
        """What to raise for ``exc``: sqlite3's class for asyncpg's errors, else itself."""
        self._forget_if_stale(sql, exc)
        translated = _translate(exc)
        return translated if isinstance(translated, Exception) else exc

    def _forget_if_stale(self, sql: str, exc: BaseException) -> None:
        """A statement prepared before another process changed the schema (a newer
        digestbot's migration) fails once, and is prepared again at its next use instead
        of failing until this process restarts."""
        import asyncpg  # loaded only once PostgreSQL is in use

        if isinstance(exc, asyncpg.InvalidCachedStatementError):
            self._statements.pop(sql, None)

    def _track(self, sql: str) -> None:
        word = sql.strip().split(None, 1)[0].upper()
        if word in ("BEGIN", "START"):
            self.in_transaction = True
        elif word in ("COMMIT", "ROLLBACK", "END"):
            self.in_transaction = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Pending:
        return _Pending(lambda: self._run(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        batches = multi_row(sql, rows)
        text = sql
        async with self._lock:
            try:
                conn = await self._connection()
                for text, args in batches:
                    statement, coercers = await self._prepared(conn, text)
                    await statement.fetch(*_arguments(coercers, args))
                if not batches:
                    statement, coercers = await self._prepared(conn, sql)
                    await statement.executemany([_arguments(coercers, row) for row in rows])
            except Exception as exc:
                failure = self._failure(text, exc)
                if failure is exc:
                    raise
                raise failure from exc

    async def executescript(self, script: str) -> None:
        """Run several statements without arguments (migrations)."""
        async with self._lock:
            try:
                conn = await self._connection()
                await conn.execute(script)
            except Exception as exc:
                failure = self._failure(script, exc)
                if failure is exc:
                    raise
                raise failure from exc

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            try:
                await asyncio.wait_for(self._conn.close(), 5)
            except Exception:  # closing a broken connection: nothing more to do
                self._conn.terminate()
        self._conn = None


def _arguments(coercers: Sequence[Callable[[Any], Any]], params: Sequence[Any]) -> list[Any]:
    """``params`` converted for the statement; as in sqlite3, a count that does not match
    the placeholders is an error, not silently cut."""
    if len(params) != len(coercers):
        raise PgDatabaseError(
            f"Incorrect number of bindings supplied: {len(coercers)} wanted, {len(params)} given"
        )
    return [coerce(value) for coerce, value in zip(coercers, params, strict=True)]


def _is_commit(sql: str) -> bool:
    return sql.strip().split(None, 1)[0].upper() in ("COMMIT", "END")


def multi_row(sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[str, list[Any]]]:
    """``rows`` of an ``INSERT ... VALUES (?, ...)`` as (multi-row statement, its arguments)
    pairs; [] when ``sql`` is anything else (then each row is one execution)."""
    found = _INSERT_VALUES.match(sql)
    if found is None or len(rows) < 2:
        return []
    head, row, tail = found.group("head", "row", "tail")
    if not 0 < row.count("?") <= 32767 // MULTI_ROW:
        return []
    sizes = [MULTI_ROW] * (len(rows) // MULTI_ROW)
    rest, part = len(rows) % MULTI_ROW, MULTI_ROW
    while rest:
        part //= 2
        if rest >= part:
            sizes.append(part)
            rest -= part
    batches, start = [], 0
    for size in sizes:
        args = [value for values in rows[start : start + size] for value in values]
        batches.append((head + ", ".join([row] * size) + tail, args))
        start += size
    return batches


def _is_control(sql: str) -> bool:
    word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return word in ("BEGIN", "START", "COMMIT", "ROLLBACK", "END", "SET")


def connect_error(url: PostgresUrl, exc: BaseException) -> str:
    """One line saying why connecting to ``url`` failed, without its password."""
    import asyncpg  # loaded only once PostgreSQL is in use

    where = str(url)
    if isinstance(
        exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return f"cannot log in to {where}: wrong user name or password"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"cannot open {where}: no such database (create it with createdb)"
    if isinstance(exc, (OSError, asyncio.TimeoutError)):
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return f"cannot reach PostgreSQL at {where}: {reason}"
    text = str(exc).replace(url.password or "\0", "***") if url.password else str(exc)
    return f"cannot open {where}: {type(exc).__name__}: {text}"[:300]
