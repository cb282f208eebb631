"""One article per (scope, guid or canonical URL) under concurrency, and storing an article
with its story in one transaction (issue 10, items 1 and 4)."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest

from digests.ingest.cluster import cluster_articles, title_key
from digests.ingest.stories import group_orphans, store_and_group
from digests.models import NewArticle, StoredArticleRef, StoryMember
from digests.store import Grouping, Store
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
    """Two connections on one database (a SQLite file, or a PostgreSQL database), as two
    processes would have."""
    for category in CATEGORIES:
        await store.upsert_category(category)
    second = await Store.open(store.path)
    try:
        yield store, second
    finally:
        await second.close()


async def table_counts(store: Store) -> tuple[int, int, int]:
    row = await store._fetchone(
        "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM stories), "
        "(SELECT COUNT(*) FROM articles WHERE story_id IS NULL)"
    )
    assert row is not None
    return row[0], row[1], row[2]


async def test_200_concurrent_stores_of_one_url_are_one_article_in_one_story(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    record = article("https://cms.example/harbour")

    async def store_once(store: Store) -> int:
        done = await store_and_group(
            store, "import:desk", [record], ["climate"], now=NOW, window=WINDOW
        )
        return done.counts.new

    results = await asyncio.gather(*(store_once((first, second)[i % 2]) for i in range(200)))
    assert sum(results) == 1
    assert await table_counts(first) == (1, 1, 0)
    assert len(await first.candidate_articles(published_since=NOW - WINDOW)) == 1


async def test_50_concurrent_stores_of_one_guid_are_one_article_without_error(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    # The same guid under different spellings of the title and URL: edits of one article.
    records = [
        article(
            f"https://cms.example/harbour-{i % 3}",
            f"Harbour budget approved, take {i % 3}",
            guid="cms-1",
        )
        for i in range(50)
    ]
    results = await asyncio.gather(
        *(
            store_and_group(
                (first, second)[i % 2], "import:desk", [r], ["climate"], now=NOW, window=WINDOW
            )
            for i, r in enumerate(records)
        )
    )
    assert sum(r.counts.new for r in results) == 1
    assert await table_counts(first) == (1, 1, 0)
    row = await first._fetchone("SELECT guid FROM articles")
    assert row is not None and row[0] == "cms-1"


async def test_the_database_refuses_a_second_article_with_the_same_url(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await store.ingest_articles(
        "import:desk", [article("https://cms.example/a")], ["climate"], now=NOW
    )
    with pytest.raises(sqlite3.IntegrityError):
        await store._db.execute(
            "INSERT INTO articles (scope, url, title, source, published_at, fetched_at, "
            "updated_at) VALUES ('import:desk', 'https://cms.example/a', 't', 's', 'x', 'x', 'x')"
        )


async def test_a_failure_while_grouping_stores_nothing(categorised_store: Store) -> None:
    store = categorised_store
    await store_and_group(
        store,
        "import:desk",
        [article("https://cms.example/first")],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )

    def disk_full(new: Sequence[StoredArticleRef], existing: Sequence[StoryMember]) -> list:
        raise sqlite3.OperationalError("database or disk is full")

    broken = Grouping(disk_full, NOW - WINDOW)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        await store.store_articles(
            "import:desk",
            [article("https://cms.example/second", "Storm closes the northern bridge")],
            ["climate"],
            now=NOW,
            grouping=broken,
        )
    assert await table_counts(store) == (1, 1, 0)  # neither the article nor a story
    # Nothing half-done lingers: the same record stored again is new, and gets a story.
    done = await store_and_group(
        store,
        "import:desk",
        [article("https://cms.example/second", "Storm closes the northern bridge")],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert (done.counts.new, done.stories_new) == (1, 1)
    assert await table_counts(store) == (2, 2, 0)


async def test_articles_without_a_story_are_grouped(categorised_store: Store) -> None:
    store = categorised_store
    # Left without a story, as an older version did when the disk filled up between steps.
    await store.ingest_articles(
        "import:desk",
        [article("https://cms.example/a"), article("https://cms.example/b", "Storm closes bridge")],
        ["climate"],
        now=NOW,
    )
    assert await table_counts(store) == (2, 0, 2)
    assert await store.candidate_articles(published_since=NOW - WINDOW) == []
    # Storing one of them again (unchanged) puts it into a story at once...
    again = await store_and_group(
        store,
        "import:desk",
        [article("https://cms.example/a")],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert (again.counts.unchanged, again.stories_new) == (1, 1)
    assert await table_counts(store) == (2, 1, 1)
    # ...and the orphan sweep (run start, each poll) takes the rest.
    assert await group_orphans(store, now=NOW, window=WINDOW) == 1
    assert await group_orphans(store, now=NOW, window=WINDOW) == 0
    assert await table_counts(store) == (2, 2, 0)
    assert len(await store.candidate_articles(published_since=NOW - WINDOW)) == 2


async def test_an_edit_onto_another_articles_url_keeps_both_apart(categorised_store: Store) -> None:
    store = categorised_store
    first = article("https://cms.example/one", "Harbour budget", guid="g1")
    second = article("https://cms.example/two", "Bridge closed", guid="g2")
    await store_and_group(
        store, "import:desk", [first, second], ["climate"], now=NOW, window=WINDOW
    )
    moved = article("https://cms.example/two", "Harbour budget, updated", guid="g1")
    done = await store_and_group(store, "import:desk", [moved], ["climate"], now=NOW, window=WINDOW)
    assert done.counts.updated == 1
    rows = await store._fetchall("SELECT guid, url, title FROM articles ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("g1", "https://cms.example/one", "Harbour budget, updated"),
        ("g2", "https://cms.example/two", "Bridge closed"),
    ]


async def test_two_guids_with_one_url_in_one_batch_are_one_article(
    categorised_store: Store,
) -> None:
    store = categorised_store
    done = await store_and_group(
        store,
        "feed:1",
        [
            article("https://outlet.example/", guid="a"),
            article("https://outlet.example/", guid="b"),
        ],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert (done.counts.new, done.counts.unchanged) == (1, 1)
    assert await table_counts(store) == (1, 1, 0)


async def test_a_key_stored_before_schema_5_is_found_under_its_old_spelling(
    categorised_store: Store,
) -> None:
    store = categorised_store
    # Before schema 5, "?flag" and "%20" were stored as "?flag=" and "+".
    await store.ingest_articles(
        "import:desk", [article("https://cms.example/s?flag=&q=a+b")], ["climate"], now=NOW
    )
    done = await store_and_group(
        store,
        "import:desk",
        [article("https://cms.example/s?flag&q=a%20b")],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert (done.counts.new, done.counts.updated) == (0, 1)
    rows = await store._fetchall("SELECT url, story_id FROM articles")
    assert [r[0] for r in rows] == ["https://cms.example/s?flag&q=a%20b"]
    assert rows[0][1] is not None


async def test_grouping_sees_stories_another_connection_made(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    title = "Meta pauses employee tracking program after internal data leak"
    await store_and_group(
        first,
        "feed:1",
        [article("https://a.example/x", "Unrelated storm news today")],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    await store_and_group(
        second,
        "feed:2",
        [article("https://b.example/meta", title)],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    done = await store_and_group(
        first,
        "feed:3",
        [
            article(
                "https://c.example/meta",
                "Meta pauses its employee tracking program after data leak",
            )
        ],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert done.stories_new == 0  # joined the story the other connection made
    rows = await first._fetchall("SELECT url, story_id FROM articles ORDER BY id")
    stories = {r[0]: r[1] for r in rows}
    assert stories["https://c.example/meta"] == stories["https://b.example/meta"]


async def test_grouping_batch_by_batch_matches_grouping_against_every_recent_story(
    categorised_store: Store,
) -> None:
    store = categorised_store
    rng = random.Random(7)
    words = (
        "harbour budget storm bridge council vote energy prices rail strike court ruling".split()
    )
    joined = 0
    for batch in range(12):
        scope = f"feed:{batch % 4}"
        new = [
            article(
                f"https://outlet{batch % 4}.example/{batch}-{i}",
                " ".join(rng.sample(words, 5)),
                published_at=NOW - timedelta(minutes=rng.randint(0, 600)),
            )
            for i in range(6)
        ]
        members = await store.recent_story_members(NOW - WINDOW)
        done = await store_and_group(store, scope, new, ["climate"], now=NOW, window=WINDOW)
        expected = cluster_articles(done.created, members)
        rows = {
            r[0]: r[1]
            for r in await store._fetchall(
                "SELECT id, story_id FROM articles WHERE id >= ?", (done.created[0].id,)
            )
        }
        for story_id, refs in expected:
            got = {rows[ref.id] for ref in refs}
            assert len(got) == 1
            if story_id is not None:
                assert got == {story_id}
                joined += 1
            else:
                assert got.isdisjoint({m.story_id for m in members})
    assert joined > 0  # the case exercises joining existing stories, not only new ones


async def test_stories_that_left_the_window_are_not_joined_and_come_back_for_an_earlier_now(
    categorised_store: Store,
) -> None:
    store = categorised_store
    title = "Meta pauses employee tracking program after internal data leak"
    first = await store_and_group(
        store,
        "feed:1",
        [article("https://a.example/meta", title)],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    later = NOW + timedelta(days=3)
    late = await store_and_group(
        store,
        "feed:2",
        [article("https://b.example/meta", title, published_at=later)],
        ["climate"],
        now=later,
        window=WINDOW,
    )
    assert late.stories_new == 1  # the first story was last seen more than 48 hours before
    # A batch dated back inside the first story's window joins it again.
    back = await store_and_group(
        store,
        "feed:3",
        [article("https://c.example/meta", title)],
        ["climate"],
        now=NOW,
        window=WINDOW,
    )
    assert back.stories_new == 0
    rows = await store._fetchall("SELECT id, story_id FROM articles ORDER BY id")
    story = {r[0]: r[1] for r in rows}
    ids = [first.created[0].id, late.created[0].id, back.created[0].id]
    assert story[ids[0]] != story[ids[1]]
    assert story[ids[2]] == story[ids[0]]  # equal scores: the older story wins
