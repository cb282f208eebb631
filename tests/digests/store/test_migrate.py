"""``Store.migrate_chat`` / ``migrate_chat_id``: a chat that moved to a new id is recorded
(old → new, per platform) in the same transaction as its subscribers' move, and a
subscriber already stored under the new id is merged with the old one, never dropped."""

from __future__ import annotations

from digests.store import Store
from tests.conftest import NOW

OLD, NEW = "-200", "-100200"


async def test_the_move_is_recorded_whoever_learnt_it(categorised_store: Store) -> None:
    store = categorised_store
    old = await store.upsert_subscriber("telegram", OLD, now=NOW)
    await store.migrate_chat(old.id, NEW, now=NOW)  # the delivery worker's way
    assert await store.migrated_to("telegram", OLD) == NEW
    assert await store.migrated_to("discord", OLD) is None  # platform-qualified
    assert await store.find_subscriber("telegram", OLD) is None
    moved = await store.find_subscriber("telegram", NEW)
    assert moved is not None and moved.id == old.id
    # Learnt with no subscriber stored (the bot's way): recorded all the same.
    await store.migrate_chat_id("telegram", "-300", "-100300", now=NOW)
    assert await store.migrated_to("telegram", "-300") == "-100300"


async def test_a_new_row_without_subscriptions_gives_way(categorised_store: Store) -> None:
    store = categorised_store
    old = await store.upsert_subscriber("telegram", OLD, now=NOW, digest_time="07:15")
    await store.subscribe(old.id, ["climate", "markets"], now=NOW)
    await store.set_keywords(old.id, "climate", ["heat"], now=NOW)
    await store.upsert_subscriber("telegram", NEW, now=NOW, digest_time="09:30")
    await store.migrate_chat(old.id, NEW, now=NOW)
    merged = await store.find_subscriber("telegram", NEW)
    assert merged is not None and merged.id == old.id and merged.digest_time == "07:15"
    assert set(merged.categories) == {"climate", "markets"}
    assert [s.keywords for s in merged.subscriptions if s.category == "climate"] == [("heat",)]
    assert await store.find_subscriber("telegram", OLD) is None


async def test_a_new_row_with_subscriptions_gets_the_union(categorised_store: Store) -> None:
    store = categorised_store
    old = await store.upsert_subscriber("telegram", OLD, now=NOW)
    await store.subscribe(old.id, ["climate", "markets"], now=NOW)
    await store.set_keywords(old.id, "climate", ["heat"], now=NOW)
    new = await store.upsert_subscriber("telegram", NEW, now=NOW, digest_time="09:30")
    await store.subscribe(new.id, ["climate", "ai-frontier"], now=NOW)
    await store.migrate_chat_id("telegram", OLD, NEW, now=NOW)
    merged = await store.find_subscriber("telegram", NEW)
    assert merged is not None and merged.id == new.id and merged.digest_time == "09:30"
    assert set(merged.categories) == {"climate", "markets", "ai-frontier"}
    # The new row's own filter (none) wins for a category both had.
    assert [s.keywords for s in merged.subscriptions if s.category == "climate"] == [()]
    assert await store.find_subscriber("telegram", OLD) is None
