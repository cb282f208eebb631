"""The schema on PostgreSQL: migrating a new database (the version kept in table
schema_version), reopening, refusing a newer schema, two processes starting together on an
empty database, ids given in batches against the sequences, and the one-line errors of a
server that cannot be used. ``test_schema.py`` covers the same on SQLite's files."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from digests.dburl import PostgresUrl
from digests.models import Category
from digests.store import Store, StoreError
from digests.store._engine import WRITE_LOCK_KEY
from digests.store._pg import PgConnection
from digests.store._schema import MIGRATIONS
from tests.builders import add_article
from tests.conftest import NOW
from tests.pg_server import PostgresServer

WITHIN_S = 30  # a real-time bound only: the waits end on what they wait for


@pytest.fixture
def empty_url(postgres_server: PostgresServer) -> Iterator[PostgresUrl]:
    """A new database with no tables at all, dropped after the test."""
    name = postgres_server.create_database()
    try:
        yield PostgresUrl(postgres_server.url(name))
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
async def raw(empty_url: PostgresUrl) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the same database, to look behind the store."""
    conn = await asyncpg.connect(empty_url.dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def layout(conn: asyncpg.Connection) -> list[tuple[Any, ...]]:
    """Every column and index of the public schema, and the recorded versions."""
    columns = await conn.fetch(
        """SELECT table_name, column_name, data_type, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = 'public'
           ORDER BY table_name, column_name"""
    )
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
    )
    versions = await conn.fetch("SELECT version FROM schema_version ORDER BY 1")
    return [tuple(r) for r in (*columns, *indexes, *versions)]


