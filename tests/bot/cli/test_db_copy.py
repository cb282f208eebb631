"""``digestbot db copy``: a populated SQLite database copied to PostgreSQL and back keeps
every row and id; a non-empty target is refused without --force; hostile arguments end
in one line and status 2."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from digests import breaking
from digests.dburl import PostgresUrl
from digests.deliver import DeliveryWorker
from digests.models import SummaryRecord
from digests.pacing import Pacer
from digests.render import Renderer
from digests.settings import DeliveryLimits
from digests.store import Store
from digests.store._copy import NOT_COPIED, TABLES, TableCount, mismatch
from digests.store._pending import StoredPush
from digests.timeutil import FakeClock
from tests.conftest import CATEGORIES, NOW, RecordingSender

pytestmark = pytest.mark.usefixtures("clean_cwd")


async def populate(path: Path) -> None:
    """A database with a row in every copied table: feeds and articles, a subscriber
    with subscriptions (one with keywords), a breaking push sent to two chats (outbox
    entries, their payloads, deliveries, sent stories), audit rows, a link and a sign-up,
    a server's admin role, an announcement channel's publish and hold, a pending push,
    meta, a console account."""
    store = await Store.open(path)
    try:
        for category in CATEGORIES:
            await store.upsert_category(category)
        await store.upsert_feed(
            "https://feeds.example/ai.xml",
            ["ai-frontier", "climate"],
            now=NOW,
            name="AI feed",
            interval=timedelta(minutes=15),
            priority=2,
        )
        reader = await store.upsert_subscriber("telegram", "1", now=NOW, language="vi")
        await store.subscribe(reader.id, ["climate", "markets"], now=NOW, by="telegram:1")
        await store.set_keywords(reader.id, "markets", ["oil", "Đồng"], now=NOW)
        channel = await store.upsert_subscriber("discord", "555", guild_id="77", now=NOW)
        link = await store.add_link(["climate", "ai-frontier"], source="website", now=NOW)
        await store.subscribe_through_link(
            channel.id, ["climate"], link=link.code, source="website", now=NOW
        )
        await store.set_admin_role("discord", "77", "999", now=NOW)
        await store.set_announcement("discord", "555", True)
        reservation = await store.reserve_publish("discord", "555", "m1", now=NOW)
        assert reservation is not None
        await store.publish_refused(reservation, limited=True, hold_until=NOW + timedelta(hours=1))
        article = await breaking.resolve_article(
            store, category="climate", now=NOW, url="https://n.example/flood", title="Floods"
        )
        await breaking.start_push(
            store, Renderer(), category="climate", article=article, requested_by="cli", now=NOW
        )
        senders = {"telegram": RecordingSender("telegram"), "discord": RecordingSender("discord")}
        worker = DeliveryWorker(store, senders, Pacer({}), FakeClock(NOW), DeliveryLimits())
        await worker.run_once()
        await breaking.start_push(  # a second article, queued and not sent
            store,
            Renderer(),
            category="climate",
            article=await breaking.resolve_article(
                store, category="climate", now=NOW, url="https://n.example/b", title="B"
            ),
            requested_by="cli",
            now=NOW,
        )
        await store.audit(
            actor="cli", platform="cli", action="breaking", outcome="ok", now=NOW, target="x"
        )
        await store.audit_refusal(actor="telegram:9", platform="telegram", action="push", now=NOW)
        await store.add_pending_push(
            StoredPush("tok1", "telegram", "climate", article.id, "42", NOW + timedelta(hours=1)),
            now=NOW,
        )
        await store.set_meta("last_dispatch_at", NOW.isoformat())
        await store.save_summary(  # a model's summary and the day's use (issue 14)
            SummaryRecord(
                article.story_id or 0, "vi", "h1", (article.id,), "ready", NOW, "Lũ lụt.", "Lũ"
            )
        )
        await store.add_llm_usage(NOW.date(), {"calls": 1, "fallback:budget": 2})
        await store.add_console_user(  # a console account (issue 15)
            "ha", role="admin", password_hash="$argon2id$v=19$x", must_change=False, now=NOW
        )
    finally:
        await store.close()


def rows_of(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every copied table's rows, in key order, read straight from the SQLite file."""
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY {', '.join(key)}").fetchall()
            for table, key in TABLES
        }


