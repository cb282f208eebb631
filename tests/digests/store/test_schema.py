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

    path = tmp_path / "old.db"
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS[:1])
    old = await Store.open(path)
    # Raw SQL: today's store methods may name columns a later migration adds.
    await old._db.execute("INSERT INTO categories (slug, name) VALUES ('climate', 'Climate')")
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


async def test_a_write_waits_for_another_connections_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from digests.models import Category

    # The store pauses with asyncio.sleep between tries of BEGIN: seeing that pause is
    # seeing a try refused as "locked" and another one coming.
    real_sleep = asyncio.sleep
    retrying = asyncio.Event()

    async def pause(delay: float) -> None:
        retrying.set()
        await real_sleep(delay)

    path = tmp_path / "busy.db"
    first = await Store.open(path)
    second = await Store.open(path)
    try:
        await second._db.execute("PRAGMA busy_timeout = 0")  # "locked" at once, every time
        await first._db.execute("BEGIN IMMEDIATE")
        monkeypatch.setattr(asyncio, "sleep", pause)
        write = asyncio.create_task(second.upsert_category(Category("climate", "Climate")))
        await asyncio.wait_for(retrying.wait(), 5)
        assert not write.done()  # refused once, still trying, not failed
        await first._db.execute("COMMIT")
        await asyncio.wait_for(write, 5)
        assert [c.slug for c in await first.list_categories()] == ["climate"]
    finally:
        await first.close()
        await second.close()


async def test_migration_5_recomputes_url_keys_and_merges_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digests.store._base as base

    path = tmp_path / "v4.db"
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS[:4])
    old = await Store.open(path)
    for slug in ("climate", "markets"):
        await old._db.execute(
            "INSERT INTO categories (slug, name) VALUES (?, ?)", (slug, slug.title())
        )
    at = "2026-11-27T10:00:00+00:00"
    await old._db.executescript(
        f"""
        INSERT INTO subscribers (id, platform, chat_id, created_at, updated_at)
            VALUES (1, 'telegram', '1', '{at}', '{at}');
        INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES
            (1, 'Budget', '{at}', '{at}'), (2, 'Budget again', '{at}', '2026-11-27T11:00:00+00:00'),
            (3, 'Books', '{at}', '{at}');
        -- 1 and 2 are one address once dot segments are resolved; 6 is a plain duplicate
        -- (as concurrent posts made them); 3 and 4 are one host in Unicode and punycode.
        INSERT INTO articles (id, scope, guid, url, title, source, published_at,
                              fetched_at, updated_at, story_id) VALUES
            (1, 'import:desk', NULL, 'https://cms.example/a/../b', 'Budget', 'Desk',
             '{at}', '{at}', '{at}', 1),
            (2, 'import:desk', 'g-2', 'https://cms.example/b', 'Budget', 'Desk',
             '{at}', '{at}', '{at}', 2),
            (3, 'import:desk', NULL, 'https://bücher.example/x', 'Books', 'Desk',
             '{at}', '{at}', '{at}', NULL),
            (4, 'import:desk', NULL, 'https://xn--bcher-kva.example/x', 'Books', 'Desk',
             '{at}', '{at}', '{at}', 3),
            (5, 'import:other', NULL, 'https://cms.example/b', 'Budget', 'Other',
             '{at}', '{at}', '{at}', 1),
            (6, 'import:desk', NULL, 'https://cms.example/b', 'Budget', 'Desk',
             '{at}', '{at}', '{at}', 2);
        INSERT INTO article_categories (article_id, category) VALUES
            (1, 'climate'), (2, 'markets'), (3, 'climate'), (4, 'climate'), (5, 'climate'),
            (6, 'climate');
        INSERT INTO sent_stories (subscriber_id, story_id, sent_at) VALUES (1, 2, '{at}');
        INSERT INTO pushes (id, category, story_id, article_id, status, requested_by,
                            created_at) VALUES (1, 'climate', 2, 6, 'done', 'cli', '{at}');
        INSERT INTO feeds (id, url, interval_s, created_at) VALUES
            (1, 'https://feeds.example/a/../rss', 900, '{at}'),
            (2, 'https://feeds.example/x/../y', 900, '{at}'),
            (3, 'https://feeds.example/y', 900, '{at}');
        """
    )
    assert await old.schema_version() == 4
    await old.close()

    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        rows = await store._fetchall(
            "SELECT id, scope, guid, url, story_id FROM articles ORDER BY id"
        )
        assert [tuple(r) for r in rows] == [
            # The oldest id is kept, with the duplicates' guid and its own story.
            (1, "import:desk", "g-2", "https://cms.example/b", 1),
            # An article without a story takes its duplicate's.
            (3, "import:desk", None, "https://xn--bcher-kva.example/x", 3),
            (5, "import:other", None, "https://cms.example/b", 1),
        ]
        cats = await store._fetchall(
            "SELECT article_id, category FROM article_categories ORDER BY 1, 2"
        )
        assert [tuple(r) for r in cats] == [
            (1, "climate"),
            (1, "markets"),
            (3, "climate"),
            (5, "climate"),
        ]
        # Story 2 lost its only articles: gone; who had it counts as having story 1.
        stories = await store._fetchall("SELECT id, last_seen_at FROM stories ORDER BY id")
        assert [r[0] for r in stories] == [1, 3]
        assert stories[0][1] == "2026-11-27T11:00:00+00:00"
        sent = await store._fetchall("SELECT story_id FROM sent_stories ORDER BY 1")
        assert [r[0] for r in sent] == [1, 2]
        push = await store._fetchone("SELECT story_id, article_id FROM pushes")
        assert tuple(push) == (1, 1)
        feeds = await store._fetchall("SELECT id, url FROM feeds ORDER BY id")
        assert [tuple(r) for r in feeds] == [
            (1, "https://feeds.example/rss"),
            (2, "https://feeds.example/x/../y"),  # would collide with feed 3: kept
            (3, "https://feeds.example/y"),
        ]
        with pytest.raises(sqlite3.IntegrityError):
            await store._db.execute(
                "INSERT INTO articles (scope, url, title, source, published_at, fetched_at, "
                "updated_at) VALUES ('import:desk', 'https://cms.example/b', 't', 's', "
                "'x', 'x', 'x')"
            )
    finally:
        await store.close()


