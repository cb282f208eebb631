"""Polling feeds end to end against a local HTTP server and a real store."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from digests.ingest import pipeline
from digests.ingest.fetch import FetchError, build_client
from digests.ingest.parse import FeedParseError, ParsedFeed, RawEntry
from digests.ingest.pipeline import MAX_BACKOFF, plan_retry, poll_feeds
from digests.models import Feed
from digests.settings import FetchLimits, Settings
from digests.store import Store
from tests.conftest import NOW

FIXTURES = Path(__file__).parents[2] / "fixtures" / "feeds"


class FeedServer:
    """Serves fixture files with ETags, counting requests per path."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.bodies: dict[str, bytes] = {}
        self.status: dict[str, int] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{name}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits[name] = self.hits.get(name, 0) + 1
        if name in self.status:
            return web.Response(status=self.status[name])
        body = self.bodies.get(name) or (FIXTURES / name).read_bytes()
        etag = f'"{hash(body)}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        return web.Response(body=body, headers={"ETag": etag})


@pytest.fixture
async def server(local_server) -> tuple[FeedServer, str]:  # type: ignore[no-untyped-def]
    feeds = FeedServer()
    return feeds, await local_server(feeds.app())


async def add(store: Store, url: str, categories: list[str]) -> Feed:
    return await store.upsert_feed(url, categories, now=NOW, interval=timedelta(minutes=15))


async def test_one_bad_feed_does_not_stop_the_others(
    categorised_store: Store, server: tuple[FeedServer, str]
) -> None:
    feeds, base = server
    feeds.status["down.xml"] = 500
    store = categorised_store
    await add(store, f"{base}/rss2.xml", ["ai-frontier"])
    await add(store, f"{base}/atom.xml", ["ai-frontier"])
    await add(store, f"{base}/down.xml", ["climate"])
    await add(store, f"{base}/garbage.html", ["climate"])
    settings = Settings()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
    assert report.fetched == 2 and report.counts.new == 3
    assert {url.rsplit("/", 1)[1] for url, _ in report.failed} == {"down.xml", "garbage.html"}
    states = {f.url.rsplit("/", 1)[1]: f for f in await store.list_feeds()}
    assert states["down.xml"].consecutive_errors == 1
    assert states["down.xml"].last_error == "HTTP 500 Internal Server Error"
    assert states["down.xml"].next_fetch_at == NOW + timedelta(minutes=30)
    assert states["rss2.xml"].consecutive_errors == 0 and states["rss2.xml"].title == "Wired AI"
    # The two Meta reports became one story with both sources.
    articles = await store.candidate_articles(published_since=NOW - timedelta(days=3))
    meta = [a for a in articles if "Meta" in a.title]
    assert len(meta) == 2 and meta[0].story_id == meta[1].story_id


async def test_second_poll_is_all_not_modified_and_adds_nothing(
    categorised_store: Store, server: tuple[FeedServer, str]
) -> None:
    feeds, base = server
    store = categorised_store
    await add(store, f"{base}/rss2.xml", ["ai-frontier"])
    settings = Settings()
    async with build_client(settings.fetch) as client:
        await poll_feeds(store, client, settings, now=NOW)
        early = await poll_feeds(store, client, settings, now=NOW + timedelta(minutes=5))
        assert early.fetched == early.not_modified == 0  # not due yet
        later = await poll_feeds(store, client, settings, now=NOW + timedelta(minutes=15))
    assert later.not_modified == 1 and later.counts.new == 0
    assert feeds.hits["rss2.xml"] == 2


async def test_edited_item_is_updated_in_place_and_new_undated_item_is_dated_now(
    categorised_store: Store, server: tuple[FeedServer, str]
) -> None:
    feeds, base = server
    store = categorised_store
    original = (FIXTURES / "rss2.xml").read_bytes()
    feeds.bodies["live.xml"] = original
    await add(store, f"{base}/live.xml", ["ai-frontier"])
    settings = Settings()
    later = NOW + timedelta(hours=1)
    async with build_client(settings.fetch) as client:
        await poll_feeds(store, client, settings, now=NOW)
        feeds.bodies["live.xml"] = original.replace(
            b"Open-Weight Models Close the Gap", b"Open-Weight Models Close the Gap on Coding"
        ).replace(
            b"</channel>",
            b"<item><title>Fresh undated item</title>"
            b"<link>https://www.wired.example/fresh</link></item></channel>",
        )
        report = await poll_feeds(store, client, settings, now=later)
    assert (report.counts.new, report.counts.updated, report.counts.unchanged) == (1, 1, 1)
    articles = {
        a.title: a for a in await store.candidate_articles(published_since=NOW - timedelta(days=3))
    }
    assert "Open-Weight Models Close the Gap on Coding" in articles
    assert articles["Fresh undated item"].published_at == later


