"""The bot admins' /stats on Telegram shows the model's day in two lines."""

from __future__ import annotations

import dataclasses

from digests.llm_settings import LlmSettings
from tests.bot.telegram.conftest import BOT_ADMIN, TelegramBot
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu


async def test_stats_show_the_model_s_day(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    shown = await bot.say(tu.command("/stats", chat_id=BOT_ADMIN))
    assert "model" not in shown["text"]  # no model configured, nothing counted
    bot.ctx.settings = dataclasses.replace(
        bot.ctx.settings, llm=LlmSettings(base_url="http://127.0.0.1:9/v1")
    )
    await bot.store.add_llm_usage(
        NOW.date(),
        {"calls": 2, "prompt_tokens": 900, "completion_tokens": 100, "fallback:<b>x</b>": 1},
    )
    lines = (await bot.say(tu.command("/stats", chat_id=BOT_ADMIN)))["text"].splitlines()
    assert (
        "model today: 2 calls, 1,000 tokens (900 prompt, 100 completion), 0 cache hits, "
        "budget left 299,000 of 300,000"
    ) in lines
    assert "model fallbacks today: b_x_b 1" in lines
    assert lines[-1].startswith("sign-ups: ")
