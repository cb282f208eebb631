"""The publish count under pressure: two processes (two stores on one SQLite file or one
PostgreSQL database) racing for a channel's tenth publish of the hour, and a clock set
back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from digests.dburl import PostgresUrl
from digests.store import Store
from tests.conftest import NOW
from tests.digests.store.shared_db import ENGINES, target_for, two_stores


@pytest.fixture(params=ENGINES)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Path | PostgresUrl:
    return target_for(request, tmp_path)


async def test_two_processes_racing_for_the_tenth_publish_get_one(
    shared: Path | PostgresUrl,
) -> None:
    async with two_stores(shared) as (first, second):
        await first.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
        await first.set_announcement("discord", "555", True)
        for n in range(9):
            reserved = await first.reserve_publish("discord", "555", f"m{n}", now=NOW)
            assert reserved is not None and reserved.verdict.allowed
        raced = await asyncio.gather(
            *(
                store.reserve_publish("discord", "555", f"race-{n}", now=NOW)
                for n in range(10)
                for store in (first, second)
            )
        )
        assert sum(1 for r in raced if r is not None and r.verdict.allowed) == 1
        # Every try was recorded, the one allowed as counted and the rest as limited.
        channel = await second.find_subscriber("discord", "555")
        assert channel is not None
        recorded = await second.publishes_of(channel.id)
        assert sorted(outcome for _, outcome in recorded) == ["limited"] * 19 + ["published"] * 10


async def test_a_clock_set_back_still_counts_the_hours_publishes(store: Store) -> None:
    await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    for n in range(10):
        await store.reserve_publish("discord", "555", f"m{n}", now=NOW)
    # NTP steps the clock back ten minutes: in Discord's time the ten are a minute old.
    back = NOW - timedelta(minutes=10)
    refused = await store.reserve_publish("discord", "555", "m10", now=back)
    assert refused is not None and not refused.verdict.allowed
    assert refused.verdict.until == back + timedelta(hours=1)
    # A clock set back a whole day: those records cannot tell Discord's hour any more.
    day = await store.reserve_publish("discord", "555", "m11", now=NOW - timedelta(days=1))
    assert day is not None and day.verdict.allowed


async def test_a_dm_is_never_an_announcement_channel(store: Store) -> None:
    await store.upsert_subscriber("discord", "9003", now=NOW)  # a DM: no server
    assert not await store.set_announcement("discord", "9003", True)
    assert not await store.is_announcement("discord", "9003")
    assert await store.reserve_publish("discord", "9003", "m1", now=NOW) is None
