"""What a store keeps in memory stays true when another connection (another process)
writes the same database, and text PostgreSQL cannot hold is stored alike on both engines
(issue 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from digests.ingest.cluster import title_key
from digests.ingest.stories import store_and_group
from digests.models import NewArticle
from digests.store import Store
from tests.conftest import CATEGORIES, NOW

WINDOW = timedelta(hours=48)


def article(
    url: str, title: str = "Harbour council approves new budget", **fields: object
) -> NewArticle:
    values: dict[str, object] = {
        "url": url,
        "title": title,
        "summary": "What happened.",
        "source": "Desk",
        "published_at": NOW - timedelta(hours=1),
    }
    values.update(fields)
    values["title_key"] = title_key(str(values["title"]))
    return NewArticle(**values)  # type: ignore[arg-type]


@pytest.fixture
async def two_stores(store: Store) -> AsyncIterator[tuple[Store, Store]]:
    """Two connections on one database, as two processes would have."""
    for category in CATEGORIES:
        await store.upsert_category(category)
    second = await Store.open(store.path)
    try:
        yield store, second
    finally:
        await second.close()


async def test_a_stores_own_writes_keep_its_recent_stories_and_anothers_renew_them(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores

    async def put(store: Store, url: str, title: str) -> int:
        scope = f"feed:{url[-1]}"  # articles of one feed never join each other
        done = await store_and_group(
            store, scope, [article(url, title)], ["climate"], now=NOW, window=WINDOW
        )
        return done.stories_new

    assert await put(first, "https://a.example/1", "Harbour council approves budget") == 1
    kept = first._recent
    assert kept is not None
    # Its own write: the memory is carried over, not read again.
    assert await put(first, "https://a.example/2", "Storm closes the northern ferry") == 1
    assert first._recent is kept
    # Another store's write: read again, and the other's story is there to join.
    title = "Meta pauses employee tracking program after internal data leak"
    assert await put(second, "https://a.example/3", title) == 1
    assert await put(first, "https://a.example/4", title.replace("internal ", "")) == 0
    assert first._recent is not kept


async def test_a_story_retention_deleted_through_another_store_is_not_joined(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    title = "Harbour council approves new budget"
    old = NOW - timedelta(hours=2)
    await store_and_group(
        first,
        "feed:1",
        [article("https://a.example/old", title, published_at=old)],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert await second.delete_articles_before(NOW - timedelta(hours=1)) == 1
    done = await store_and_group(
        first,
        "feed:2",
        [article("https://b.example/new", title)],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert done.stories_new == 1  # the deleted story is not joined
    rows = await first._fetchall("SELECT a.url FROM articles a JOIN stories s ON s.id = a.story_id")
    assert [r[0] for r in rows] == ["https://b.example/new"]


async def test_nul_characters_are_removed_alike_on_both_engines(
    categorised_store: Store,
) -> None:
    # A feed item may carry a NUL (``&#0;`` in its guid): PostgreSQL cannot store one, and
    # it must not fail the rest of the batch there while SQLite keeps it.
    store = categorised_store
    hostile = article("https://a.example/x", "Harbour\x00 budget", guid="g\x00-1", author="\x00")
    batch = [hostile, article("https://a.example/y", "Storm closes ferry", guid="\x00")]
    done = await store_and_group(store, "feed:1", batch, ["climate"], now=NOW, window=WINDOW)
    assert done.counts.new == 2
    rows = await store._fetchall("SELECT guid, title, author FROM articles ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("g-1", "Harbour budget", None),
        (None, "Storm closes ferry", None),
    ]
    # The same record again is the same article, unchanged.
    again = await store_and_group(store, "feed:1", batch, ["climate"], now=NOW, window=WINDOW)
    assert (again.counts.new, again.counts.unchanged) == (0, 2)
