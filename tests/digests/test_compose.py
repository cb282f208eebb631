"""Sending a digest directly: what is recorded, when the cursor moves, previews."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from digests.compose import send_digest_now
from digests.ingest.importer import import_records
from digests.render import Renderer
from digests.settings import DigestLimits
from digests.store import Store
from tests.conftest import NOW, RecordingSender


async def seed(store: Store, *titles: str) -> None:
    records = [
        (
            i,
            {
                "url": f"https://cms.example/{i}",
                "title": title,
                "category": "climate",
                "source": "Desk",
                "published_at": (NOW - timedelta(hours=1)).isoformat(),
            },
        )
        for i, title in enumerate(titles, start=1)
    ]
    await import_records(store, records, now=NOW, story_window=timedelta(hours=48))


async def test_digest_then_nothing_twice(categorised_store: Store) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers", "Glaciers retreat again")
    reader = await store.upsert_subscriber("console", "me", now=NOW)
    await store.subscribe(reader.id, ["climate"], now=NOW)
    reader = await store.get_subscriber(reader.id)
    sender = RecordingSender()
    result = await send_digest_now(
        store, Renderer(), sender, reader, now=NOW, limits=DigestLimits()
    )
    assert result.sent and len(result.plan.story_ids) == 2
    assert len(sender.sent) == 1 and "Heat pumps" in sender.sent[0][1].text
    assert sender.sent[0][0].chat_id == "me"
    assert await store.sent_story_ids(reader.id) == set(result.plan.story_ids)
    reader = await store.get_subscriber(reader.id)
    assert reader.cursor_article_id == 2 and reader.last_digest_at == NOW
    again = await send_digest_now(store, Renderer(), sender, reader, now=NOW, limits=DigestLimits())
    assert not again.sent and len(sender.sent) == 1
    await seed(store, "Heat pumps overtake boilers", "Glaciers retreat again", "Solar wins")
    third = await send_digest_now(
        store,
        Renderer(),
        sender,
        await store.get_subscriber(reader.id),
        now=NOW,
        limits=DigestLimits(),
    )
    assert third.sent and [s.lead.title for sec in third.plan.sections for s in sec.stories] == [
        "Solar wins"
    ]


async def test_preview_moves_nothing(categorised_store: Store) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    reader = await store.upsert_subscriber("telegram", "7", now=NOW)
    await store.subscribe(reader.id, ["climate"], now=NOW)
    reader = await store.get_subscriber(reader.id)
    sender = RecordingSender("telegram")
    preview = await send_digest_now(
        store, Renderer(), sender, reader, now=NOW, limits=DigestLimits(), preview=True
    )
    assert preview.sent and sender.sent[0][1].parse_mode == "HTML"
    assert await store.sent_story_ids(reader.id) == set()
    assert (await store.get_subscriber(reader.id)).cursor_article_id is None


async def test_empty_digest_is_sent_only_when_configured(categorised_store: Store) -> None:
    store = categorised_store
    reader = await store.upsert_subscriber("console", "me", now=NOW)
    await store.subscribe(reader.id, ["climate"], now=NOW)
    reader = await store.get_subscriber(reader.id)
    sender = RecordingSender()
    quiet = await send_digest_now(store, Renderer(), sender, reader, now=NOW, limits=DigestLimits())
    assert not quiet.sent and sender.sent == []
    loud = await send_digest_now(
        store, Renderer(), sender, reader, now=NOW, limits=replace(DigestLimits(), send_empty=True)
    )
    assert loud.sent and "Nothing new" in sender.sent[0][1].text


async def test_a_failing_sender_marks_nothing(categorised_store: Store) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    reader = await store.upsert_subscriber("console", "me", now=NOW)
    await store.subscribe(reader.id, ["climate"], now=NOW)
    reader = await store.get_subscriber(reader.id)

    class Down(RecordingSender):
        async def send(self, destination, message):  # type: ignore[no-untyped-def]
            raise ConnectionError("platform outage")

    with pytest.raises(ConnectionError, match="outage"):
        await send_digest_now(store, Renderer(), Down(), reader, now=NOW, limits=DigestLimits())
    assert await store.sent_story_ids(reader.id) == set()
    assert (await store.get_subscriber(reader.id)).cursor_article_id is None


async def test_digest_cursor_waits_for_unclustered_articles(categorised_store: Store) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    from digests.models import NewArticle

    # A poll stored this article but has not grouped it into a story yet.
    await store.ingest_articles(
        "import:late",
        [
            NewArticle(
                url="https://late.example/1",
                title="Late arrival",
                summary="",
                source="Late",
                published_at=NOW,
            )
        ],
        ["climate"],
        now=NOW,
    )
    await seed(store, "Heat pumps overtake boilers", "Glaciers retreat again")
    reader = await store.upsert_subscriber("console", "me", now=NOW)
    await store.subscribe(reader.id, ["climate"], now=NOW)
    result = await send_digest_now(
        store,
        Renderer(),
        RecordingSender(),
        await store.get_subscriber(reader.id),
        now=NOW,
        limits=DigestLimits(),
    )
    assert len(result.plan.story_ids) == 2
    assert (await store.get_subscriber(reader.id)).cursor_article_id == 1
