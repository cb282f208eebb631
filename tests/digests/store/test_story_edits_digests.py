"""Digests respect an editor's split and merge: planned with ``digests.compose.plan_for`` (what
``digestbot preview`` and the dispatcher's planning use), on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from digests.compose import plan_for
from digests.ingest.cluster import title_key
from digests.models import NewArticle, StoredArticleRef, Subscriber
from digests.settings import DigestLimits
from digests.store import Store
from tests.conftest import CATEGORIES, NOW

HOUR = timedelta(hours=1)
LIMITS = DigestLimits()


async def put(store: Store, n: int, title: str, *, at: datetime) -> StoredArticleRef:
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


@pytest.fixture
async def stocked(store: Store) -> Store:
    for category in CATEGORIES:
        await store.upsert_category(category)
    return store


async def reader(store: Store, name: str) -> Subscriber:
    found = await store.upsert_subscriber("telegram", name, now=NOW)
    await store.subscribe(found.id, ["climate"], now=NOW)
    return await store.get_subscriber(found.id)


async def got(store: Store, who: Subscriber, story_id: int, at: datetime) -> None:
    await store.record_delivery(who.id, kind="digest", status="sent", now=at, story_ids=[story_id])


async def shown(store: Store, who: Subscriber) -> list[list[str]]:
    """The digest ``who`` gets now: each story as its articles' titles."""
    plan = await plan_for(store, who, now=NOW, limits=LIMITS)
    return sorted(
        sorted(a.title for a in story.articles)
        for section in plan.sections
        for story in section.stories
    )


async def test_a_digest_after_a_split(stocked: Store) -> None:
    store = stocked
    harbour = await put(store, 1, "Harbour council approves budget", at=NOW - 5 * HOUR)
    [story] = await store.assign_stories([(None, [harbour])], now=NOW - 5 * HOUR)
    early, late, fresh = [await reader(store, n) for n in ("early", "late", "fresh")]
    await got(store, early, story, NOW - 4 * HOUR)  # before the ferry article came
    ferry = await put(store, 2, "Storm closes the northern ferry", at=NOW - 3 * HOUR)
    await store.assign_stories([(story, [ferry])], now=NOW - 3 * HOUR)
    await got(store, late, story, NOW - 2 * HOUR)  # with the ferry article in it
    assert await shown(store, fresh) == [
        ["Harbour council approves budget", "Storm closes the northern ferry"]
    ]
    await store.split_article(ferry.id)
    # Who saw the ferry inside the harbour story does not get it again as news; who got
    # the story before the ferry article existed gets it now; a new reader gets both.
    assert await shown(store, late) == []
    assert await shown(store, early) == [["Storm closes the northern ferry"]]
    assert await shown(store, fresh) == [
        ["Harbour council approves budget"],
        ["Storm closes the northern ferry"],
    ]


async def test_a_digest_after_a_merge(stocked: Store) -> None:
    store = stocked
    one = await put(store, 1, "Harbour council approves budget", at=NOW - 3 * HOUR)
    two = await put(store, 2, "Council passes harbour spending plan", at=NOW - 2 * HOUR)
    older, newer = await store.assign_stories([(None, [one]), (None, [two])], now=NOW)
    first, second, fresh = [await reader(store, n) for n in ("first", "second", "fresh")]
    await got(store, first, older, NOW - HOUR)
    await got(store, second, newer, NOW - HOUR)
    assert await shown(store, second) == [["Harbour council approves budget"]]
    await store.merge_stories(older, newer)
    assert await shown(store, first) == []
    assert await shown(store, second) == []
    assert await shown(store, fresh) == [
        ["Council passes harbour spending plan", "Harbour council approves budget"]
    ]
