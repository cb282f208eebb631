"""The time zone buttons under a subscribe link's reply: a chat whose zone is stored by
an old name (``Asia/Saigon``, from before old names were followed) is offered it, and its
button works (the current name is set and ticked); forged zones change nothing."""

from __future__ import annotations

import pytest

from bot.telegram.keyboards import zone_label
from tests.bot.telegram.conftest import TelegramBot
from tests.bot.telegram.test_subscribe_links import buttons, pressed
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu

WHERE = {"chat_id": 100, "user_id": 100}


async def zone(bot: TelegramBot) -> str:
    found = await bot.store.find_subscriber("telegram", "100")
    assert found is not None
    return found.timezone


async def test_a_zone_stored_by_its_old_name(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.store.upsert_subscriber("telegram", "100", now=NOW, timezone="Asia/Saigon")
    reply = await bot.say(tu.command("/start climate", chat_id=100))
    offered = [b for row in buttons(reply) for b in row if b[1].startswith("tz:")]
    assert ("✅ Saigon", "tz:Asia/Saigon") in offered
    answer, edit = await bot.press(pressed("tz:Asia/Saigon", reply, **WHERE))
    assert "Asia/Ho_Chi_Minh" in answer["text"]
    assert await zone(bot) == "Asia/Ho_Chi_Minh"
    redrawn = [b for row in buttons(edit) for b in row if b[1].startswith("tz:")]
    assert ("✅ Ho Chi Minh", "tz:Asia/Ho_Chi_Minh") in redrawn
    assert [text for text, _ in redrawn].count("✅ Ho Chi Minh") == 1
    assert not [text for text, _ in redrawn if text.startswith("✅") and "Ho Chi Minh" not in text]


@pytest.mark.parametrize(
    "data", ["tz:Bogus/Zone", "tz:" + "A" * 61, "tz:", "tz:Factory", "tz:../../etc/passwd"]
)
async def test_forged_zones_change_nothing(telegram_bot: TelegramBot, data: str) -> None:
    bot = telegram_bot
    reply = await bot.say(tu.command("/start climate", chat_id=100))
    answer, edit = await bot.press(pressed(data, reply, **WHERE))
    assert "too old" in answer["text"] and not edit
    assert await zone(bot) == "UTC"


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Asia/Ho_Chi_Minh", "Ho Chi Minh"),
        ("America/Argentina/ComodRivadavia", "ComodRivadavia"),
        ("UTC", "UTC"),
        ("Etc/GMT-7", "UTC+7"),  # POSIX's sign: seven hours ahead of UTC
        ("Etc/GMT+10", "UTC-10"),
        ("Etc/GMT", "GMT"),
    ],
)
def test_zone_labels(zone: str, label: str) -> None:
    assert zone_label(zone) == label
