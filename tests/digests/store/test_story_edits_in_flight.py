"""A merge while an entry naming the absorbed story is being sent. The merge
renames the story in the outbox row (``_rename_waiting``), but the delivery worker
records received stories from the entry it claimed before the merge (in memory): the
reader is recorded as having received the deleted story, not the kept one, so the merged
story comes back to them as new (in a breaking push's case, in their next digest)."""

from __future__ import annotations

from digests.outgoing import OutgoingMessage
from digests.store import OutboxItem, Store
from tests.conftest import CATEGORIES, NOW
from tests.digests.store.test_story_edits import HOUR, group, put


async def test_an_entry_sent_during_a_merge_records_the_kept_story(store: Store) -> None:
    for category in CATEGORIES:
        await store.upsert_category(category)
    reader = await store.upsert_subscriber("telegram", "reader", now=NOW)
    older = await group(store, await put(store, 1, "Harbour budget", at=NOW - 2 * HOUR))
    newer = await group(store, await put(store, 2, "Budget for harbour", at=NOW - HOUR))
    await store.enqueue(
        [
            OutboxItem(
                reader.id,
                "breaking",
                "b1",
                "telegram",
                [OutgoingMessage(text="x")],
                story_ids=[newer],
            )
        ],
        now=NOW,
    )
    (entry,) = await store.claim(now=NOW, limit=10, platforms=["telegram"])
    assert entry.story_ids == [newer] or tuple(entry.story_ids) == (newer,)
    await store.merge_stories(older, newer)  # the editor merges while it is on its way
    assert await store.complete(entry, now=NOW, last_part=(0, "m1"))
    rows = await store._fetchall(
        "SELECT story_id FROM sent_stories WHERE subscriber_id = ?", (reader.id,)
    )
    assert older in {int(r[0]) for r in rows}, "the reader received the merged story"


async def test_an_entry_waiting_during_a_split_counts_the_new_story_as_received(
    store: Store,
) -> None:
    """The split's own rule (story_edits.saw_article): a reader who receives the old story
    after the article was stored may have seen it there, so the new story is not news to
    them. Readers who had received it already get that; those whose message was still in
    the outbox (a breaking push naming the story, a digest) do not."""
    for category in CATEGORIES:
        await store.upsert_category(category)
    reader = await store.upsert_subscriber("telegram", "reader", now=NOW)
    a = await put(store, 1, "Harbour budget", at=NOW - 2 * HOUR)
    b = await put(store, 2, "Ferry storm", at=NOW - HOUR)
    pair = await group(store, a, b)
    await store.enqueue(
        [
            OutboxItem(
                reader.id,
                "breaking",
                "b1",
                "telegram",
                [OutgoingMessage(text="x")],
                story_ids=[pair],
            )
        ],
        now=NOW,
    )
    (entry,) = await store.claim(now=NOW, limit=10, platforms=["telegram"])
    split = await store.split_article(b.id, from_story=pair)
    assert await store.complete(entry, now=NOW, last_part=(0, "m1"))
    rows = await store._fetchall(
        "SELECT story_id FROM sent_stories WHERE subscriber_id = ?", (reader.id,)
    )
    assert {pair, split.new_story} <= {int(r[0]) for r in rows}