async def test_a_feed_in_two_categories_is_fetched_once(
    categorised_store: Store, server: tuple[FeedServer, str]
) -> None:
    feeds, base = server
    store = categorised_store
    await add(store, f"{base}/rss1.rdf", ["climate", "markets"])
    settings = Settings()
    async with build_client(settings.fetch) as client:
        await poll_feeds(store, client, settings, now=NOW)
    assert feeds.hits == {"rss1.rdf": 1}
    (article,) = await store.candidate_articles(published_since=NOW - timedelta(days=1))
    assert article.categories == ("climate", "markets")


async def test_feed_is_disabled_after_too_many_failures(
    categorised_store: Store, server: tuple[FeedServer, str]
) -> None:
    feeds, base = server
    feeds.status["flaky.xml"] = 503
    store = categorised_store
    feed = await add(store, f"{base}/flaky.xml", ["climate"])
    settings = Settings(fetch=FetchLimits(max_errors=3))
    when = NOW
    async with build_client(settings.fetch) as client:
        for _ in range(3):
            await poll_feeds(store, client, settings, now=when)
            when = (await store.get_feed(feed.url)).next_fetch_at  # type: ignore[union-attr]
    final = await store.get_feed(feed.url)
    assert final is not None and final.disabled and final.consecutive_errors == 3
    assert "3 failures in a row" in (final.disabled_reason or "")
    assert feeds.hits["flaky.xml"] == 3
    assert await store.due_feeds(when + timedelta(days=2)) == []


def feed_state(errors: int, interval_minutes: int = 15) -> Feed:
    return Feed(
        id=1,
        url="https://x.example/",
        categories=("c",),
        name=None,
        title=None,
        interval=timedelta(minutes=interval_minutes),
        priority=0,
        etag=None,
        last_modified=None,
        consecutive_errors=errors,
        last_error=None,
        last_error_at=None,
        last_fetched_at=None,
        next_fetch_at=None,
        disabled=False,
        disabled_reason=None,
    )


@pytest.mark.parametrize(
    ("errors", "error", "delay", "disabled"),
    [
        (0, FetchError("HTTP 500"), timedelta(minutes=30), False),
        (1, FetchError("HTTP 500"), timedelta(minutes=60), False),
        (3, FeedParseError("not a feed"), timedelta(minutes=240), False),
        (8, FetchError("timed out"), timedelta(hours=24), False),
        (0, FetchError("busy", retry_after=timedelta(hours=3)), timedelta(hours=3), False),
        (0, FetchError("gone", permanent=True), timedelta(minutes=15), True),
        (9, FetchError("HTTP 500"), timedelta(minutes=15), True),
        (2, RuntimeError("internal error: KeyError: 'x'"), timedelta(minutes=120), False),
        (0, FetchError("busy", retry_after=timedelta(days=7)), timedelta(hours=24), False),
    ],
)
def test_plan_retry(errors: int, error: Exception, delay: timedelta, disabled: bool) -> None:
    next_at, reason = plan_retry(feed_state(errors), error, NOW, max_errors=10)
    assert next_at == NOW + delay
    assert (reason is not None) == disabled


async def test_bad_items_are_skipped_and_counted_and_their_feed_stays_ok(
    categorised_store: Store, server: tuple[FeedServer, str]
) -> None:
    _, base = server
    store = categorised_store
    feed = await add(store, f"{base}/jsonfeed-hostile-items.json", ["climate"])
    settings = Settings()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
    assert report.failed == [] and report.fetched == 1
    # The item whose JSON Feed image is an object keeps its place, without a picture.
    assert report.counts.new == 5 and report.skipped_items == 8
    assert report.pictures_dropped == 1
    state = await store.get_feed(feed.url)
    assert state is not None and state.consecutive_errors == 0 and state.last_error is None
    relative = await store.find_article_by_url("https://hostile.example/news/2026/relative")
    assert relative is not None and relative.title == "Plain <Text> Title & More"
    assert relative.image_url == "https://hostile.example/news/img/relative.jpg"
    assert await store.find_article_by_url("https://hostile.example/news/good-1") is not None


