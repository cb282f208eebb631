"""Two processes on one database: two Store objects, each with its own connection, on the
same SQLite file or the same PostgreSQL database, writing the same chat at once.

What a subscribe link promises ("50 taps at once give one subscription set and one
sign-up", ``Store.subscribe_through_link``) and what adding a chat promises (one row per
chat, ``Store.upsert_subscriber``) must hold when the taps arrive through different
processes, not only through one store's connection, whose writes already take turns.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from digests import signup
from digests.links import SignupCount
from digests.models import Subscriber
from digests.signup import Joined
from digests.store import Store
from tests.conftest import CATEGORIES, NOW
from tests.digests.store import shared_db
from tests.digests.store.shared_db import ENGINES, target_for

TAPS = 50


@pytest.fixture(params=ENGINES)
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, as two processes would open it, with the categories."""
    async with shared_db.two_stores(target_for(request, tmp_path)) as (first, second):
        for category in CATEGORIES:
            await first.upsert_category(category)
        yield first, second


def draft(chat: str) -> Subscriber:
    """A chat as an adapter draws it up before it is stored (id 0)."""
    return Subscriber(id=0, platform="telegram", chat_id=chat, created_at=NOW)


async def rows_of_chat(store: Store, chat: str) -> int:
    row = await store._fetchone(
        "SELECT COUNT(*) FROM subscribers WHERE platform = ? AND chat_id = ?",
        ("telegram", chat),
    )
    assert row is not None
    return int(row[0])


async def test_taps_through_two_stores_at_once_sign_up_once(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    link = await first.add_link(["climate", "markets"], source="print", now=NOW)
    # A new chat (never stored) taps 50 times, its taps spread over both processes.
    results = await asyncio.gather(
        *(
            signup.tap((first, second)[i % 2], draft("100"), link.code, now=NOW, by=None)
            for i in range(TAPS)
        )
    )
    done = [r for r in results if isinstance(r, Joined)]
    assert len(done) == TAPS, results
    assert len({r.subscriber.id for r in done}) == 1
    assert await rows_of_chat(first, "100") == 1
    assert sum(r.signed_up for r in done) == 1
    assert sorted(a for r in done for a in r.added) == ["climate", "markets"]
    for store in (first, second):
        stored = await store.find_subscriber("telegram", "100")
        assert stored is not None
        assert [s.category for s in stored.subscriptions] == ["climate", "markets"]
        assert await store.signup_counts() == [SignupCount(link.code, "print", 1)]
        assert await store.signup_totals() == [SignupCount(link.code, "print", 1)]


async def test_many_chats_through_two_stores_each_count_once(
    two_stores: tuple[Store, Store],
) -> None:
    # The link's all-time total is one counter row that every sign-up increments: taps
    # from two processes at once must not lose an increment. Each chat taps through both,
    # one process going up the list and the other down, so that they mostly write
    # different chats (and the same counter) at the same moment.
    first, second = two_stores
    chats = [str(1000 + n) for n in range(20)]
    taps = [signup.tap(first, draft(chat), "climate", now=NOW, by=None) for chat in chats]
    taps += [
        signup.tap(second, draft(chat), "climate", now=NOW, by=None) for chat in reversed(chats)
    ]
    results = await asyncio.gather(*taps)
    done = [r for r in results if isinstance(r, Joined)]
    assert len(done) == len(taps), results
    assert sum(r.signed_up for r in done) == len(chats)
    assert await second.signup_counts() == [SignupCount("climate", "", len(chats))]
    assert await first.signup_totals() == [SignupCount("climate", "", len(chats))]


async def test_two_stores_adding_the_same_chat_at_once_store_one_row(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    added = await asyncio.gather(
        *(
            (first, second)[i % 2].upsert_subscriber("telegram", "-200", now=NOW, language="de")
            for i in range(TAPS)
        ),
        *(
            (second, first)[i % 2].stored(draft("-200"))  # an adapter's draft, stored
            for i in range(TAPS)
        ),
    )
    assert len({s.id for s in added}) == 1
    assert await rows_of_chat(second, "-200") == 1
    # Whoever wrote first set the row up; the others found it and changed nothing.
    assert len({(s.language, s.created_at) for s in added}) == 1
