"""The store's part of Discord announcement channels: the flag per channel, the publish
count that survives a restart, Discord's holds, and /forget taking all of it away."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from digests.store import Store
from tests.conftest import NOW


async def announcement_channel(store: Store, chat_id: str = "555") -> int:
    subscriber = await store.upsert_subscriber("discord", chat_id, now=NOW, guild_id="500")
    assert await store.set_announcement("discord", chat_id, True)
    return subscriber.id


async def test_the_flag_is_set_changed_and_listed_per_server(store: Store) -> None:
    await announcement_channel(store, "555")
    await store.upsert_subscriber("discord", "666", now=NOW, guild_id="500")
    await store.upsert_subscriber("discord", "777", now=NOW, guild_id="500", thread_id="778")
    assert not await store.set_announcement("discord", "555", True)  # unchanged
    assert await store.announcements_of_guild("discord", "500") == {"555": True, "666": False}
    assert await store.set_announcement("discord", "555", False)
    assert not await store.is_announcement("discord", "555")
    assert not await store.set_announcement("discord", "unknown", True)


async def test_the_hourly_limit_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = await Store.open(path)
    subscriber_id = await announcement_channel(store)
    for n in range(10):
        reserved = await store.reserve_publish("discord", "555", f"m{n}", now=NOW)
        assert reserved is not None and reserved.verdict.allowed
    await store.close()

    store = await Store.open(path)  # a restart
    try:
        later = NOW + timedelta(minutes=30)
        refused = await store.reserve_publish("discord", "555", "m10", now=later)
        assert refused is not None and not refused.verdict.allowed
        assert refused.verdict.until == NOW + timedelta(hours=1)
        again = await store.reserve_publish("discord", "555", "m11", now=NOW + timedelta(hours=1))
        assert again is not None and again.verdict.allowed
        outcomes = [o for _, o in await store.publishes_of(subscriber_id)]
        assert outcomes == ["published"] * 10 + ["limited", "published"]
    finally:
        await store.close()


async def test_a_429_holds_the_channel_and_is_not_counted(store: Store) -> None:
    subscriber_id = await announcement_channel(store)
    reserved = await store.reserve_publish("discord", "555", "m1", now=NOW)
    assert reserved is not None
    await store.publish_refused(reserved, limited=True, hold_until=NOW + timedelta(hours=1))
    assert await store.publish_hold(subscriber_id) == NOW + timedelta(hours=1)
    held = await store.reserve_publish("discord", "555", "m2", now=NOW + timedelta(minutes=59))
    assert held is not None and not held.verdict.allowed
    free = await store.reserve_publish("discord", "555", "m3", now=NOW + timedelta(hours=1))
    assert free is not None and free.verdict.allowed
    assert await store.publishes_of(subscriber_id) == [
        ("m1", "limited"),
        ("m2", "limited"),
        ("m3", "published"),
    ]


async def test_a_text_channel_or_unknown_chat_reserves_nothing(store: Store) -> None:
    await store.upsert_subscriber("discord", "666", now=NOW, guild_id="500")
    assert await store.reserve_publish("discord", "666", "m1", now=NOW) is None
    assert await store.reserve_publish("discord", "nobody", "m1", now=NOW) is None


async def test_concurrent_publishes_never_pass_the_limit(store: Store) -> None:
    await announcement_channel(store)
    reserved = await asyncio.gather(
        *(store.reserve_publish("discord", "555", f"m{n}", now=NOW) for n in range(30))
    )
    assert sum(1 for r in reserved if r is not None and r.verdict.allowed) == 10


async def test_old_rows_are_pruned(store: Store) -> None:
    subscriber_id = await announcement_channel(store)
    await store.reserve_publish("discord", "555", "old", now=NOW - timedelta(days=2))
    await store.reserve_publish("discord", "555", "new", now=NOW)
    assert await store.publishes_of(subscriber_id) == [("new", "published")]


async def test_forget_deletes_the_channels_publishes_and_hold(store: Store) -> None:
    subscriber_id = await announcement_channel(store)
    reserved = await store.reserve_publish("discord", "555", "m1", now=NOW)
    assert reserved is not None
    await store.publish_refused(reserved, limited=True, hold_until=NOW + timedelta(hours=1))
    await store.forget_subscriber(subscriber_id, by="discord:42", now=NOW)
    assert await store.publishes_of(subscriber_id) == []
    assert await store.publish_hold(subscriber_id) is None
    # Recording an outcome for a publish of a chat forgotten meanwhile leaves no hold.
    await store.publish_refused(reserved, limited=True, hold_until=NOW + timedelta(hours=2))
    assert await store.publish_hold(subscriber_id) is None