async def test_migration_6_removes_bidi_controls_from_stored_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digests.store._base as base

    path = tmp_path / "v5.db"
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS[:5])
    old = await Store.open(path)
    at = "2026-11-27T10:00:00+00:00"
    spoof = "Invoice \u202efdp.exe\u2066 \u200fnote\u2069"
    await old._db.execute(
        "INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES (1, ?, ?, ?)",
        (spoof, at, at),
    )
    await old._db.execute(
        "INSERT INTO articles (scope, url, title, summary, source, author, published_at, "
        "fetched_at, updated_at, story_id) VALUES ('import:desk', 'https://cms.example/a', "
        "?, ?, ?, NULL, ?, ?, ?, 1)",
        (spoof, "plain summary", "Desk\u202b", at, at, at),
    )
    await old.close()
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(path)
    try:
        row = await store._fetchone("SELECT title, summary, source, author FROM articles")
        assert tuple(row) == ("Invoice fdp.exe note", "plain summary", "Desk", None)
        story = await store._fetchone("SELECT title FROM stories")
        assert story[0] == "Invoice fdp.exe note"
    finally:
        await store.close()


async def test_migration_7_keeps_categories_live_and_chats_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digests.store._base as base

    path = tmp_path / "v6.db"
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS[:6])
    old = await Store.open(path)
    at = "2026-11-27T10:00:00+00:00"
    await old._db.execute("INSERT INTO categories (slug, name) VALUES ('climate', 'Climate')")
    await old._db.execute(
        "INSERT INTO subscribers (id, platform, chat_id, created_at, updated_at) "
        "VALUES (1, 'telegram', '-5', ?, ?)",
        (at, at),
    )
    await old._db.execute(
        "INSERT INTO subscriptions (subscriber_id, category, created_at) VALUES (1, 'climate', ?)",
        (at,),
    )
    await old._db.execute(
        "INSERT INTO audit (at, actor, platform, action, outcome) "
        "VALUES (?, 'telegram:9', 'telegram', 'press', 'refused')",
        (at,),
    )
    await old.close()
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        [category] = await store.list_categories()
        assert (category.slug, category.retired_at) == ("climate", None)
        sub = await store.get_subscriber(1)
        assert sub.categories == ("climate",)
        assert (sub.last_change, sub.changed_by, sub.changed_at) == (None, None, None)
        [entry] = await store.audit_log()
        assert entry.count == 1
    finally:
        await store.close()


async def test_migration_8_keeps_feeds_syncable_and_chats_unpublished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digests.store._base as base

    path = tmp_path / "v7.db"
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS[:7])
    old = await Store.open(path)
    at = "2026-11-27T10:00:00+00:00"
    await old._db.execute(
        "INSERT INTO feeds (id, url, interval_s, created_at) "
        "VALUES (1, 'https://a.example/feed', 1800, ?)",
        (at,),
    )
    await old._db.execute(
        "INSERT INTO subscribers (id, platform, chat_id, created_at, updated_at) "
        "VALUES (1, 'discord', '77', ?, ?)",
        (at, at),
    )
    await old.close()
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS) >= 8
        # Feeds from before could have come from feeds.toml: a sync may still disable them.
        [feed] = await store.list_feeds()
        assert feed.origin == "file"
        row = await store._fetchone("SELECT announcement FROM subscribers WHERE id = 1")
        assert row is not None and row[0] == 0
        assert await store.signup_counts() == [] and await store.list_links() == []
    finally:
        await store.close()