async def pg_rows(url: PostgresUrl) -> dict[str, list[tuple[Any, ...]]]:
    store = await Store.open(url)
    try:
        found = {}
        for table, key in TABLES:
            rows = await store._fetchall(f"SELECT * FROM {table} ORDER BY {', '.join(key)}")
            found[table] = [tuple(row) for row in rows]
        return found
    finally:
        await store.close()


def with_store(target: Path | PostgresUrl, action: Callable[[Store], Awaitable[Any]]) -> Any:
    """Open the database at ``target``, do ``action`` on it, close it; its result."""

    async def go() -> Any:
        store = await Store.open(target)
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(go())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def counts_printed(out: str) -> dict[str, tuple[int, int]]:
    lines = [line.split() for line in out.splitlines()[2:]]
    return {line[0]: (int(line[1]), int(line[2])) for line in lines if len(line) == 3}


def test_every_table_of_the_schema_is_copied_or_named_as_not(tmp_path: Path) -> None:
    with_store(tmp_path / "schema.db", lambda store: store.schema_version())
    with sqlite3.connect(tmp_path / "schema.db") as db:
        names = {
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        }
    assert names == {table for table, _key in TABLES} | set(NOT_COPIED)


def test_sqlite_to_postgresql_and_back_keeps_every_row(
    tmp_path: Path, postgres_url: PostgresUrl, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source.db"
    asyncio.run(populate(source))
    original = rows_of(source)
    assert all(original[table] for table, _key in TABLES), [t for t, r in original.items() if not r]

    status, out, err = run(
        capsys, "db", "copy", "--from", f"sqlite:///{source}", "--to", postgres_url.dsn
    )
    assert (status, err) == (0, "")
    printed = counts_printed(out)
    assert printed["outbox"] == (len(original["outbox"]),) * 2
    assert all(src == dst for src, dst in printed.values())
    on_pg = asyncio.run(pg_rows(postgres_url))
    assert on_pg == original

    back = tmp_path / "back" / "again.db"
    status, out, err = run(
        capsys, "db", "copy", "--from", postgres_url.dsn, "--to", f"sqlite:///{back}"
    )
    assert (status, err) == (0, "")
    assert rows_of(back) == original


def test_postgresql_sequences_move_past_the_copied_ids(
    tmp_path: Path, postgres_url: PostgresUrl, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source.db"
    asyncio.run(populate(source))
    assert (
        run(capsys, "db", "copy", "--from", f"sqlite:///{source}", "--to", postgres_url.dsn)[0] == 0
    )
    highest = max(row[0] for row in rows_of(source)["audit"])

    async def add_rows(store: Store) -> tuple[int, int]:
        # A row the bot adds after the move gets a new id, not a copied one's.
        await store.audit(actor="cli", platform="cli", action="after", outcome="ok", now=NOW)
        row = await store._fetchone("SELECT MAX(id) FROM audit")
        subscriber = await store.upsert_subscriber("telegram", "new", now=NOW)
        return int(row[0]), subscriber.id

    audit_id, subscriber_id = with_store(postgres_url, add_rows)
    assert audit_id == highest + 1
    assert subscriber_id > max(r[0] for r in rows_of(source)["subscribers"])


def test_sqlite_to_sqlite_and_a_non_empty_target_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = tmp_path / "a.db", tmp_path / "b.db"
    asyncio.run(populate(source))
    assert (
        run(capsys, "db", "copy", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}")[0]
        == 0
    )
    assert rows_of(target) == rows_of(source)

    # Once more: the target now has rows.
    status, out, err = run(
        capsys, "db", "copy", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}"
    )
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "not empty" in err and "--force" in err

    # The target changed since; --force replaces its contents with the source's.
    with_store(
        target,
        lambda store: store.audit(actor="x", platform="cli", action="extra", outcome="ok", now=NOW),
    )
    status, _out, err = run(
        capsys,
        "db",
        "copy",
        "--from",
        f"sqlite:///{source}",
        "--to",
        f"sqlite:///{target}",
        "--force",
    )
    assert (status, err) == (0, "")
    assert rows_of(target) == rows_of(source)


def test_a_postgresql_target_with_rows_is_refused_and_left_alone(
    tmp_path: Path, postgres_url: PostgresUrl, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source.db"
    asyncio.run(populate(source))
    with_store(postgres_url, lambda store: store.upsert_category(CATEGORIES[0]))
    status, out, err = run(
        capsys, "db", "copy", "--from", f"sqlite:///{source}", "--to", postgres_url.dsn
    )
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "table categories has rows" in err
    assert [row[0] for row in (asyncio.run(pg_rows(postgres_url)))["categories"]] == ["ai-frontier"]

    status, _out, err = run(
        capsys, "db", "copy", "--from", f"sqlite:///{source}", "--to", postgres_url.dsn, "--force"
    )
    assert (status, err) == (0, "")
    assert asyncio.run(pg_rows(postgres_url)) == rows_of(source)


def test_a_row_the_target_refuses_rolls_the_whole_copy_back(
    tmp_path: Path, postgres_url: PostgresUrl, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source.db"
    asyncio.run(populate(source))
    # An article of a category that is not there: SQLite kept it (its foreign keys were
    # off when it was written), PostgreSQL refuses it.
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("INSERT INTO article_categories VALUES (1, 'gone')")
    status, out, err = run(
        capsys, "db", "copy", "--from", f"sqlite:///{source}", "--to", postgres_url.dsn
    )
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "cannot copy table article_categories" in err
    assert all(not rows for rows in (asyncio.run(pg_rows(postgres_url))).values())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "mysql://u:hunter2secret@h/db", "--to", "sqlite:///b.db"], "--from must be"),
        (["--from", "sqlite:///a.db", "--to", "ftp://x"], "--to must be"),
        (["--from", "sqlite:///missing.db", "--to", "sqlite:///b.db"], "no database file"),
        (["--from", "sqlite:///a.db", "--to", "sqlite:///./a.db"], "same database"),
        (
            ["--from", "postgresql://u:p@h:5432/db", "--to", "postgresql://v:q@H/db"],
            "same database",
        ),
        (["--from", "sqlite:///a.db", "--to", "postgresql://u:pw@:5432/db"], "needs a host"),
        (["--from", "sqlite:///a.db", "--to", "postgresql://u@h:99999/db"], "not a PostgreSQL"),
        (["--from", "sqlite:///a.db"], "required: --to"),
    ],
)
def test_hostile_arguments_end_in_one_line(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    with_store(clean_cwd / "a.db", lambda store: store.schema_version())
    if "--to" not in args:
        with pytest.raises(SystemExit) as stopped:
            main(["db", "copy", *args])
        status, err = stopped.value.code, capsys.readouterr().err
    else:
        status, _out, err = run(capsys, "db", "copy", *args)
    assert status == 2
    assert err.count("\n") == 1 and expected in err, err
    assert "hunter2secret" not in err and ":pw@" not in err
    assert not (clean_cwd / "b.db").exists()


def test_an_unreachable_target_is_one_line_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "a.db"
    asyncio.run(populate(source))
    status, out, err = run(
        capsys,
        "db",
        "copy",
        "--from",
        f"sqlite:///{source}",
        "--to",
        "postgresql://bot:s3cret-pass-word@127.0.0.1:1/db",
    )
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "cannot reach PostgreSQL" in err and "s3cret-pass-word" not in err


def test_differing_counts_are_named() -> None:
    same = TableCount("feeds", 2, 2)
    assert mismatch([same]) is None
    assert mismatch([same, TableCount("outbox", 5, 4)]) == (
        "the copy's row counts differ from the source's: outbox 5 -> 4"
    )
