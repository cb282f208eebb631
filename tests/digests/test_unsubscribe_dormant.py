"""``unsubscribe all`` (Telegram's ``/unsubscribe all``, Discord's ``category:all``) leaves
the dormant subscriptions of retired categories alone and counts only what the reader
sees: it said "(2 categories)" to a reader who saw one, and the retired category did not
come back with its subscription when it returned to the feeds file."""

from __future__ import annotations

from datetime import datetime

from digests import actions
from digests.store import Store
from tests.conftest import CATEGORIES


async def retired_markets(store: Store, now: datetime) -> int:
    """A chat subscribed to climate and markets; markets then left the feeds file."""
    sub = await store.upsert_subscriber("telegram", "-100", now=now)
    await store.subscribe(sub.id, ["climate", "markets"], now=now)
    assert await store.retire_categories_except(["ai-frontier", "climate"], now=now) == {
        "markets": 1
    }
    return sub.id


async def test_the_store_leaves_dormant_subscriptions(
    categorised_store: Store, now: datetime
) -> None:
    store = categorised_store
    sub_id = await retired_markets(store, now)
    assert await store.unsubscribe(sub_id, None, now=now, by="telegram:1") == 1
    await store.upsert_category(CATEGORIES[2])  # markets is back in feeds.toml
    sub = await store.get_subscriber(sub_id)
    assert sub.categories == ("markets",)


async def test_unsubscribe_all_counts_what_the_reader_sees(
    categorised_store: Store, now: datetime
) -> None:
    store = categorised_store
    sub_id = await retired_markets(store, now)
    subscriber = await store.get_subscriber(sub_id)
    assert subscriber.categories == ("climate",)
    text = await actions.unsubscribe(
        store, subscriber, ["all"], now=now, spelling=actions.Spelling(), by="telegram:1"
    )
    assert text == "Unsubscribed from everything (1 categories)."
    assert (await store.get_subscriber(sub_id)).categories == ()