async def test_an_unexpected_error_is_recorded_backs_off_and_counts(
    categorised_store: Store, server: tuple[FeedServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds, base = server
    store = categorised_store
    feed = await add(store, f"{base}/rss2.xml", ["ai-frontier"])

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(pipeline, "store_and_group", broken)
    settings = Settings(fetch=FetchLimits(max_errors=2))
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
        reason = "internal error: RuntimeError: disk on fire second line"
        assert report.failed == [(feed.url, reason)]
        state = await store.get_feed(feed.url)
        assert state is not None and state.consecutive_errors == 1
        assert state.last_error == reason and not state.disabled
        assert state.next_fetch_at == NOW + timedelta(minutes=30)  # backed off, not due at once
        early = await poll_feeds(store, client, settings, now=NOW + timedelta(minutes=1))
        assert early.failed == [] and feeds.hits["rss2.xml"] == 1
        await poll_feeds(store, client, settings, now=NOW + timedelta(minutes=30))
    state = await store.get_feed(feed.url)
    assert state is not None and state.disabled  # it counts toward FEED_MAX_ERRORS
    assert "2 failures in a row: internal error" in (state.disabled_reason or "")


async def test_a_huge_retry_after_backs_off_at_most_a_day(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "99999999999999999999"})

    app = web.Application()
    app.router.add_get("/busy", busy)
    base = await local_server(app)
    store = categorised_store
    feed = await add(store, f"{base}/busy", ["climate"])
    settings = Settings()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
    assert report.failed == [(feed.url, "HTTP 429 Too Many Requests")]
    state = await store.get_feed(feed.url)
    assert state is not None and state.consecutive_errors == 1
    assert state.next_fetch_at == NOW + MAX_BACKOFF


async def test_a_trickling_feed_fails_at_the_deadline_and_the_others_are_stored(
    categorised_store: Store,
    server: tuple[FeedServer, str],
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(100):  # 5 s at one byte per 50 ms, never a 0.3 s silence
            await response.write(b" ")
            await asyncio.sleep(0.05)
        return response

    app = web.Application()
    app.router.add_get("/trickle", trickle)
    slow_base = await local_server(app)
    _, base = server
    store = categorised_store
    slow = await add(store, f"{slow_base}/trickle", ["climate"])
    await add(store, f"{base}/rss2.xml", ["ai-frontier"])
    settings = Settings(fetch=FetchLimits(timeout_s=0.3))
    started = time.monotonic()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
    assert time.monotonic() - started < 3
    assert report.fetched == 1 and report.counts.new == 2
    assert report.failed == [(slow.url, "timed out: no complete response within 0.3 s")]
    state = await store.get_feed(slow.url)
    assert state is not None and state.consecutive_errors == 1
    assert state.next_fetch_at == NOW + timedelta(minutes=30)


async def test_an_item_the_store_could_not_write_is_left_out_alone(
    categorised_store: Store, server: tuple[FeedServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def entry(title: str, link: str) -> RawEntry:
        return RawEntry(None, link, title, "", "", None, NOW, None)

    def parsed(content: bytes, **kwargs: object) -> ParsedFeed:
        return ParsedFeed(
            "T",
            None,
            (
                entry("Lone \ud800 surrogate", "https://t.example/bad"),
                entry("A good one", "https://t.example/good"),
            ),
            skipped=("item 3: url is not text",),
        )

    monkeypatch.setattr(pipeline, "parse_feed", parsed)
    _, base = server
    store = categorised_store
    await add(store, f"{base}/rss2.xml", ["ai-frontier"])
    settings = Settings()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
    assert report.failed == [] and report.counts.new == 1 and report.skipped_items == 2


def test_plan_retry_of_a_feed_with_a_very_long_interval_does_not_overflow() -> None:
    feed = feed_state(12, interval_minutes=2_000_000 * 24 * 60)  # 2 million days
    next_at, reason = plan_retry(feed, FetchError("HTTP 500"), NOW, max_errors=20)
    assert next_at == NOW + MAX_BACKOFF and reason is None
