"""The console's reads and writes of feeds by id (``_feed_health``), on both engines: every
feed with its article count; disable, enable and poll now, each acting only on a feed in
the state it expects; what a console feed is to ``feeds sync``."""

from __future__ import annotations

from datetime import timedelta

from digests.models import NewArticle
from digests.store import REMOVED_REASON, Store, feed_scope
from tests.conftest import NOW

EVERY = timedelta(minutes=30)


def articles(n: int, host: str) -> list[NewArticle]:
    return [
        NewArticle(
            guid=f"{host}-{i}",
            url=f"https://{host}/{i}",
            title=f"Story {i}",
            summary="",
            source=host,
            published_at=NOW,
        )
        for i in range(n)
    ]


async def test_every_feed_comes_with_its_article_count(categorised_store: Store) -> None:
    store = categorised_store
    one = await store.upsert_feed("https://one.example/", ["climate"], now=NOW, interval=EVERY)
    two = await store.upsert_feed(
        "https://two.example/", ["climate", "markets"], now=NOW, interval=EVERY
    )
    quiet = await store.upsert_feed("https://quiet.example/", ["markets"], now=NOW, interval=EVERY)
    await store.ingest_articles(
        feed_scope(one.id), articles(3, "a"), ["climate"], now=NOW, feed_id=one.id
    )
    await store.ingest_articles(
        feed_scope(two.id), articles(2, "b"), ["climate"], now=NOW, feed_id=two.id
    )
    # An import's articles belong to no feed.
    await store.ingest_articles("import:cms", articles(4, "c"), ["climate"], now=NOW)
    await store.disable_feed(quiet.id, "gone (410)")
    health = await store.feed_health()
    assert [(h.feed.url, h.articles) for h in health] == [
        ("https://one.example/", 3),
        ("https://two.example/", 2),
        ("https://quiet.example/", 0),
    ]
    assert health[1].feed.categories == ("climate", "markets")
    assert health[2].feed.disabled and health[2].feed.disabled_reason == "gone (410)"


async def test_no_feeds_is_an_empty_list(store: Store) -> None:
    assert await store.feed_health() == []
    assert await store.feed_by_id(1) is None


async def test_disable_enable_and_poll_act_on_the_state_they_expect(
    categorised_store: Store,
) -> None:
    store = categorised_store
    feed = await store.upsert_feed("https://f.example/", ["climate"], now=NOW, interval=EVERY)
    later = NOW + timedelta(hours=2)
    assert await store.poll_feed_now(feed.id, now=later)
    polled = await store.feed_by_id(feed.id)
    assert polled is not None and polled.next_fetch_at == later
    assert [f.id for f in await store.due_feeds(later)] == [feed.id]

    assert not await store.enable_feed(feed.id, now=later, origin="api")  # not disabled
    assert await store.disable_feed_by_hand(feed.id, "disabled in the console by ed")
    assert not await store.disable_feed_by_hand(feed.id, "again")  # already disabled
    assert not await store.poll_feed_now(feed.id, now=later)  # a disabled feed is not polled
    off = await store.feed_by_id(feed.id)
    assert off is not None and off.disabled
    assert off.disabled_reason == "disabled in the console by ed"
    assert await store.due_feeds(later) == []

    await store.record_fetch_failure(
        feed.id, now=later, error="boom", next_fetch_at=later + EVERY, disable_reason=None
    )
    assert await store.enable_feed(feed.id, now=later, origin="api")
    on = await store.feed_by_id(feed.id)
    assert on is not None and not on.disabled and on.disabled_reason is None
    assert on.consecutive_errors == 0 and on.next_fetch_at == later
    for act in (store.poll_feed_now(404, now=later), store.disable_feed_by_hand(404, "x")):
        assert not await act


async def test_a_hand_disabled_file_feed_stays_disabled_through_a_sync(
    categorised_store: Store,
) -> None:
    store = categorised_store
    feed = await store.upsert_feed("https://f.example/", ["climate"], now=NOW, interval=EVERY)
    await store.disable_feed_by_hand(feed.id, "disabled in the console by ed")
    # What `feeds sync` does with a file that still names it: settings, not the state.
    again = await store.upsert_feed("https://f.example/", ["climate"], now=NOW, interval=EVERY)
    assert again.disabled and again.disabled_reason == "disabled in the console by ed"


async def test_a_console_feed_is_not_the_files_to_disable(categorised_store: Store) -> None:
    store = categorised_store
    await store.add_new_feeds(
        [("https://c.example/", "Console", ["climate"])], now=NOW, interval=EVERY, origin="api"
    )
    left = await store.upsert_feed("https://left.example/", ["climate"], now=NOW, interval=EVERY)
    assert await store.disable_feeds_except([]) == ["https://left.example/"]
    # Turned back on in the console, a feed that left the file becomes the console's.
    assert await store.enable_feed(left.id, now=NOW, origin="api")
    assert await store.disable_feeds_except([]) == []
    states = {f.url: (f.origin, f.disabled) for f in await store.list_feeds()}
    assert states == {
        "https://c.example/": ("api", False),
        "https://left.example/": ("api", False),
    }
    assert REMOVED_REASON  # the reason a sync gives, which an enable clears
