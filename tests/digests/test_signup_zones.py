"""The time zones a link's reply offers (``Store.popular_zones``): those most of the
latest chats have, read from the end of the table, not from every chat on each tap."""

from __future__ import annotations

from digests.store import Store
from digests.store._links import ZONE_SAMPLE
from tests.conftest import NOW


async def test_the_latest_chats_zones(categorised_store: Store) -> None:
    store = categorised_store
    # Many older chats in Paris, then the latest ZONE_SAMPLE mostly in Tokyo.
    old = [(str(i), "Europe/Paris") for i in range(ZONE_SAMPLE + 200)]
    new = [(str(10**6 + i), "Asia/Tokyo" if i % 4 else "UTC") for i in range(ZONE_SAMPLE)]
    async with store._transaction() as db:
        await db.executemany(
            "INSERT INTO subscribers (platform, chat_id, timezone, created_at, updated_at) "
            "VALUES ('telegram', ?, ?, ?, ?)",
            [
                (chat, zone, "2026-11-27T00:00:00Z", "2026-11-27T00:00:00Z")
                for chat, zone in old + new
            ],
        )
    assert await store.popular_zones(6) == ["Asia/Tokyo", "UTC"]
    await store.upsert_subscriber("telegram", "x", now=NOW, timezone="Asia/Ho_Chi_Minh")
    assert await store.popular_zones(2) == ["Asia/Tokyo", "UTC"]
    assert "Asia/Ho_Chi_Minh" in await store.popular_zones(6)
