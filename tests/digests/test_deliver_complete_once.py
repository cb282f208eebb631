"""Completing an outbox entry is idempotent: whichever way its last part is recorded a
second time (the accepted-parts batch committed but its answer was lost, so the writer
records the same parts again one by one; two holders after a lease expiry; the same
part twice in one batch), one delivery is logged and its stories are received once.
Before, each completion inserted another ``deliveries`` row (stats and /news history
counted the digest twice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from digests.models import OutboxEntry
from digests.outgoing import OutgoingMessage
from digests.store import OutboxItem, Store
from digests.store._outcomes import Accepted
from digests.timeutil import to_db
from tests.conftest import NOW

LATER = NOW + timedelta(seconds=5)


async def claimed(store: Store, chat: str) -> OutboxEntry:
    subscriber = await store.upsert_subscriber("telegram", chat, now=NOW)
    item = OutboxItem(
        subscriber.id,
        "digest",
        "p",
        "telegram",
        [OutgoingMessage(text="digest")],
        story_ids=[7, 8],
        cursor=100,
    )
    await store.enqueue([item], now=NOW)
    (entry,) = await store.claim(now=NOW, limit=10, platforms=["telegram"], holder="me")
    return entry


def batch(entry: OutboxEntry, at: object = NOW) -> Callable[[Store], Awaitable[object]]:
    return lambda store: store.record_accepted([Accepted(entry, 0, "m1", at)])  # type: ignore[arg-type]


def one_by_one(entry: OutboxEntry, at: object = NOW) -> Callable[[Store], Awaitable[object]]:
    return lambda store: store.complete(entry, now=at, last_part=(0, "m1"))  # type: ignore[arg-type]


WAYS = {
    # the batch committed, its answer lost: written again entry by entry
    "batch then one by one": lambda e: [batch(e), one_by_one(e, LATER)],
    "batch twice": lambda e: [batch(e), batch(e, LATER)],
    "one by one twice (two holders)": lambda e: [one_by_one(e), one_by_one(e, LATER)],
    "one by one then batch": lambda e: [one_by_one(e), batch(e, LATER)],
}


@pytest.mark.parametrize("way", list(WAYS))
async def test_an_entry_completed_twice_logs_one_delivery(store: Store, way: str) -> None:
    entry = await claimed(store, "9")
    for write in WAYS[way](entry):
        await write(store)
    deliveries = await store._fetchall("SELECT id, status, sent_at FROM deliveries")
    assert [(r[1], r[2]) for r in deliveries] == [("sent", to_db(NOW))]
    stories = await store._fetchall("SELECT story_id, delivery_id FROM sent_stories")
    assert sorted((r[0], r[1]) for r in stories) == [(7, deliveries[0][0]), (8, deliveries[0][0])]
    row = await store.outbox_entry(entry.id)
    assert row["status"] == "sent" and row["parts_sent"] == 1
    assert row["sent_at"] == to_db(NOW)  # the first completion's instant


async def test_the_same_last_part_twice_in_one_batch_logs_one_delivery(store: Store) -> None:
    """Two entries in the batch, one of them twice: each delivered entry is logged once."""
    first, second = await claimed(store, "1"), await claimed(store, "2")
    answers = await store.record_accepted(
        [
            Accepted(first, 0, "m1", NOW),
            Accepted(second, 0, "m2", NOW),
            Accepted(first, 0, "m1", LATER),
        ]
    )
    assert answers == [True, True, True]
    logged = await store._fetchall("SELECT subscriber_id FROM deliveries")
    assert sorted(r[0] for r in logged) == sorted([first.subscriber_id, second.subscriber_id])
