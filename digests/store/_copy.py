"""Copying one digestbot database into another (``digestbot db copy``): SQLite to
PostgreSQL when an installation outgrows one machine, and back, or SQLite to SQLite.

Plain functions taking two opened stores, not a Store part: the copy reads one database
and writes another, which no single store's method does. Every table is copied in
foreign-key order, in batches, keeping ids; the source is read in one snapshot (a read
transaction) so a copy of a database still written to is consistent with itself, and the
target is written in one transaction (emptied first with ``force``), so a failed copy
leaves it as it was. On PostgreSQL each table's id sequence is moved past the copied ids
before the commit, so the next row the bot adds does not collide with a copied one.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from digests.store._base import StoreBase, StoreError

# Every table of the schema in foreign-key order (a table after those it refers to), with
# the key its rows are read in order of. Not copied: the processes and their leases, which
# belong to the installation that runs on a database, not to its data, and the schema
# version, which each database keeps itself (both are migrated to the same one on opening).
TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("categories", ("slug",)),
    ("feeds", ("id",)),
    ("feed_categories", ("feed_id", "category")),
    ("stories", ("id",)),
    ("articles", ("id",)),
    ("article_categories", ("article_id", "category")),
    ("subscribers", ("id",)),
    ("subscriptions", ("subscriber_id", "category")),
    ("deliveries", ("id",)),
    ("sent_stories", ("subscriber_id", "story_id")),
    ("payloads", ("id",)),
    ("pushes", ("id",)),
    ("outbox", ("id",)),
    ("audit", ("id",)),
    ("guild_settings", ("platform", "guild_id")),
    ("links", ("code",)),
    ("signups", ("subscriber_id",)),
    ("publishes", ("id",)),
    ("publish_holds", ("subscriber_id",)),
    ("meta", ("key",)),
    ("pending_pushes", ("token",)),
    ("story_summaries", ("story_id", "language")),
    ("llm_usage", ("day", "name")),
    ("console_users", ("id",)),
    ("send_minutes", ("minute", "platform")),
)
# Also not copied: the console's sessions and its counts of failed log-ins; after a move
# every editor signs in again.
NOT_COPIED = ("processes", "leases", "console_sessions", "console_logins")

BATCH = 1000


@dataclass(frozen=True)
class TableCount:
    """How many rows a table holds in the source and, after the copy, in the target."""

    table: str
    source: int
    target: int


async def table_counts(store: StoreBase, tables: Sequence[str] | None = None) -> dict[str, int]:
    """The number of rows of each table (all copied tables by default)."""
    names = [name for name, _key in TABLES] if tables is None else list(tables)
    counts: dict[str, int] = {}
    for name in names:
        row = await store._fetchone(f"SELECT COUNT(*) FROM {name}")
        counts[name] = int(row[0]) if row else 0
    return counts


async def copy_store(
    source: StoreBase,
    target: StoreBase,
    *,
    force: bool = False,
    batch: int = BATCH,
    on_total: Callable[[int], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> list[TableCount]:
    """Copy every table of ``source`` into ``target``; return the counts on both sides.

    Raises StoreError when the target already holds rows (unless ``force``, which
    empties it first, in the same transaction as the copy), or when a row cannot be
    written (the message names the table). The target's counts are read after the
    commit; ``mismatch`` says whether they differ.
    ``on_total`` is told how many rows will be copied, ``on_rows`` each batch's size.
    """
    async with _snapshot(source):
        before = await table_counts(source)
        if on_total is not None:
            on_total(sum(before.values()))
        async with target._transaction() as db:
            await _make_room(target, db, force=force)
            for table, key in TABLES:
                if before[table]:
                    await _copy_table(source, target, db, table, key, batch, on_rows)
    after = await table_counts(target)
    return [TableCount(name, before[name], after[name]) for name, _key in TABLES]


def mismatch(counts: Sequence[TableCount]) -> str | None:
    """Why the copy is not whole: the tables whose counts differ (pure), or None."""
    differ = [c for c in counts if c.source != c.target]
    if not differ:
        return None
    shown = ", ".join(f"{c.table} {c.source} -> {c.target}" for c in differ)
    return f"the copy's row counts differ from the source's: {shown}"


@contextlib.asynccontextmanager
async def _snapshot(store: StoreBase) -> AsyncIterator[None]:
    """A read transaction on ``store``: every read inside sees the same database state,
    whatever a running bot writes meanwhile."""
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if store.dialect.postgres else "BEGIN"
    await store._db.execute(begin)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # only reads were made: nothing to keep
            await store._db.execute("ROLLBACK")


async def _make_room(target: StoreBase, db: Any, *, force: bool) -> None:
    """Refuse a target holding rows, or (``force``) empty it, inside the copy's
    transaction. The processes and leases count as rows: a target some bot runs on is
    not an empty one."""
    names = [name for name, _key in TABLES] + list(NOT_COPIED)
    if not force:
        for name in names:
            row = await (await db.execute(f"SELECT 1 FROM {name} LIMIT 1")).fetchone()
            if row is not None:
                raise StoreError(
                    f"the target database is not empty (table {name} has rows); "
                    "copy into an empty one, or pass --force to replace its contents"
                )
        return
    for name in reversed(names):  # the tables referring to others first
        await db.execute(f"DELETE FROM {name}")


async def _copy_table(
    source: StoreBase,
    target: StoreBase,
    db: Any,
    table: str,
    key: tuple[str, ...],
    batch: int,
    on_rows: Callable[[int], None] | None,
) -> None:
    """Copy ``table`` in batches of ``batch`` rows, read in the order of ``key`` (each
    batch starts after the last key of the one before, so no row is read twice)."""
    order = ", ".join(key)
    after = f"({order}) > ({', '.join('?' for _ in key)})" if len(key) > 1 else f"{key[0]} > ?"
    last: tuple[Any, ...] | None = None
    insert: str | None = None
    if key == ("id",) and target.dialect.postgres:
        target._sequenced.add(table)  # the commit moves {table}_id_seq past the copied ids
    while True:
        where = f" WHERE {after}" if last is not None else ""
        rows = await source._fetchall(
            f"SELECT * FROM {table}{where} ORDER BY {order} LIMIT ?", (*(last or ()), batch)
        )
        if not rows:
            return
        columns = list(rows[0].keys())
        if insert is None:
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
        try:
            await db.executemany(insert, [tuple(row) for row in rows])
        except sqlite3.DatabaseError as exc:
            reason = " ".join(str(exc).split())[:200]
            raise StoreError(f"cannot copy table {table}: {reason}") from None
        if on_rows is not None:
            on_rows(len(rows))
        last = tuple(rows[-1][name] for name in key)
        if len(rows) < batch:
            return
