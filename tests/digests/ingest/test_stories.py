"""Storing and grouping as one step for feeds and imports; articles without a story are
grouped on each poll (issue 10, item 4)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from digests.ingest import stories
from digests.ingest.cluster import title_key
from digests.ingest.fetch import build_client
from digests.ingest.importer import import_records
from digests.ingest.pipeline import poll_feeds
from digests.models import NewArticle, StoredArticleRef, StoryMember
from digests.settings import Settings
from digests.store import Store
from tests.conftest import NOW

RSS = (Path(__file__).parents[2] / "fixtures" / "feeds" / "rss2.xml").read_bytes()


def full_disk(new: Sequence[StoredArticleRef], existing: Sequence[StoryMember]) -> list:
    raise sqlite3.OperationalError("database or disk is full")


async def counts(store: Store) -> tuple[int, int]:
    """(articles, articles without a story)"""
    row = await store._fetchone("SELECT COUNT(*), COUNT(*) - COUNT(story_id) FROM articles")
    assert row is not None
    return row[0], row[1]


async def test_a_poll_groups_articles_left_without_a_story(categorised_store: Store) -> None:
    store = categorised_store
    orphan = NewArticle(
        url="https://cms.example/orphan",
        title="Storm closes the northern bridge",
        summary="",
        source="Desk",
        published_at=NOW - timedelta(hours=1),
        title_key=title_key("Storm closes the northern bridge"),
    )
    await store.ingest_articles("import:desk", [orphan], ["climate"], now=NOW)
    assert await counts(store) == (1, 1)
    settings = Settings()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW, feeds=[])
    assert report.stories_new == 1
    assert await counts(store) == (1, 0)
    assert [
        a.url for a in await store.candidate_articles(published_since=NOW - timedelta(days=1))
    ] == ["https://cms.example/orphan"]


async def test_an_import_that_fails_while_grouping_stores_nothing_and_can_be_repeated(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = categorised_store
    records = [
        (
            n,
            {
                "url": f"https://cms.example/{n}",
                "title": f"Council story number {n}",
                "category": "climate",
                "source": "Desk",
                "published_at": (NOW - timedelta(hours=1)).isoformat(),
            },
        )
        for n in range(1, 4)
    ]
    monkeypatch.setattr(stories, "cluster_articles", full_disk)
    with pytest.raises(sqlite3.OperationalError):
        await import_records(store, records, now=NOW, story_window=timedelta(hours=48))
    assert await counts(store) == (0, 0)
    monkeypatch.undo()
    report = await import_records(store, records, now=NOW, story_window=timedelta(hours=48))
    assert report.counts.new == 3 and report.stories_new == 3
    assert await counts(store) == (3, 0)


async def test_a_feed_whose_grouping_fails_stores_nothing_and_is_stored_next_time(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = categorised_store

    async def rss(request: web.Request) -> web.Response:
        return web.Response(body=RSS, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/rss.xml", rss)
    base = await local_server(app)
    feed = await store.upsert_feed(
        f"{base}/rss.xml", ["climate"], now=NOW, interval=timedelta(minutes=15)
    )
    settings = Settings()
    monkeypatch.setattr(stories, "cluster_articles", full_disk)
    async with build_client(settings.fetch) as client:
        failed = await poll_feeds(store, client, settings, now=NOW, feeds=[feed])
        assert failed.counts.new == 0 and len(failed.failed) == 1
        assert await counts(store) == (0, 0)
        monkeypatch.undo()
        again = await poll_feeds(store, client, settings, now=NOW, feeds=[feed])
    assert again.counts.new > 0 and again.failed == []
    stored, orphans = await counts(store)
    assert stored == again.counts.new and orphans == 0
