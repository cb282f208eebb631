"""The chat commands' one-trip reads and writes (``CommandStore``), on both engines: the
chat view matches what ``find_subscriber`` and ``admin_role`` read separately, and a
command's change stores a draft and writes in one transaction."""

from __future__ import annotations

import pytest

from digests.models import Subscriber
from digests.store import NotFound, Store, SubscriberGone
from tests.conftest import NOW


def draft(chat_id: str = "600", guild_id: str | None = "500") -> Subscriber:
    return Subscriber(
        id=0,
        platform="discord",
        chat_id=chat_id,
        guild_id=guild_id,
        language="vi",
        timezone="Asia/Ho_Chi_Minh",
        digest_time="07:30",
        set_up_by="42",
        created_at=NOW,
    )


async def test_a_chat_never_stored_is_viewed_with_its_servers_admin_role(
    categorised_store: Store,
) -> None:
    store = categorised_store
    assert (await store.chat_view("discord", "600", "500")).subscriber is None
    await store.set_admin_role("discord", "500", "77", now=NOW)
    view = await store.chat_view("discord", "600", "500")
    assert view.subscriber is None and view.admin_role == "77"
    assert (await store.chat_view("discord", "600", None)).admin_role is None


async def test_the_view_is_what_find_subscriber_reads(categorised_store: Store) -> None:
    store = categorised_store
    chat_id = await store.subscribe_chat(draft(), ["markets", "climate"], now=NOW, by="discord:42")
    await store.set_keywords(chat_id, "climate", ["heat", "flood"])
    view = await store.chat_view("discord", "600", "500")
    assert view.subscriber == await store.find_subscriber("discord", "600")
    assert view.subscriber is not None and view.subscriber.language == "vi"
    assert view.subscriber.subscriptions[0].keywords == ("heat", "flood")
    await store.retire_categories_except(["markets"], now=NOW)
    view = await store.chat_view("discord", "600", "500")
    assert view.subscriber is not None and view.subscriber.categories == ("markets",)


async def test_subscribing_a_draft_stores_it_once_with_the_change_and_announcement(
    categorised_store: Store,
) -> None:
    store = categorised_store
    first = await store.subscribe_chat(draft(), ["climate"], now=NOW, by="discord:42")
    # Another command for the same chat, drawn up before the first was stored.
    again = await store.subscribe_chat(
        draft(), ["markets"], now=NOW, by="discord:43", announcement=True
    )
    assert first == again
    stored = await store.find_subscriber("discord", "600")
    assert stored is not None and stored.categories == ("climate", "markets")
    assert stored.changed_by == "discord:43" and stored.digest_time == "07:30"
    assert await store.announcements_of_guild("discord", "500") == {"600": True}
    actions = [e.action for e in await store.audit_log()]
    assert actions.count("change") == 2


async def test_a_refused_subscription_stores_nothing(categorised_store: Store) -> None:
    store = categorised_store
    with pytest.raises(NotFound):
        await store.subscribe_chat(draft(), ["climate", "nope"], now=NOW)
    assert await store.find_subscriber("discord", "600") is None


async def test_a_change_stores_a_draft_and_makes_the_schedule_due_again(
    categorised_store: Store,
) -> None:
    store = categorised_store
    chat_id = await store.change_chat(
        draft(), now=NOW, change="time zone Europe/Paris", by="discord:42", timezone="Europe/Paris"
    )
    stored = await store.get_subscriber(chat_id)
    assert stored.timezone == "Europe/Paris" and stored.last_change == "time zone Europe/Paris"
    assert stored.next_digest_at is None
    with pytest.raises(ValueError, match="cannot change"):
        await store.change_chat(stored, now=NOW, change="x", chat_id="1")


async def test_a_change_to_a_forgotten_chat_raises_subscriber_gone(
    categorised_store: Store,
) -> None:
    store = categorised_store
    chat_id = await store.subscribe_chat(draft(), ["climate"], now=NOW)
    stored = await store.get_subscriber(chat_id)
    await store.forget_subscriber(chat_id, by="discord:42", now=NOW)
    with pytest.raises(SubscriberGone):
        await store.change_chat(stored, now=NOW, change="paused", paused=True)
    with pytest.raises(SubscriberGone):
        await store.subscribe_chat(stored, ["climate"], now=NOW)
