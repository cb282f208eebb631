"""Opening a PostgreSQL database the way read-only commands do."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from digests.dburl import PostgresUrl
from digests.store import Store, StoreError
from tests import pg_server


async def test_a_read_only_open_of_an_empty_database_refuses_instead_of_migrating(
    postgres_server: pg_server.PostgresServer,
) -> None:
    name = postgres_server.create_database()
    url = PostgresUrl(postgres_server.url(name))
    with pytest.raises(StoreError, match=r"no digestbot database .*digestbot init"):
        await Store.open(url, create=False)
    assert postgres_server.psql("SELECT to_regclass('schema_version') IS NULL", name).strip() == "t"
    store = await Store.open(url)  # init creates it
    await store.close()
    again = await Store.open(url, create=False)
    assert await again.schema_version() > 0
    await again.close()


async def test_another_tasks_failing_read_loses_no_write(store: Store) -> None:
    """A read by another task while a write transaction is open cannot abort it: on
    PostgreSQL reads have a connection of their own, and a NUL in a looked-up text finds
    nothing instead of failing (as on SQLite)."""
    started, go = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with store._transaction() as db:
            await db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("kept", "v"))
            started.set()
            await go.wait()

    async def reader() -> None:
        await started.wait()
        try:
            assert await store.get_link("a\x00b") is None
            with pytest.raises(sqlite3.Error):
                await store._fetchall("SELECT * FROM no_such_table")
        finally:
            go.set()

    await asyncio.gather(writer(), reader())
    assert await store.get_meta("kept") == "v"


async def test_a_commit_the_server_turned_into_a_rollback_is_an_error(
    postgres_url: PostgresUrl,
) -> None:
    """A statement of the transaction failed and its error was caught: PostgreSQL then
    answers COMMIT with ROLLBACK and no error; the store must not take that for success."""
    store = await Store.open(postgres_url)
    try:
        with pytest.raises(sqlite3.OperationalError, match="nothing of it was written"):
            async with store._transaction() as db:
                await db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("lost", "v"))
                with pytest.raises(sqlite3.Error):
                    await db.execute("SELECT * FROM no_such_table")
        assert await store.get_meta("lost") is None
        async with store._transaction() as db:  # the connection goes on
            await db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("next", "v"))
        assert await store.get_meta("next") == "v"
    finally:
        await store.close()
