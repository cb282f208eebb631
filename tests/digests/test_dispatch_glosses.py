"""The dispatcher with a model configured: a stored summary it cannot read, or a usage count
it cannot save, costs no reader a digest; a reader who subscribed between the dispatcher's
two reads (categories, then the due) stays due for the next tick instead of getting an
empty digest and waiting a day."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from digests.dispatch import dispatch_due
from digests.ingest.importer import import_records
from digests.llm_settings import LlmSettings
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.store import Store, StoreError
from digests.timeutil import to_db
from tests.conftest import NOW
from tests.digests.test_dispatch import seed

MODEL_ON = dataclasses.replace(Settings(), llm=LlmSettings(base_url="http://127.0.0.1:9/v1"))


async def readers(store: Store, language: str, *chats: str) -> None:
    for chat in chats:
        sub = await store.upsert_subscriber(
            "telegram", chat, now=NOW, digest_time="13:00", language=language
        )
        await store.subscribe(sub.id, ["climate"], now=NOW)


async def story_ids(store: Store) -> list[int]:
    return [int(r["id"]) for r in await store._fetchall("SELECT id FROM stories ORDER BY id")]


async def due_at_one(store: Store) -> None:
    await dispatch_due(store, RenderCache(Renderer()), MODEL_ON, now=NOW)  # schedules 13:00


async def test_an_unreadable_stored_gloss_costs_no_reader_a_digest(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers", "Glaciers retreat again")
    await readers(store, "vi", "1", "2")
    first, second = await story_ids(store)
    async with store._transaction() as db:
        # A row as an older version or an operator's hand could leave it: the summary a
        # BLOB (SQLite keeps what it is given), the other a fine one.
        await db.execute(
            """INSERT INTO story_summaries (story_id, language, input_hash, article_ids,
                   status, title, summary, translated, updated_at)
               VALUES (?, 'vi', 'h', '[]', 'ready', 'Tiêu đề', X'54c3b36d', 1, ?),
                      (?, 'vi', 'h', '[]', 'ready', 'Tiêu đề 2', 'Tóm tắt.', 1, ?)""",
            (first, NOW.isoformat(), second, NOW.isoformat()),
        )
    await due_at_one(store)
    report = await dispatch_due(
        store, RenderCache(Renderer()), MODEL_ON, now=NOW + timedelta(hours=1)
    )
    assert (report.due, report.failed, report.enqueued) == (2, 0, 2)


async def test_a_failed_usage_count_loses_no_dispatch_report(
    categorised_store: Store, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    await readers(store, "vi", "1", "2")
    await due_at_one(store)

    async def busy(*_args: object, **_kwargs: object) -> None:
        raise StoreError("database is locked")

    monkeypatch.setattr(store, "add_llm_usage", busy)
    report = await dispatch_due(
        store, RenderCache(Renderer()), MODEL_ON, now=NOW + timedelta(hours=1)
    )
    assert (report.due, report.enqueued, report.unglossed) == (2, 2, 1)
    assert sum((await store.outbox_counts())["telegram"].values()) == 2


async def test_a_reader_due_between_the_two_reads_stays_due(
    categorised_store: Store, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    record = {
        "url": "https://cms.example/rates",
        "title": "Central bank holds rates",
        "category": "markets",
        "source": "Desk",
        "published_at": (NOW - timedelta(hours=1)).isoformat(),
    }
    await import_records(store, [(1, record)], now=NOW, story_window=timedelta(hours=48))
    await readers(store, "en", "1")
    late = await store.upsert_subscriber("telegram", "2", now=NOW, digest_time="20:00")
    await store.subscribe(late.id, ["markets"], now=NOW)
    await due_at_one(store)  # reader 1 due at 13:00, reader 2 at 20:00
    at = NOW + timedelta(hours=1)
    read = store.due_categories

    async def then_due(*args: object, **kwargs: object) -> list[str]:
        found = await read(*args, **kwargs)  # type: ignore[arg-type]
        # Reader 2 becomes due after the categories were read (a change of time, say).
        async with store._transaction() as db:
            await db.execute(
                "UPDATE subscribers SET next_digest_at = ? WHERE id = ?", (to_db(at), late.id)
            )
        return found

    monkeypatch.setattr(store, "due_categories", then_due)
    report = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=at)
    assert (report.due, report.enqueued, report.empty) == (1, 1, 0)
    waiting = await store.get_subscriber(late.id)
    assert waiting.next_digest_at == at  # still due, not put off to tomorrow
    monkeypatch.setattr(store, "due_categories", read)
    again = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=at)
    assert (again.due, again.enqueued, again.empty) == (1, 1, 0)
