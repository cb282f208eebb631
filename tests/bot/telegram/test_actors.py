"""Who changed a chat, on Telegram: a channel post names the channel (its administrators,
with the post's signature), an anonymous group admin is named as such, and /mysubs says
so in words (``bot.telegram.actors``)."""

from __future__ import annotations

from typing import Any

from bot.telegram.actors import actor_shown_in
from tests.bot.telegram.conftest import GROUP, GROUP_ADMIN, TelegramBot
from tests.fakes import telegram_updates as tu

CHANNEL = -100500


def last_line(message: dict[str, Any]) -> str:
    return str(message["text"]).split("\n")[-1]


async def test_a_channel_post_names_the_channel(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    bot.fake.chat_types[str(CHANNEL)] = "channel"
    await bot.say(tu.command("/subscribe climate", chat_id=CHANNEL, kind="channel"))
    stored = await bot.store.find_subscriber("telegram", str(CHANNEL))
    assert stored is not None and stored.changed_by == f"telegram:channel:{CHANNEL}"
    shown = await bot.say(tu.command("/mysubs", chat_id=CHANNEL, kind="channel"))
    assert "by the channel's administrators at" in last_line(shown)
    assert "?" not in last_line(shown)


async def test_a_signed_post_and_an_anonymous_admin(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    bot.fake.chat_types[str(CHANNEL)] = "channel"
    post = tu.command("/subscribe climate", chat_id=CHANNEL, kind="channel")
    post["channel_post"]["author_signature"] = "Lan\u202e Nguyen"
    await bot.say(post)
    shown = await bot.say(tu.command("/mysubs", chat_id=CHANNEL, kind="channel"))
    assert "by the channel's administrators (signed Lan Nguyen) at" in last_line(shown)
    anonymous = tu.command("/subscribe markets", chat_id=GROUP, user_id=1087968824, kind="group")
    anonymous["message"]["sender_chat"] = tu.chat(GROUP, "group")
    await bot.say(anonymous)
    stored = await bot.store.find_subscriber("telegram", str(GROUP))
    assert stored is not None and stored.changed_by == f"telegram:group:{GROUP}"
    shown = await bot.say(tu.command("/mysubs", chat_id=GROUP, user_id=300, kind="group"))
    assert "by the group's anonymous admin at" in last_line(shown)


async def test_a_member_is_named_by_id(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.say(
        tu.command("/subscribe markets", chat_id=GROUP, user_id=GROUP_ADMIN, kind="group")
    )
    shown = await bot.say(tu.command("/mysubs", chat_id=GROUP, user_id=300, kind="group"))
    assert f"by telegram:{GROUP_ADMIN} at" in last_line(shown)
    assert actor_shown_in("vi")(f"telegram:group:{GROUP}") == "quản trị viên ẩn danh của nhóm"
