"""Breaking-push confirmations kept in the store (issue 12), on both engines: a token added
through one Store object (one process) is taken through another; of two takes at once
exactly one gets the push; an expired, another admin's or another platform's take gets
nothing and, but for the expired one, leaves the push for its admin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from digests.pending_pushes import PendingPush, PendingPushes
from digests.store import Store
from digests.store._pending import StoredPush
from tests.conftest import NOW

LIVE = NOW + timedelta(seconds=600)


@pytest.fixture
async def other(store: Store) -> AsyncIterator[Store]:
    """A second Store on the same database: another process's (or a restarted one's)."""
    opened = await Store.open(store.path)
    try:
        yield opened
    finally:
        await opened.close()


async def test_a_push_added_by_one_process_is_taken_by_another(store: Store, other: Store) -> None:
    here, there = PendingPushes(store, "telegram"), PendingPushes(other, "telegram")
    token = await here.add("climate", 42, 7, now=NOW)
    assert await there.peek(token, now=NOW) == PendingPush("climate", 42, 7, LIVE)
    assert await there.take(token, 7, now=NOW + timedelta(seconds=30)) == (
        PendingPush("climate", 42, 7, LIVE)
    )
    # Gone for both: the first process's stale view cannot send it again.
    assert await here.take(token, 7, now=NOW) is None
    assert await here.peek(token, now=NOW) is None
    assert await there.count(now=NOW) == 0


async def test_two_takes_at_once_give_the_push_once(store: Store, other: Store) -> None:
    tokens = [
        await PendingPushes(store, "discord").add("climate", number, 7, now=NOW)
        for number in range(1, 21)
    ]
    stores = (store, other)

    async def take(token: str, which: int) -> PendingPush | None:
        return await PendingPushes(stores[which], "discord").take(token, 7, now=NOW)

    # Each token pressed twice at the same moment, once through each process.
    results = await asyncio.gather(*(take(token, which) for token in tokens for which in (0, 1)))
    taken = [result for result in results if result is not None]
    assert sorted(push.article_id for push in taken) == list(range(1, 21))
    assert await store.count_pending_pushes(platform="discord", now=NOW) == 0


async def test_an_expired_push_is_not_taken_and_is_purged(store: Store, other: Store) -> None:
    pushes = PendingPushes(store, "telegram", ttl=timedelta(seconds=60))
    token = await pushes.add("climate", 42, 7, now=NOW)
    late = NOW + timedelta(seconds=61)
    assert await PendingPushes(other, "telegram").peek(token, now=late) is None
    assert await PendingPushes(other, "telegram").take(token, 7, now=late) is None
    # The last second still counts, seen from either process.
    assert await pushes.peek(token, now=NOW + timedelta(seconds=60)) is not None
    assert await other.purge_pending_pushes(now=late) == 1
    assert await pushes.take(token, 7, now=NOW) is None  # purged: gone even for its time


async def test_another_admins_or_platforms_take_leaves_the_push(store: Store) -> None:
    telegram = PendingPushes(store, "telegram")
    token = await telegram.add("climate", 42, 7, now=NOW)
    assert await telegram.take(token, 8, now=NOW) is None
    assert await PendingPushes(store, "discord").take(token, 7, now=NOW) is None
    assert await PendingPushes(store, "discord").peek(token, now=NOW) is None
    assert await telegram.take(token, 7, now=NOW) == PendingPush("climate", 42, 7, LIVE)


async def test_a_token_already_stored_is_not_overwritten(store: Store) -> None:
    first = StoredPush("tok", "telegram", "climate", 1, "7", LIVE)
    assert await store.add_pending_push(first, now=NOW)
    clash = StoredPush("tok", "telegram", "markets", 2, "8", LIVE)
    assert not await store.add_pending_push(clash, now=NOW)
    assert await store.take_pending_push("tok", platform="telegram", admin_id="7", now=NOW) == (
        first
    )


async def test_hostile_tokens_find_nothing(store: Store) -> None:
    pushes = PendingPushes(store, "telegram")
    await pushes.add("climate", 42, 7, now=NOW)
    for token in ("", "%", "' OR 1=1 --", "x" * 5_000, "\x00", "é" * 40):
        assert await pushes.peek(token, now=NOW) is None
        assert await pushes.take(token, 7, now=NOW) is None
    assert await pushes.count(now=NOW) == 1