async def test_a_new_database_is_migrated_to_the_latest_version(
    empty_url: PostgresUrl, raw: asyncpg.Connection
) -> None:
    store = await Store.open(empty_url)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
    finally:
        await store.close()
    assert [r[0] for r in await raw.fetch("SELECT version FROM schema_version")] == [
        len(MIGRATIONS)
    ]
    tables = {
        r[0] for r in await raw.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    for table in (
        "categories",
        "feeds",
        "articles",
        "stories",
        "subscribers",
        "subscriptions",
        "deliveries",
        "sent_stories",
        "outbox",
        "payloads",
        "pushes",
        "processes",  # migration 9, the last one so far
        "leases",
        "pending_pushes",
    ):
        assert table in tables, table
    # Text compares byte by byte, as in SQLite, whatever the server's locale.
    collations = await raw.fetch(
        """SELECT DISTINCT collation_name FROM information_schema.columns
           WHERE table_schema = 'public' AND data_type = 'text'"""
    )
    assert [r[0] for r in collations] == ["C"]


async def test_opening_again_changes_nothing(
    empty_url: PostgresUrl, raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await Store.open(empty_url)).close()
    before = await layout(raw)
    scripts: list[str] = []
    real = PgConnection.executescript

    async def counted(self: PgConnection, script: str) -> None:
        scripts.append(script)
        await real(self, script)

    monkeypatch.setattr(PgConnection, "executescript", counted)
    store = await Store.open(empty_url)
    try:
        assert await store.migrate() == len(MIGRATIONS)
    finally:
        await store.close()
    assert scripts == []  # no migration ran again
    assert await layout(raw) == before


async def test_a_newer_schema_is_refused(postgres_url: PostgresUrl) -> None:
    conn = await asyncpg.connect(postgres_url.dsn)
    try:
        await conn.execute("UPDATE schema_version SET version = $1", len(MIGRATIONS) + 1)
    finally:
        await conn.close()
    with pytest.raises(StoreError, match="newer than this digestbot") as refused:
        await Store.open(postgres_url)
    assert f"version {len(MIGRATIONS) + 1}" in str(refused.value)


async def test_two_processes_opening_an_empty_database_at_once_migrate_it_once(
    empty_url: PostgresUrl, raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts: list[str] = []
    real = PgConnection.executescript

    async def counted(self: PgConnection, script: str) -> None:
        scripts.append(script)
        await real(self, script)

    monkeypatch.setattr(PgConnection, "executescript", counted)
    # Make both opens wait at the same moment, each on its own connection as two processes
    # would: another transaction holds the write lock and is creating schema_version
    # itself, then gives both up. Whatever an open does before it holds the write lock
    # (creating schema_version too, say) meets the other open's doing the same.
    await raw.execute("BEGIN")
    await raw.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
    await raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    opening = [asyncio.ensure_future(Store.open(empty_url)) for _ in range(2)]

    async def both_waiting() -> None:
        while not any(task.done() for task in opening):  # a failed open ends the wait
            waiting = await raw.fetchval(
                """SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()
                   AND pid IN (SELECT pid FROM pg_stat_activity
                               WHERE datname = current_database())"""
            )
            if waiting == 2:
                return
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(both_waiting(), WITHIN_S)
    finally:
        await raw.execute("ROLLBACK")
    results = await asyncio.wait_for(asyncio.gather(*opening, return_exceptions=True), WITHIN_S)
    stores = [r for r in results if isinstance(r, Store)]
    failed = [r for r in results if not isinstance(r, Store)]
    for store in stores:
        await store.close()
    # A collision here ("duplicate key ... pg_type") means schema_version is created
    # before the write lock is held (the fix is in _base._migrate_postgres).
    assert not failed, failed
    assert len(scripts) == len(MIGRATIONS)  # each migration ran once, in one of them
    assert [r[0] for r in await raw.fetch("SELECT version FROM schema_version")] == [
        len(MIGRATIONS)
    ]


async def test_ids_given_in_batches_never_meet_the_sequences_ids(
    postgres_url: PostgresUrl,
) -> None:
    """Articles and stories are inserted with ids the store computes (one round trip for
    a batch); the sequences must still move past them, even once those rows are deleted,
    or a later default id (or the next batch) would hand out an id a second time."""
    store = await Store.open(postgres_url)
    try:
        await store.upsert_category(Category("climate", "Climate"))
        titles = ("Heat pumps overtake boilers", "Glaciers retreat faster", "Ocean heat peaks")
        for number, title in enumerate(titles):
            await add_article(store, url=f"https://news.example/{number}", title=title, now=NOW)
        articles = [r[0] for r in await store._fetchall("SELECT id FROM articles ORDER BY id")]
        stories = [r[0] for r in await store._fetchall("SELECT id FROM stories ORDER BY id")]
        assert len(articles) == 3 and len(stories) == 3
        # A row given its id by the sequence comes after the batch's ids.
        async with store._transaction() as db:
            row = await (
                await db.execute(
                    """INSERT INTO stories (title, first_seen_at, last_seen_at)
                       VALUES ('by default', '2026-01-01', '2026-01-01') RETURNING id"""
                )
            ).fetchone()
        assert row[0] > max(stories)
        # Deleting everything frees no id: the next batch goes on after the last one given.
        highest = {"articles": max(articles), "stories": row[0]}
        async with store._transaction() as db:
            await db.execute("DELETE FROM articles")
            await db.execute("DELETE FROM stories")
        await add_article(store, url="https://news.example/late", title="Late news", now=NOW)
        again = await store._fetchone("SELECT id, story_id FROM articles")
        assert again[0] > highest["articles"] and again[1] > highest["stories"]
        async with store._transaction() as db:
            row = await (
                await db.execute(
                    """INSERT INTO articles (scope, url, title, source, published_at,
                           fetched_at, updated_at)
                       VALUES ('import:x', 'https://news.example/d', 'd', 's', '2026-01-01',
                           '2026-01-01', '2026-01-01') RETURNING id"""
                )
            ).fetchone()
        assert row[0] > again[0]
    finally:
        await store.close()


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_one_line_without(error: StoreError, secret: str) -> str:
    text = str(error)
    assert "\n" not in text and secret not in text and len(text) <= 300, text
    assert secret not in repr(error.args)
    return text


async def test_a_missing_database_is_one_line_without_the_password(
    postgres_server: PostgresServer,
) -> None:
    # The server trusts local log-ins, so the password is only carried, never checked.
    url = f"postgresql://postgres:Sup3rSecret@127.0.0.1:{postgres_server.port}/nowhere_db"
    with pytest.raises(StoreError) as refused:
        await Store.open(PostgresUrl(url))
    text = assert_one_line_without(refused.value, "Sup3rSecret")
    assert "no such database" in text and "nowhere_db" in text and "***" in text


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    port = _unused_port()  # nothing listens there any more
    url = f"postgresql://digest:Sup3rSecret@127.0.0.1:{port}/digests"
    with pytest.raises(StoreError) as refused:
        await Store.open(PostgresUrl(url))
    text = assert_one_line_without(refused.value, "Sup3rSecret")
    assert text.startswith("cannot reach PostgreSQL at ") and f":{port}/" in text


@pytest.fixture
def password_role(postgres_server: PostgresServer) -> Iterator[tuple[str, str]]:
    """A role that must log in with its password: the test server trusts every local
    log-in, so one line of pg_hba.conf (first, for this role only) asks this role for it."""
    role, password = f"pw_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    postgres_server.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    hba = postgres_server.folder / "data" / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n{original}")
    postgres_server.psql("SELECT pg_reload_conf()")
    try:
        yield role, password
    finally:
        hba.write_text(original)
        postgres_server.psql("SELECT pg_reload_conf()")
        postgres_server.psql(f"DROP ROLE IF EXISTS {role}")


async def test_a_wrong_password_is_one_line_without_either_password(
    postgres_server: PostgresServer, password_role: tuple[str, str]
) -> None:
    role, password = password_role
    where = f"127.0.0.1:{postgres_server.port}/postgres"
    # The right password gets in (the role may not create tables: only the log-in counts).
    conn = await asyncpg.connect(f"postgresql://{role}:{password}@{where}")
    await conn.close()
    url = f"postgresql://{role}:Wr0ngSecret@{where}"
    with pytest.raises(StoreError) as refused:
        await Store.open(PostgresUrl(url))
    text = assert_one_line_without(refused.value, "Wr0ngSecret")
    assert password not in text
    assert text == f"cannot log in to postgresql://{role}:***@{where}: wrong user name or password"


def test_the_checks_of_this_module_can_fail() -> None:
    """The one-line check refuses what it should, so the tests above can fail."""
    leaky = StoreError("cannot log in to postgresql://u:Sup3rSecret@h/db")
    with pytest.raises(AssertionError):
        assert_one_line_without(leaky, "Sup3rSecret")
    with pytest.raises(AssertionError):
        assert_one_line_without(StoreError("two\nlines"), "x")


async def test_a_statement_prepared_before_another_process_migrated_works_again(
    postgres_url: PostgresUrl,
) -> None:
    """A newer digestbot's migration (here a column more) invalidates the statements every
    running process prepared; each fails at most once, then is prepared again. (Fix for
    _pg.PgConnection: /work/coord/sql-delivery-seam.diff, forget the statement on
    InvalidCachedStatementError.)"""
    store = await Store.open(postgres_url)
    other = await asyncpg.connect(postgres_url.dsn)
    try:
        assert await store.audit_log() == []  # SELECT * FROM audit, now prepared
        await other.execute("ALTER TABLE audit ADD COLUMN extra TEXT")
        with contextlib.suppress(sqlite3.DatabaseError):
            await store.audit_log()
        assert await store.audit_log() == []
    finally:
        await other.close()
        await store.close()


async def test_an_error_postgresql_explains_stays_on_one_line(postgres_url: PostgresUrl) -> None:
    """asyncpg puts DETAIL and HINT on lines of their own; a logged error is one line
    (fix for _pg._translate: /work/coord/sql-delivery-seam.diff)."""
    store = await Store.open(postgres_url)
    try:
        await store.upsert_category(Category("climate", "Climate"))
        with pytest.raises(sqlite3.IntegrityError) as refused:  # its DETAIL names the key
            await store._db.execute("INSERT INTO categories (slug, name) VALUES ('climate', 'x')")
        assert "\n" not in str(refused.value) and "already exists" in str(refused.value)
    finally:
        await store.close()


async def test_reads_do_not_wait_while_another_process_writes(postgres_url: PostgresUrl) -> None:
    """Another process holds the write lock; this process's write waits for it, and its
    reads (and health) still answer, as SQLite's WAL lets them."""
    store = await Store.open(postgres_url)
    other = await asyncpg.connect(postgres_url.dsn)
    try:
        await other.execute("SELECT pg_advisory_lock($1)", WRITE_LOCK_KEY)
        write = asyncio.ensure_future(store.upsert_category(Category("climate", "Climate")))

        async def write_waiting() -> None:
            while not await other.fetchval(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(write_waiting(), WITHIN_S)
        assert await asyncio.wait_for(store.list_categories(), WITHIN_S) == []
        assert await asyncio.wait_for(store.health(), WITHIN_S) is None
        assert not write.done()
        await other.execute("SELECT pg_advisory_unlock($1)", WRITE_LOCK_KEY)
        await asyncio.wait_for(write, WITHIN_S)
        assert [c.slug for c in await store.list_categories()] == ["climate"]
    finally:
        await other.close()
        await store.close()
