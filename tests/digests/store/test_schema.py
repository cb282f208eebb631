from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from digests.store import Store, StoreError
from digests.store._schema import MIGRATIONS


async def test_migrations_on_an_empty_database(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "new.db")
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert (await store._fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await store._fetchone("PRAGMA foreign_keys"))[0] == 1
        tables = {r[0] for r in await store._fetchall("SELECT name FROM sqlite_master")}
        for table in (
            "categories",
            "feeds",
            "articles",
            "stories",
            "subscribers",
            "subscriptions",
            "deliveries",
            "sent_stories",
            "feed_categories",
        ):
            assert table in tables
    finally:
        await store.close()


async def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    await (await Store.open(path)).close()
    store = await Store.open(path)
    assert await store.migrate() == len(MIGRATIONS)
    await store.close()


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer than this digestbot"):
        await Store.open(path)


async def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt"):
        await Store.open(path)


async def test_a_failing_migration_leaves_the_version_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digests.store._base as base

    monkeypatch.setattr(base, "MIGRATIONS", (*MIGRATIONS, "CREATE TABLE broken (;"))
    path = tmp_path / "db.sqlite"
    with pytest.raises(StoreError, match=f"migration {len(MIGRATIONS) + 1} failed"):
        await Store.open(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


async def test_an_older_database_is_upgraded_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digests.store._base as base
    from digests.models import Category

    path = tmp_path / "old.db"
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS[:1])
    old = await Store.open(path)
    await old.upsert_category(Category("climate", "Climate"))
    await old._db.execute(
        "INSERT INTO subscribers (platform, chat_id, created_at, updated_at) "
        "VALUES ('telegram', '1', 'x', 'x')"
    )
    assert await old.schema_version() == 1
    await old.close()
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert [c.slug for c in await store.list_categories()] == ["climate"]
        row = await store._fetchone("SELECT delivery_failures FROM subscribers")
        assert row[0] == 0  # a column added by a later migration, with its default
    finally:
        await store.close()


async def test_a_write_waits_for_another_connections_transaction(tmp_path: Path) -> None:
    import asyncio

    from digests.models import Category

    path = tmp_path / "busy.db"
    first = await Store.open(path)
    second = await Store.open(path)
    try:
        await second._db.execute("PRAGMA busy_timeout = 0")  # "locked" at once, every time
        await first._db.execute("BEGIN IMMEDIATE")
        write = asyncio.create_task(second.upsert_category(Category("climate", "Climate")))
        await asyncio.sleep(0.1)
        assert not write.done()  # still trying, not failed
        await first._db.execute("COMMIT")
        await asyncio.wait_for(write, 5)
        assert [c.slug for c in await first.list_categories()] == ["climate"]
    finally:
        await first.close()
        await second.close()
