"""A 429 asking the bot to wait long (an hour) on one route: the client's discord.py does
not sleep it out, and whatever asked goes on without it."""

from __future__ import annotations

import asyncio

from tests.bot.discord.conftest import Bot
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash


async def test_a_setter_whose_dm_channel_is_rate_limited_is_told_in_the_server(
    discord_bot: Bot,
) -> None:
    fake = discord_bot.fake
    fake.guilds["500"] = {"system_channel": "599"}
    fake.slow_down["/users/@me/channels"] = 3600.0
    await discord_bot.text(
        slash(
            "news",
            "subscribe",
            {"category": "climate"},
            channel_id=600,
            permissions=MANAGE_CHANNELS,
        )
    )
    channel = await discord_bot.store.find_subscriber("discord", "600")
    assert channel is not None
    told = await asyncio.wait_for(discord_bot.client.tell_setter(channel.id, "gone"), 5)
    assert told
    (notice,) = [m for m in fake.messages if m["channel"] == "599"]
    assert "<#600>" in notice["content"]
