"""Hostile feed items (red-team findings 8 and 12), end to end through a local server
and a real store: a link over 2048 characters or a guid over 1024 (characters or UTF-8
bytes) is left out and counted, and a date feedparser misreads or that lies far ahead
is no known date, while the feed's good items are kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from digests.ingest.fetch import build_client
from digests.ingest.pipeline import PollReport, poll_feeds
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import from_db
from tests.conftest import NOW

Starter = Callable[[web.Application], Any]


def rss(*items: str) -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'
    ).encode()


def item(slug: str, *, link: str = "", guid: str = "", date: str = "") -> str:
    parts = f"<title>Story {slug}</title><link>{link or f'https://news.example/{slug}'}</link>"
    if guid:
        parts += f"<guid isPermaLink='false'>{guid}</guid>"
    if date:
        parts += f"<pubDate>{date}</pubDate>"
    return parts


async def poll(
    store: Store, local_server: Starter, document: bytes, *, first: bool
) -> tuple[PollReport, dict[str, Any]]:
    app = web.Application()

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=document, content_type="application/rss+xml")

    app.router.add_get("/feed.xml", handle)
    base = await local_server(app)
    feed = await store.upsert_feed(
        f"{base}/feed.xml", ["climate"], now=NOW, interval=timedelta(minutes=15)
    )
    if not first:  # a feed polled before: an undated item is news since the last poll
        await store.record_fetch_success(
            feed.id,
            now=NOW - timedelta(hours=1),
            next_fetch_at=NOW,
            etag=None,
            last_modified=None,
            title=None,
        )
    settings = Settings()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
    rows = await store._fetchall("SELECT url, guid, published_at, date_known FROM articles")
    return report, {row["url"].rsplit("/", 1)[1]: row for row in rows}


async def test_overlong_links_and_guids_are_left_out_and_counted(
    categorised_store: Store, local_server: Starter
) -> None:
    document = rss(
        item("long-link", link="https://news.example/" + "a" * 100_000),
        item("escaped-long", link="https://news.example/" + "é" * 1500),  # 9,000 encoded
        item("long-guid", guid="g" * 1025),
        item("good", guid="g" * 1024),
        item("also-good"),
    )
    report, articles = await poll(categorised_store, local_server, document, first=False)
    assert report.skipped_items == 3
    assert set(articles) == {"good", "also-good"}
    assert articles["good"]["guid"] == "g" * 1024


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 0001 00:00:00 +1400",  # feedparser: 1400-01-01
        "Mon, 01 Jan 2024 00:00:00 +99:99",  # feedparser: four days off
        "Mon, 01 Jan 2024 00:00:00 +1500",  # no such time zone
        "Fri, 31 Dec 9999 23:59:59 +1400",
        "Sun, 31 Dec 2099 00:00:00 GMT",  # far ahead
        "10000-01-01T00:00:00Z",  # feedparser: 2010-12-01
    ],
)
async def test_an_unknowable_date_on_a_first_import_is_unknown_and_the_item_kept(
    categorised_store: Store, local_server: Starter, date: str
) -> None:
    document = rss(item("odd", date=date), item("fine", date="Thu, 26 Nov 2026 08:00:00 +0100"))
    report, articles = await poll(categorised_store, local_server, document, first=True)
    assert report.skipped_items == 0 and set(articles) == {"odd", "fine"}
    assert articles["odd"]["date_known"] == 0
    assert from_db(articles["odd"]["published_at"]) <= NOW
    assert articles["fine"]["date_known"] == 1
    assert from_db(articles["fine"]["published_at"]) == NOW.replace(day=26, hour=7)


async def test_a_date_a_few_hours_ahead_is_still_known(
    categorised_store: Store, local_server: Starter
) -> None:
    ahead = (NOW + timedelta(hours=5)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    _, articles = await poll(
        categorised_store, local_server, rss(item("soon", date=ahead)), first=True
    )
    assert articles["soon"]["date_known"] == 1 and from_db(articles["soon"]["published_at"]) == NOW
