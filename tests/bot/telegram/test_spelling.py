"""Replies name Telegram's commands as Telegram spells them (``/time 07:30``): the
adapter passes its spelling into the core's replies, in every language."""

from __future__ import annotations

import pytest

from bot.telegram.spelling import SPELLING
from tests.bot.telegram.conftest import TelegramBot
from tests.fakes import telegram_updates as tu


@pytest.mark.parametrize(
    ("typed", "language", "answer"),
    [
        ("/time 99:99", "en", "Give a time of day as HH:MM, e.g. /time 07:30"),
        ("/time 99:99", "vi", "Hãy ghi giờ theo dạng HH:MM, ví dụ /time 07:30"),
        (
            "/frequency weekly",
            "en",
            "Use /frequency daily, /frequency weekdays or /frequency weekly monday",
        ),
        ("/unsubscribe", "en", "Name the categories to leave, or: /unsubscribe all"),
        ("/language fr", "en", "Use /language en or /language vi"),
        (
            "/pause",
            "en",
            "There is no digest to pause yet. Use /categories to pick some categories.",
        ),
    ],
)
async def test_usage_hints_name_the_telegram_command(
    telegram_bot: TelegramBot, typed: str, language: str, answer: str
) -> None:
    sent = await telegram_bot.say(tu.command(typed, chat_id=100, language=language))
    assert sent["text"] == answer


async def test_a_paused_chats_list_says_how_to_resume(telegram_bot: TelegramBot) -> None:
    await telegram_bot.say(tu.command("/subscribe climate", chat_id=100))
    paused = await telegram_bot.say(tu.command("/pause", chat_id=100))
    assert paused["text"] == "Paused. Use /resume to start again."
    listed = await telegram_bot.say(tu.command("/mysubs", chat_id=100))
    assert "Paused: use /resume to receive digests again." in listed["text"]


def test_telegram_spells_commands_with_a_slash_and_words() -> None:
    assert SPELLING.command("filter", "climate", "off") == "/filter climate off"
