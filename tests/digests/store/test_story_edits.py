"""An editor's split and merge of stories in the store (both engines): what moves, what is
refused, what readers are counted as having received, and what the in-memory cache of
recent stories of another connection sees."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from digests.ingest.cluster import title_key
from digests.ingest.stories import store_and_group
from digests.models import NewArticle, StoredArticleRef
from digests.outgoing import OutgoingMessage
from digests.store import NotFound, OutboxItem, Store
from digests.story_edits import ALONE, MOVED, SAME, StoryEditRefused
from digests.timeutil import from_db, to_db
from tests.conftest import CATEGORIES, NOW

HOUR = timedelta(hours=1)


async def put(store: Store, n: int, title: str, *, at: datetime) -> StoredArticleRef:
    """One article of its own scope, stored (not grouped) at ``at``, published an hour before."""
    _, created = await store.ingest_articles(
        f"feed:{n}",
        [
            NewArticle(
                url=f"https://news.example/{n}",
                title=title,
                summary=f"Summary {n}.",
                source=f"Desk {n}",
                published_at=at - HOUR,
                title_key=title_key(title),
            )
        ],
        ["climate"],
        now=at,
    )
    return created[0]


async def group(store: Store, *refs: StoredArticleRef) -> int:
    return (await store.assign_stories([(None, refs)], now=refs[-1].published_at))[0]


@pytest.fixture
async def stocked(store: Store) -> Store:
    for category in CATEGORIES:
        await store.upsert_category(category)
    return store


async def story_of(store: Store, article_id: int) -> int:
    row = await store._fetchone("SELECT story_id FROM articles WHERE id = ?", (article_id,))
    assert row is not None
    return int(row[0])


async def story_row(store: Store, story_id: int) -> tuple[str, datetime, datetime] | None:
    row = await store._fetchone(
        "SELECT title, first_seen_at, last_seen_at FROM stories WHERE id = ?", (story_id,)
    )
    return None if row is None else (row[0], from_db(row[1]), from_db(row[2]))  # type: ignore[return-value]


async def test_a_split_article_becomes_a_story_of_its_own(stocked: Store) -> None:
    store = stocked
    a = await put(store, 1, "Harbour council approves budget", at=NOW - 5 * HOUR)
    b = await put(store, 2, "Storm closes the northern ferry", at=NOW - 3 * HOUR)
    c = await put(store, 3, "Harbour budget passes", at=NOW - 2 * HOUR)
    old = await group(store, a, b, c)
    done = await store.split_article(b.id, from_story=old)
    assert (done.old_story, done.article_id) == (old, b.id)
    assert done.new_story > old
    assert await story_of(store, b.id) == done.new_story
    assert await story_of(store, a.id) == await story_of(store, c.id) == old
    assert await story_row(store, done.new_story) == (
        "Storm closes the northern ferry",
        NOW - 4 * HOUR,
        NOW - 3 * HOUR,
    )
    title, first, _ = await story_row(store, old)  # type: ignore[misc]
    assert (title, first) == ("Harbour council approves budget", NOW - 6 * HOUR)


async def test_the_old_story_loses_the_title_it_had_from_the_split_article(
    stocked: Store,
) -> None:
    store = stocked
    a = await put(store, 1, "Storm closes the northern ferry", at=NOW - 5 * HOUR)
    b = await put(store, 2, "Harbour council approves budget", at=NOW - 3 * HOUR)
    old = await group(store, a, b)
    await store.split_article(a.id)
    title, first, _ = await story_row(store, old)  # type: ignore[misc]
    assert (title, first) == ("Harbour council approves budget", NOW - 4 * HOUR)


async def test_splits_that_are_refused_change_nothing(stocked: Store) -> None:
    store = stocked
    a = await put(store, 1, "Harbour council approves budget", at=NOW - 2 * HOUR)
    b = await put(store, 2, "Harbour budget passes", at=NOW - HOUR)
    alone = await group(store, a)
    pair = await group(store, b, await put(store, 3, "Budget passes", at=NOW - HOUR))
    with pytest.raises(StoryEditRefused) as refused:
        await store.split_article(a.id)
    assert refused.value.reason == ALONE
    with pytest.raises(StoryEditRefused) as moved:
        await store.split_article(b.id, from_story=alone)
    assert moved.value.reason == MOVED
    with pytest.raises(NotFound):
        await store.split_article(999_999)
    assert await story_of(store, a.id) == alone and await story_of(store, b.id) == pair
    row = await store._fetchone("SELECT COUNT(*) FROM stories")
    assert row is not None and row[0] == 2


async def test_a_merge_keeps_the_older_story(stocked: Store) -> None:
    store = stocked
    a = await put(store, 1, "Harbour council approves budget", at=NOW - 6 * HOUR)
    b = await put(store, 2, "Council passes harbour spending plan", at=NOW - 2 * HOUR)
    c = await put(store, 3, "Harbour plan approved", at=NOW - HOUR)
    older = await group(store, a)
    newer = await group(store, b, c)
    done = await store.merge_stories(newer, older)
    assert (done.kept, done.absorbed, done.moved) == (older, newer, 2)
    assert {await story_of(store, x.id) for x in (a, b, c)} == {older}
    assert await story_row(store, newer) is None
    title, first, last = await story_row(store, older)  # type: ignore[misc]
    assert title == "Harbour council approves budget"
    assert (first, last) == (NOW - 7 * HOUR, NOW - 2 * HOUR)


async def test_merges_that_are_refused(stocked: Store) -> None:
    store = stocked
    only = await group(store, await put(store, 1, "Harbour budget", at=NOW))
    with pytest.raises(StoryEditRefused) as same:
        await store.merge_stories(only, only)
    assert same.value.reason == SAME
    with pytest.raises(NotFound):
        await store.merge_stories(only, only + 100)
    assert await story_row(store, only) is not None


async def received(store: Store, story_id: int) -> set[int]:
    rows = await store._fetchall(
        "SELECT subscriber_id FROM sent_stories WHERE story_id = ?", (story_id,)
    )
    return {int(r[0]) for r in rows}


async def test_who_received_a_split_story_keeps_the_article_only_if_it_was_there(
    stocked: Store,
) -> None:
    store = stocked
    early = await store.upsert_subscriber("telegram", "early", now=NOW)
    late = await store.upsert_subscriber("telegram", "late", now=NOW)
    a = await put(store, 1, "Harbour council approves budget", at=NOW - 5 * HOUR)
    old = await group(store, a)
    # "early" got the story before the second article was stored, "late" after.
    await store.record_delivery(
        early.id, kind="digest", status="sent", now=NOW - 4 * HOUR, story_ids=[old]
    )
    b = await put(store, 2, "Storm closes the northern ferry", at=NOW - 3 * HOUR)
    await store.assign_stories([(old, [b])], now=NOW - 3 * HOUR)
    await store.record_delivery(
        late.id, kind="digest", status="sent", now=NOW - 2 * HOUR, story_ids=[old]
    )
    done = await store.split_article(b.id)
    assert await received(store, done.new_story) == {late.id}
    assert await received(store, old) == {early.id, late.id}


async def test_who_received_either_merged_story_received_the_merged_one(stocked: Store) -> None:
    store = stocked
    one = await store.upsert_subscriber("telegram", "one", now=NOW)
    two = await store.upsert_subscriber("telegram", "two", now=NOW)
    older = await group(store, await put(store, 1, "Harbour budget", at=NOW - 2 * HOUR))
    newer = await group(store, await put(store, 2, "Budget for harbour", at=NOW - HOUR))
    await store.record_delivery(one.id, kind="digest", status="sent", now=NOW, story_ids=[older])
    await store.record_delivery(two.id, kind="digest", status="sent", now=NOW, story_ids=[newer])
    await store.merge_stories(older, newer)
    assert await received(store, older) == {one.id, two.id}


async def test_model_summaries_of_edited_stories_are_dropped(stocked: Store) -> None:
    store = stocked
    a = await put(store, 1, "Harbour budget", at=NOW - 2 * HOUR)
    b = await put(store, 2, "Ferry storm", at=NOW - HOUR)
    c = await put(store, 3, "Unrelated", at=NOW - HOUR)
    first, other = await group(store, a, b), await group(store, c)
    async with store._transaction() as db:
        for story_id in (first, other):
            await db.execute(
                """INSERT INTO story_summaries (story_id, language, input_hash, article_ids,
                       status, summary, updated_at) VALUES (?, 'en', 'h', '[]', 'ready', 's', ?)""",
                (story_id, to_db(NOW)),
            )
    await store.split_article(b.id)
    assert await store.glosses([first]) == {}
    assert await store.glosses([other]) != {}
    await store.merge_stories(first, other)
    assert await store.glosses([other]) == {}


async def test_concurrent_merges_of_one_story_leave_one_consistent_result(
    stocked: Store,
) -> None:
    store = stocked
    ids = [
        await group(store, await put(store, n, f"Harbour budget {n}", at=NOW)) for n in (1, 2, 3)
    ]
    results = await asyncio.gather(
        store.merge_stories(ids[1], ids[0]),
        store.merge_stories(ids[1], ids[2]),
        return_exceptions=True,
    )
    done = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    # The first merge took ids[1] away; the second finds it gone (or did it first).
    assert len(done) == 1 and len(failed) == 1 and isinstance(failed[0], NotFound)
    rows = await store._fetchall("SELECT story_id FROM articles WHERE story_id IS NOT NULL")
    stories = await store._fetchall("SELECT id FROM stories")
    assert {r[0] for r in rows} <= {r[0] for r in stories}
    assert len(stories) == 2


async def test_another_connection_groups_against_the_merged_story(store: Store) -> None:
    for category in CATEGORIES:
        await store.upsert_category(category)
    other = await Store.open(store.path)
    try:

        async def grouped(target: Store, n: int, title: str) -> int:
            done = await store_and_group(
                target,
                f"feed:{n}",
                [
                    NewArticle(
                        url=f"https://n.example/{n}",
                        title=title,
                        summary="",
                        source="Desk",
                        published_at=NOW - HOUR,
                        title_key=title_key(title),
                    )
                ],
                ["climate"],
                now=NOW,
                window=timedelta(hours=48),
            )
            return await story_of(target, done.created[0].id)

        title = "Meta pauses employee tracking program after internal data leak"
        kept = await grouped(store, 1, "Harbour council approves new budget")
        gone = await grouped(store, 2, title)
        assert kept != gone and store._recent is not None  # the first store remembers both
        await other.merge_stories(kept, gone)
        # The first store must not join the deleted story: it reads the change.
        assert await grouped(store, 3, title.replace("internal ", "")) == kept
    finally:
        await other.close()


async def test_a_waiting_digest_names_the_merged_story(stocked: Store) -> None:
    store = stocked
    waiting = await store.upsert_subscriber("telegram", "waiting", now=NOW)
    older = await group(store, await put(store, 1, "Harbour budget", at=NOW - 2 * HOUR))
    newer = await group(store, await put(store, 2, "Budget for harbour", at=NOW - HOUR))
    message = OutgoingMessage(text="digest")
    await store.enqueue(
        [OutboxItem(waiting.id, "digest", "p1", "telegram", [message], story_ids=[newer, 99])],
        now=NOW,
    )
    await store.merge_stories(older, newer)
    assert await store.pending_story_ids_for([waiting.id]) == {waiting.id: {older, 99}}


async def test_concurrent_splits_of_a_pair_leave_two_stories(stocked: Store) -> None:
    store = stocked
    a = await put(store, 1, "Harbour budget", at=NOW - 2 * HOUR)
    b = await put(store, 2, "Ferry storm", at=NOW - HOUR)
    pair = await group(store, a, b)
    results = await asyncio.gather(
        store.split_article(a.id, from_story=pair),
        store.split_article(b.id, from_story=pair),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, StoryEditRefused)]
    assert len(refused) == 1 and refused[0].reason == ALONE
    assert len({await story_of(store, a.id), await story_of(store, b.id)}) == 2
