"""The chat's subscribers follow the bot's membership and the chat's migration, in-process:
blocked or removed deactivates, added back reactivates, a group that became a supergroup
keeps its subscriptions under the new id."""

from __future__ import annotations

import pytest

from tests.bot.telegram.conftest import GROUP, TelegramBot
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu


@pytest.mark.parametrize(
    ("chat_id", "kind", "status", "reason"),
    [
        (800, "private", "kicked", "blocked by the user"),
        (GROUP, "group", "left", "the bot was removed from the chat"),
        (GROUP, "group", "kicked", "the bot was removed from the chat"),
    ],
)
async def test_blocked_or_removed_deactivates_and_added_back_reactivates(
    telegram_bot: TelegramBot, chat_id: int, kind: str, status: str, reason: str
) -> None:
    store = telegram_bot.store
    subscriber = await store.upsert_subscriber("telegram", str(chat_id), now=NOW)
    topic = await store.upsert_subscriber("telegram", str(chat_id), now=NOW, thread_id="55")
    await telegram_bot.handle(tu.bot_status(status, chat_id=chat_id, kind=kind))
    for one in (subscriber, topic):  # every topic of the chat
        gone = await store.get_subscriber(one.id)
        assert (gone.active, gone.inactive_reason) == (False, reason)
    await telegram_bot.handle(tu.bot_status("member", chat_id=chat_id, kind=kind))
    again = await store.get_subscriber(subscriber.id)
    assert (again.active, again.inactive_reason) == (True, None)


async def test_adding_back_keeps_a_pause(telegram_bot: TelegramBot) -> None:
    store = telegram_bot.store
    subscriber = await store.upsert_subscriber("telegram", "800", now=NOW)
    await store.update_subscriber(subscriber.id, now=NOW, paused=True)
    await telegram_bot.handle(tu.bot_status("kicked", chat_id=800))
    await telegram_bot.handle(tu.bot_status("member", chat_id=800))
    again = await store.get_subscriber(subscriber.id)
    assert again.active and again.paused


async def test_a_chat_with_no_subscriber_is_left_alone(telegram_bot: TelegramBot) -> None:
    calls = await telegram_bot.handle(tu.bot_status("kicked", chat_id=801))
    assert calls == [] and await telegram_bot.store.subscribers_of_chat("telegram", "801") == []


async def test_a_migrated_group_keeps_its_subscriptions(telegram_bot: TelegramBot) -> None:
    store = telegram_bot.store
    subscriber = await store.upsert_subscriber("telegram", str(GROUP), now=NOW)
    await store.subscribe(subscriber.id, ["climate"], now=NOW)
    calls = await telegram_bot.handle(tu.migrate(chat_id=GROUP, to=-1003))
    assert calls == []  # a service message gets no answer
    moved = await store.get_subscriber(subscriber.id)
    assert moved.chat_id == "-1003" and moved.categories == ("climate",)
    assert await store.subscribers_of_chat("telegram", str(GROUP)) == []
