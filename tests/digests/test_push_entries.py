"""A breaking push of a new article stores the article with the push, in one
transaction (red-team finding 7: 20 concurrent pushes stored 20 articles for one push,
and the 19 refused ones reached the next digest)."""

from __future__ import annotations

import asyncio

import pytest

from digests import breaking
from digests.models import Article
from digests.render import Renderer
from digests.store import PushBusy, Store
from tests.conftest import NOW


async def draft(store: Store, n: int) -> Article:
    return await breaking.resolve_article(
        store,
        category="climate",
        now=NOW,
        url=f"https://push.example/a{n}",
        title=f"Flood warning number {n} for the delta",
        store_new=False,
    )


async def push(store: Store, article: Article) -> breaking.Report:
    return await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="cli", now=NOW
    )


async def test_a_draft_is_stored_with_its_push(categorised_store: Store) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    first = await draft(store, 1)
    assert breaking.is_draft(first) and (await store.counts())["articles"] == 0
    report = await push(store, first)
    assert (report.total, report.status) == (1, "sending")
    stored = await store.find_article_by_url("https://push.example/a1")
    assert stored is not None and stored.source == "Breaking news"
    pushed = await store.get_push(report.push_id)
    assert pushed is not None and pushed.article_id == stored.id
    assert pushed.story_id == stored.story_id
    # A second push of a new article while the first goes out: refused, nothing stored.
    with pytest.raises(PushBusy):
        await push(store, await draft(store, 2))
    assert await store.find_article_by_url("https://push.example/a2") is None
    assert (await store.counts())["articles"] == 1


async def test_concurrent_pushes_of_new_articles_store_one_article(
    categorised_store: Store,
) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    drafts = [await draft(store, n) for n in range(1, 21)]
    results = await asyncio.gather(*(push(store, d) for d in drafts), return_exceptions=True)
    started = [r for r in results if isinstance(r, breaking.Report)]
    assert len(started) == 1
    assert all(isinstance(r, PushBusy) for r in results if r not in started)
    assert (await store.counts())["articles"] == 1


async def test_a_push_with_no_subscriber_still_stores_its_article(
    categorised_store: Store,
) -> None:
    """Nothing to send: the push is done at once, and the article is kept as before."""
    report = await push(categorised_store, await draft(categorised_store, 1))
    assert (report.total, report.status) == (0, "done")
    assert (await categorised_store.counts())["articles"] == 1
