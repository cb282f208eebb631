"""Issue 19 item 3: each change to a chat is one transaction, so concurrent presses (in one
process or two), double taps and a forget racing a change end in the right state, never
in a traceback or a chat stored again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from digests import actions
from digests.dburl import PostgresUrl
from digests.models import Subscriber
from digests.store import Store
from tests.conftest import CATEGORIES, NOW
from tests.digests.store.shared_db import ENGINES, target_for, two_stores

SLASH = actions.Spelling()
GONE = "This chat's settings were deleted; nothing was changed."


async def _reader(store: Store) -> Subscriber:
    for category in CATEGORIES:
        await store.upsert_category(category)
    sub = await store.upsert_subscriber("telegram", "-100", now=NOW)
    return await store.get_subscriber(sub.id)


@pytest.fixture(params=ENGINES)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Path | PostgresUrl:
    """One database (SQLite file or PostgreSQL) that two processes' stores open."""
    return target_for(request, tmp_path)


async def test_300_concurrent_toggles_of_one_button_flip_300_times(
    shared: Path | PostgresUrl,
) -> None:
    # Every press read the same stale subscriber (not subscribed): before, each one
    # subscribed, and the chat ended subscribed after an even number of flips.
    async with two_stores(shared) as (store, other):  # a second process's connection
        stale = await _reader(store)
        replies = await asyncio.gather(
            *(
                actions.toggle(s, stale, "climate", now=NOW, by="telegram:7")
                for s in [store, other] * 150
            )
        )
        assert (await store.get_subscriber(stale.id)).categories == ()
        assert replies.count("Subscribed to Climate.") == 150
        assert replies.count("Unsubscribed from Climate.") == 150


async def test_300_concurrent_chooses_subscribe_once_and_double_taps_are_idempotent(
    shared: Path | PostgresUrl,
) -> None:
    async with two_stores(shared) as (store, other):
        stale = await _reader(store)
        replies = await asyncio.gather(
            *(
                actions.choose(s, stale, "climate", True, now=NOW, by="telegram:7")
                for s in [store, other] * 150
            )
        )
        assert set(replies) == {"Subscribed to Climate."}
        assert (await store.get_subscriber(stale.id)).categories == ("climate",)
        # A double tap of "unsubscribe" on a picker drawn while subscribed.
        fresh = await store.get_subscriber(stale.id)
        for _ in range(2):
            reply = await actions.choose(store, fresh, "climate", False, now=NOW, by="t:7")
            assert reply == "Unsubscribed from Climate."
        assert (await store.get_subscriber(stale.id)).categories == ()


async def test_a_change_racing_a_forget_is_answered_and_stores_nothing(store: Store) -> None:
    # The adapter read the chat, then /forget deleted it, then the change reached the store:
    # before, subscribe failed on a foreign key (a traceback) and set_time wrote nothing
    # while saying it did.
    sub = await _reader(store)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    sub = await store.get_subscriber(sub.id)
    assert "Done" in await actions.forget(store, sub, by="telegram:9", now=NOW)
    changes = [
        actions.toggle(store, sub, "markets", now=NOW, by="telegram:7"),
        actions.choose(store, sub, "markets", True, now=NOW, by="telegram:7"),
        actions.subscribe(store, sub, ["markets"], now=NOW, spelling=SLASH, by="telegram:7"),
        actions.unsubscribe(store, sub, ["climate"], now=NOW, spelling=SLASH, by="t:7"),
        actions.set_filter(store, sub, ["climate", "ice"], now=NOW, spelling=SLASH, by="t:7"),
        actions.set_time(store, sub, ["07:30"], now=NOW, spelling=SLASH, by="telegram:7"),
        actions.set_timezone(store, sub, ["Asia/Tokyo"], now=NOW, spelling=SLASH, by="t:7"),
        actions.set_frequency(store, sub, ["weekdays"], now=NOW, spelling=SLASH, by="t:7"),
        actions.pause(store, sub, now=NOW, spelling=SLASH, by="telegram:7"),
        actions.resume(store, sub, now=NOW, by="telegram:7"),
        actions.unsubscribe(store, sub, ["all"], now=NOW, spelling=SLASH, by="telegram:7"),
    ]
    for change in changes:
        assert await change == GONE
    reply, language = await actions.set_language(
        store, sub, ["vi"], now=NOW, spelling=SLASH, by="telegram:7"
    )
    assert (reply, language) == (GONE, "en")
    # A second confirmation of the same forget (a double tap, another admin) is answered.
    assert await actions.forget(store, sub, by="telegram:9", now=NOW) == GONE
    assert await store.find_subscriber("telegram", "-100") is None
    assert await store.list_subscribers() == []


async def test_concurrent_presses_and_a_forget_never_raise(store: Store) -> None:
    sub = await _reader(store)
    presses = [
        actions.choose(store, sub, "climate", i % 2 == 0, now=NOW, by="telegram:7")
        for i in range(100)
    ]
    results = await asyncio.gather(
        *presses[:50], actions.forget(store, sub, by="telegram:9", now=NOW), *presses[50:]
    )
    assert all(isinstance(r, str) for r in results)
    assert GONE in results  # the presses after the forget were answered, not stored
    assert await store.find_subscriber("telegram", "-100") is None


async def test_presses_in_one_process_and_a_forget_in_another_never_raise(
    shared: Path | PostgresUrl,
) -> None:
    async with two_stores(shared) as (store, other):
        sub = await _reader(store)
        presses = [
            actions.choose((store, other)[i % 2], sub, "climate", i % 2 == 0, now=NOW, by="t:7")
            for i in range(100)
        ]
        results = await asyncio.gather(
            *presses[:50], actions.forget(other, sub, by="telegram:9", now=NOW), *presses[50:]
        )
        assert all(isinstance(r, str) for r in results)
        # Neither process stored the chat again, nor a subscription of it.
        for either in (store, other):
            assert await either.find_subscriber("telegram", "-100") is None
            assert await either.list_subscribers() == []
        late = actions.choose(store, sub, "climate", True, now=NOW, by="t:7")
        assert await late == GONE
