"""A group that became a supergroup, learnt of anywhere (the delivery worker's refused
send, a refused reply or edit, the migration message): one record of old id → new id in
the store, which every later update from the old id follows."""

from __future__ import annotations

from tests.bot.telegram.conftest import GROUP, GROUP_ADMIN, TelegramBot
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu

SUPER = -100200
OLD_GROUP = {"chat_id": GROUP, "kind": "group", "user_id": GROUP_ADMIN}


async def chats(bot: TelegramBot) -> list[str]:
    rows = await bot.store._fetchall("SELECT chat_id FROM subscribers ORDER BY chat_id")
    return [str(r[0]) for r in rows]


def supergroup(bot: TelegramBot) -> None:
    bot.fake.chat_types[str(SUPER)] = "supergroup"
    bot.fake.admins[str(SUPER)] = {GROUP_ADMIN}


async def test_a_migration_delivery_learnt_is_followed_by_a_later_press(
    telegram_bot: TelegramBot,
) -> None:
    """The delivery worker moves the row (Store.migrate_chat) and the service message was
    missed; the admin's answer for the old id is still cached. A press under an old message
    acts on the supergroup, and no orphan row appears for the dead id."""
    bot = telegram_bot
    supergroup(bot)
    await bot.say(tu.command("/subscribe climate", **OLD_GROUP))
    stored = await bot.store.find_subscriber("telegram", str(GROUP))
    assert stored is not None
    await bot.store.migrate_chat(stored.id, str(SUPER), now=NOW)  # as digests.deliver does
    bot.fake.migrated[str(GROUP)] = str(SUPER)
    await bot.handle(tu.press("cat:markets:1", message_id=1, **OLD_GROUP))
    assert await chats(bot) == [str(SUPER)]
    moved = await bot.store.find_subscriber("telegram", str(SUPER))
    assert moved is not None and set(moved.categories) == {"climate", "markets"}
    assert await bot.store.migrated_to("telegram", str(GROUP)) == str(SUPER)


async def test_a_queued_command_whose_reply_is_refused_follows_the_migration(
    telegram_bot: TelegramBot,
) -> None:
    """Neither the service message nor delivery told the bot; Telegram refuses the reply
    in the old group with migrate_to_chat_id. The change goes with the chat to the
    supergroup and the answer is sent there."""
    bot = telegram_bot
    supergroup(bot)
    await bot.say(tu.command("/subscribe climate", **OLD_GROUP))
    bot.fake.migrated[str(GROUP)] = str(SUPER)
    await bot.handle(tu.command("/subscribe markets", **OLD_GROUP))
    assert await chats(bot) == [str(SUPER)]
    moved = await bot.store.find_subscriber("telegram", str(SUPER))
    assert moved is not None and set(moved.categories) == {"climate", "markets"}
    assert bot.fake.sent_to(str(SUPER))
    # The next command from the old id acts on the supergroup without asking Telegram.
    await bot.handle(tu.command("/unsubscribe climate", **OLD_GROUP))
    moved = await bot.store.find_subscriber("telegram", str(SUPER))
    assert moved is not None and moved.categories == ("markets",)
    assert await chats(bot) == [str(SUPER)]


async def test_a_supergroup_set_up_first_is_merged_not_dropped(telegram_bot: TelegramBot) -> None:
    """An admin's /pause ran in the new supergroup before the migration message: the old
    group's subscriptions and filters are kept, not deleted with its row."""
    bot = telegram_bot
    supergroup(bot)
    await bot.say(tu.command("/subscribe climate ai-frontier", **OLD_GROUP))
    await bot.say(tu.command("/filter climate heat", **OLD_GROUP))
    new = {"chat_id": SUPER, "kind": "supergroup", "user_id": GROUP_ADMIN}
    await bot.handle(tu.command("/time 09:30", **new))
    await bot.handle(tu.migrated_from(chat_id=SUPER, old=GROUP))
    assert await chats(bot) == [str(SUPER)]
    merged = await bot.store.find_subscriber("telegram", str(SUPER))
    assert merged is not None and set(merged.categories) == {"climate", "ai-frontier"}
    assert [s.keywords for s in merged.subscriptions if s.category == "climate"] == [("heat",)]


async def test_a_digest_preview_refused_by_the_migration_follows_it(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    supergroup(bot)
    await bot.say(tu.command("/subscribe climate", **OLD_GROUP))
    bot.fake.migrated[str(GROUP)] = str(SUPER)
    await bot.handle(tu.command("/digest", **OLD_GROUP))
    assert bot.fake.sent_to(str(SUPER))
    assert await chats(bot) == [str(SUPER)]
