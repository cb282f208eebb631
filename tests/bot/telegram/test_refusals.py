"""Presses and commands the bot refuses on Telegram: a forum's press whose topic cannot be
known changes nothing; every refusal is audited (one row per member a minute, with a
count, through ``Store.audit_refusal``); a "no" or "cancel" spends its confirmation."""

from __future__ import annotations

from tests.bot.telegram.conftest import GROUP, GROUP_ADMIN, TelegramBot
from tests.bot.telegram.test_buttons import ADMIN, alerted, keyboard, preview
from tests.fakes import telegram_updates as tu

FORUM = -100777
IN_FORUM = {"chat_id": FORUM, "user_id": GROUP_ADMIN, "kind": "supergroup"}


async def refusals(bot: TelegramBot) -> list[tuple[str, str, int]]:
    rows = await bot.store._fetchall(
        "SELECT actor, action, count FROM audit WHERE outcome = 'refused' ORDER BY actor"
    )
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


async def test_an_old_press_in_a_forum_changes_nothing(telegram_bot: TelegramBot) -> None:
    """A press on a topic's picker older than 48 h comes without its message: the topic
    is unknown, so it is refused, and the group's general digest is not touched."""
    bot = telegram_bot
    bot.fake.chat_types[str(FORUM)] = "supergroup"
    bot.fake.admins[str(FORUM)] = {GROUP_ADMIN}
    await bot.say(tu.command("/subscribe climate", thread=7, forum=True, **IN_FORUM))
    for data in ("cat:markets:1", "forget:yes:AAAAAAAAAAAA"):
        answer, edit = await bot.press(
            tu.press(data, message_id=1, forum=True, inaccessible=True, **IN_FORUM)
        )
        assert alerted(answer) and "too old" in answer["text"] and not edit
    assert await bot.store.find_subscriber("telegram", str(FORUM)) is None
    topic = await bot.store.find_subscriber("telegram", str(FORUM), "7")
    assert topic is not None and topic.categories == ("climate",)
    # The same press on a message Telegram still shows acts on its topic.
    await bot.press(tu.press("cat:markets:1", message_id=1, forum=True, thread=7, **IN_FORUM))
    topic = await bot.store.find_subscriber("telegram", str(FORUM), "7")
    assert topic is not None and set(topic.categories) == {"climate", "markets"}
    assert await bot.store.find_subscriber("telegram", str(FORUM)) is None


async def test_an_old_press_where_a_topic_is_stored_changes_nothing(
    telegram_bot: TelegramBot,
) -> None:
    """The press's chat does not say it is a forum, but one of its topics is stored: the
    topic is still unknown, and the general chat is left alone."""
    bot = telegram_bot
    bot.fake.chat_types[str(FORUM)] = "supergroup"
    bot.fake.admins[str(FORUM)] = {GROUP_ADMIN}
    await bot.say(tu.command("/subscribe climate", thread=7, forum=True, **IN_FORUM))
    answer, edit = await bot.press(
        tu.press("cat:markets:1", message_id=1, inaccessible=True, **IN_FORUM)
    )
    assert alerted(answer) and "too old" in answer["text"] and not edit
    assert await bot.store.find_subscriber("telegram", str(FORUM)) is None


async def test_an_old_press_outside_a_forum_still_acts(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.press(
        tu.press("cat:climate:1", chat_id=100, user_id=100, message_id=1, inaccessible=True)
    )
    stored = await bot.store.find_subscriber("telegram", "100")
    assert stored is not None and stored.categories == ("climate",)


async def test_refusals_are_audited_once_a_minute_with_a_count(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    member = {"chat_id": GROUP, "user_id": 300, "kind": "group"}
    for _ in range(5):
        await bot.handle(tu.command("/stats", chat_id=77))
        await bot.handle(tu.command("/subscribe climate", **member))
        await bot.handle(tu.press("cat:climate:1", message_id=1, **member))
        await bot.handle(tu.command("/forget", **member))
        await bot.handle(
            tu.press(
                "forget:yes:AAAAAAAAAAAA",
                chat_id=GROUP,
                user_id=GROUP_ADMIN,
                message_id=1,
                kind="group",
            )
        )
    # The row keeps the first refusal's action: member 300's command, press and /forget.
    assert sorted(await refusals(bot)) == [
        ("telegram:300", "subscribe", 15),
        ("telegram:301", "forget", 5),
        ("telegram:77", "stats", 5),
    ]
    assert await bot.store.find_subscriber("telegram", str(GROUP)) is None


async def test_no_keep_it_spends_the_forget_token(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.say(tu.command("/subscribe climate", chat_id=100))
    asked = await bot.say(tu.command("/forget", chat_id=100))
    [(_, yes), (_, no)] = keyboard(asked)[0]
    press = {"chat_id": 100, "user_id": 100, "message_id": asked["message_id"]}
    _, kept = await bot.press(tu.press(no, **press))
    assert kept["text"] == "Nothing was deleted."
    stale, edit = await bot.press(tu.press(yes, **press))  # a stale or replayed "yes"
    assert alerted(stale) and "expired" in stale["text"] and not edit
    assert await bot.store.find_subscriber("telegram", "100") is not None


async def test_cancel_spends_the_push_preview(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.say(tu.command("/subscribe climate", chat_id=100))
    send = await preview(bot)
    cancel = "push:no:" + send.removeprefix("push:")
    _, dropped = await bot.press(tu.press(cancel, **ADMIN))
    assert dropped["text"] == "Not sent."
    _, edit = await bot.press(tu.press(send, **ADMIN))  # a stale "send" of that preview
    assert edit["text"] == "Not sent."
    assert await bot.store._fetchall("SELECT id FROM pushes") == []
