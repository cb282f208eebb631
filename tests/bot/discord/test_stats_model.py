"""The bot admins' /news stats on Discord shows the model's day in two lines."""

from __future__ import annotations

import dataclasses

from digests.llm_settings import LlmSettings
from tests.bot.discord.conftest import BOT_ADMIN, Bot
from tests.conftest import NOW
from tests.fakes.discord_interactions import slash


async def test_stats_show_the_model_s_day(discord_bot: Bot) -> None:
    text = await discord_bot.text(slash("news", "stats", user_id=BOT_ADMIN))
    assert "model" not in text  # no model configured, nothing counted
    discord_bot.ctx.settings = dataclasses.replace(
        discord_bot.ctx.settings,
        llm=LlmSettings(base_url="http://127.0.0.1:9/v1", daily_token_budget=1_000),
    )
    await discord_bot.store.add_llm_usage(
        NOW.date(), {"calls": 9, "prompt_tokens": 1_500, "cache_hits": 4, "fallback:budget": 6}
    )
    lines = (await discord_bot.text(slash("news", "stats", user_id=BOT_ADMIN))).splitlines()
    assert (
        "model today: 9 calls, 1,500 tokens (1,500 prompt, 0 completion), 4 cache hits, "
        "budget left 0 of 1,000"
    ) in lines
    assert "model fallbacks today: budget 6" in lines
