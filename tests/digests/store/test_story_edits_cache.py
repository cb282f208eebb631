"""A split or merge that waits for the write lock behind ingest leaves the
store's in-memory recent stories stale: ``_recent`` is dropped before the edit's
transaction, ingest (holding the lock) fills it again with the stories as they were, and
the edit's own commit does not move SQLite's data_version for this connection (on
PostgreSQL ``_stories_written`` even declares the stale copy current). The next article
like the absorbed story's then joins a story that no longer exists."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from digests.ingest.cluster import title_key
from digests.ingest.stories import store_and_group
from digests.models import NewArticle
from digests.store import Store
from tests.conftest import CATEGORIES, NOW

HOUR = timedelta(hours=1)


async def _grouped(target: Store, n: int, title: str) -> int:
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
    row = await target._fetchone(
        "SELECT story_id FROM articles WHERE id = ?", (done.created[0].id,)
    )
    assert row is not None
    return int(row[0])


async def test_a_merge_behind_ingest_leaves_no_stale_recent_stories(store: Store) -> None:
    for category in CATEGORIES:
        await store.upsert_category(category)
    title = "Meta pauses employee tracking program after internal data leak"
    kept = await _grouped(store, 1, "Harbour council approves new budget")
    gone = await _grouped(store, 2, title)
    assert kept < gone

    original = store._recent_stories
    release = asyncio.Event()
    calls = 0

    async def slow_recent(db, since):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            await release.wait()  # ingest holds the write lock here
        return await original(db, since)

    store._recent_stories = slow_recent  # type: ignore[method-assign]
    store._recent = None  # ingest reads the stories again inside its transaction
    ingest = asyncio.create_task(_grouped(store, 4, "Volcano erupts on remote island"))
    await asyncio.sleep(0.05)
    merge = asyncio.create_task(store.merge_stories(kept, gone))
    await asyncio.sleep(0.05)
    release.set()
    await ingest
    await merge
    store._recent_stories = original  # type: ignore[method-assign]

    story = await _grouped(store, 3, title.replace("internal ", ""))
    row = await store._fetchone("SELECT id FROM stories WHERE id = ?", (story,))
    assert row is not None, f"the new article joined story {story}, which the merge deleted"
    assert story == kept
