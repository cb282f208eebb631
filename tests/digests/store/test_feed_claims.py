"""Due feeds claimed by one process at a time (issue 12): two stores on one database play
two processes; each due feed goes to exactly one of them, a live claim of another holder is
skipped, an expired one is taken over, and a released one is free again. Both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from digests.store import Store
from tests.conftest import CATEGORIES, NOW

EVERY = timedelta(minutes=30)
CLAIM = timedelta(minutes=5)


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


async def add_feeds(store: Store, count: int) -> list[int]:
    return [
        (
            await store.upsert_feed(
                f"https://f{i}.example/rss", ["climate"], now=NOW, interval=EVERY
            )
        ).id
        for i in range(count)
    ]


async def ids(store: Store, holder: str, *, at: timedelta = timedelta(0)) -> list[int]:
    return [f.id for f in await store.due_feeds(NOW + at, holder=holder, claim=CLAIM)]


async def test_two_processes_asking_at_once_share_the_due_feeds(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    feeds = await add_feeds(first, 12)
    # Ten processes over the two connections ask at once: every feed goes to exactly one.
    rounds = await asyncio.gather(*(ids((first, second)[i % 2], f"p{i}") for i in range(10)))
    taken = [feed for got in rounds for feed in got]
    assert sorted(taken) == feeds
    # And to the same one when the two ask again at once (a holder renews its own).
    again = await asyncio.gather(*(ids((first, second)[i % 2], f"p{i}") for i in range(10)))
    assert again == rounds
    # Nobody else gets them while the claims are live, and the feeds keep their data.
    assert await ids(second, "p2", at=CLAIM - timedelta(seconds=1)) == []
    holder = next(i for i, got in enumerate(rounds) if got)
    claimed = await first.due_feeds(NOW, holder=f"p{holder}", claim=CLAIM)
    assert [f.id for f in claimed] == rounds[holder]
    assert all(f.categories == ("climate",) and f.interval == EVERY for f in claimed)


async def test_a_claim_is_renewed_by_its_holder_and_taken_over_once_expired(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    (feed,) = await add_feeds(first, 1)
    assert await ids(first, "a") == [feed]
    assert await ids(second, "b", at=CLAIM - timedelta(seconds=1)) == []
    # Its holder asking again renews the claim (a feed still waiting for a slot).
    assert await ids(first, "a", at=CLAIM - timedelta(seconds=1)) == [feed]
    assert await ids(second, "b", at=CLAIM) == []
    # Expired (the holder died): the other takes it over, and then holds it.
    assert await ids(second, "b", at=2 * CLAIM) == [feed]
    assert await ids(first, "a", at=2 * CLAIM) == []


async def test_a_released_claim_frees_the_feed_and_only_its_holder_releases_it(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    one, two = await add_feeds(first, 2)
    assert await ids(first, "a") == [one, two]
    await second.release_feed_claim(one, "b")  # not b's: nothing happens
    assert await ids(second, "b") == []
    await first.release_feed_claim(one, "a")
    assert await ids(second, "b") == [one]
    # A fetch recorded and released: not due again until its interval has passed.
    await second.record_fetch_success(
        one, now=NOW, next_fetch_at=NOW + EVERY, etag=None, last_modified=None, title=None
    )
    await second.release_feed_claim(one, "b")
    assert await ids(first, "a", at=CLAIM) == [two]
    assert await ids(first, "a", at=EVERY) == [one, two]


async def test_without_a_claim_due_feeds_only_lists_them(store: Store) -> None:
    for category in CATEGORIES:
        await store.upsert_category(category)
    feeds = await add_feeds(store, 2)
    assert await ids(store, "a") == feeds
    # A plain listing (the CLI's) shows what is due, claimed or not, and claims nothing.
    assert [f.id for f in await store.due_feeds(NOW)] == feeds
    assert await ids(store, "a") == feeds
    assert await ids(store, "b", at=CLAIM) == feeds


async def test_a_limit_leaves_the_rest_to_others_and_never_drops_ones_own(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    feeds = await add_feeds(first, 5)
    late = feeds[3]  # due longest: taken first
    await first.record_fetch_success(
        late, now=NOW, next_fetch_at=NOW - EVERY, etag=None, last_modified=None, title=None
    )

    async def claim(store: Store, holder: str, limit: int) -> list[int]:
        due = await store.due_feeds(NOW, holder=holder, claim=CLAIM, limit=limit)
        return [f.id for f in due]

    mine = [feeds[0], late]
    assert await claim(first, "a", 2) == mine
    assert await claim(second, "b", 10) == [feeds[1], feeds[2], feeds[4]]
    # Its own claims come back (renewed) even when it may take no more.
    assert await claim(first, "a", 0) == mine
    assert await claim(second, "c", -1) == []
