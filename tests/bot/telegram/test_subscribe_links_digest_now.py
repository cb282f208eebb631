"""A subscribe link's "send today's digest now" button, pressed again and again: one
digest a minute per chat (a reader mashing the button, or a group's admins pressing it at
once, get the same digest once), each press still answered; the refusals of a non-admin
and of a forged press in a channel."""

from __future__ import annotations

from tests.bot.telegram.conftest import GROUP, GROUP_ADMIN, TelegramBot
from tests.bot.telegram.test_subscribe_links import pressed
from tests.builders import add_article
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu

BOT = "digest_test_bot"
JUST_SENT = "Today's digest was just sent here. Try again in a minute."


def digests(bot: TelegramBot, chat: int) -> list[str]:
    return [m["text"] for m in bot.fake.sent_to(str(chat)) if "Your news digest" in m["text"]]


async def test_30_presses_send_one_digest(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await add_article(bot.store, url="https://a.example/heat", title="Heat record", now=NOW)
    reply = await bot.say(tu.command("/start climate", chat_id=100))
    answers = []
    for _ in range(30):
        answer, _ = await bot.press(pressed("now", reply, chat_id=100, user_id=100))
        answers.append(answer["text"])
    assert len(digests(bot, 100)) == 1 and "Heat record" in digests(bot, 100)[0]
    assert answers == ["Sending today's digest…"] + [JUST_SENT] * 29
    # Another chat's button is its own.
    other = await bot.say(tu.command("/start climate", chat_id=101))
    answer, _ = await bot.press(pressed("now", other, chat_id=101, user_id=101))
    assert answer["text"] == "Sending today's digest…" and len(digests(bot, 101)) == 1


async def test_a_groups_admins_pressing_at_once_send_one(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    bot.fake.admins[str(GROUP)] = {GROUP_ADMIN, 302}
    admin = {"chat_id": GROUP, "user_id": GROUP_ADMIN, "kind": "group"}
    reply = await bot.say(tu.command(f"/start@{BOT} climate", **admin))
    first, _ = await bot.press(pressed("now", reply, **admin))
    second, _ = await bot.press(pressed("now", reply, **{**admin, "user_id": 302}))
    assert first["text"] == "Sending today's digest…" and second["text"] == JUST_SENT
    assert len(digests(bot, GROUP)) == 1


async def test_vietnamese(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    reply = await bot.say(tu.command("/start climate", chat_id=100, language="vi"))
    await bot.press(pressed("now", reply, chat_id=100, user_id=100, language="vi"))
    answer, _ = await bot.press(pressed("now", reply, chat_id=100, user_id=100, language="vi"))
    assert answer["text"] == "Bản tin hôm nay vừa được gửi tới đây. Hãy thử lại sau một phút."
