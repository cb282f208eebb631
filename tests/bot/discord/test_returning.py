"""Issue 19 item 10 on Discord: a DM reader whose digests stopped because Discord refused
them (DMs closed) and who uses the bot again is reactivated and told so; a server channel
stopped the same way waits for /news resume."""

from __future__ import annotations

from datetime import datetime

from tests.bot.discord.conftest import Bot
from tests.fakes.discord_interactions import MANAGE_CHANNELS, press, slash

REFUSED = "delivery refused 3 times: cannot send messages to this user (50007)"


async def test_a_blocked_dm_reader_who_comes_back_is_reactivated_and_told(
    discord_bot: Bot, now: datetime
) -> None:
    store = discord_bot.store
    reader = await store.upsert_subscriber("discord", "9010", now=now)
    await store.subscribe(reader.id, ["climate"], now=now)
    await store.deactivate(reader.id, reason=REFUSED, now=now)
    text = await discord_bot.text(slash("news", "list", guild_id=None, channel_id=9010))
    assert text.startswith("Welcome back: your digests resume.\n")
    assert "Climate" in text
    back = await store.find_subscriber("discord", "9010")
    assert back is not None and back.active
    # Told once: the next command is answered as usual.
    again = await discord_bot.text(slash("news", "list", guild_id=None, channel_id=9010))
    assert "Welcome back" not in again


async def test_a_server_channel_stopped_by_discord_is_not_reactivated_by_a_command(
    discord_bot: Bot, now: datetime
) -> None:
    store = discord_bot.store
    channel = await store.upsert_subscriber("discord", "600", now=now, guild_id="500")
    await store.subscribe(channel.id, ["climate"], now=now)
    await store.deactivate(channel.id, reason=REFUSED.replace("50007", "50013"), now=now)
    text = await discord_bot.text(slash("news", "list", permissions=MANAGE_CHANNELS))
    assert "Welcome back" not in text
    stopped = await store.find_subscriber("discord", "600")
    assert stopped is not None and not stopped.active


async def test_a_blocked_dm_reader_who_presses_the_picker_is_welcomed_back(
    discord_bot: Bot, now: datetime
) -> None:
    store = discord_bot.store
    reader = await store.upsert_subscriber("discord", "9011", now=now)
    await store.subscribe(reader.id, ["climate"], now=now)
    await store.deactivate(reader.id, reason=REFUSED, now=now)
    pressed = await discord_bot.run(press("news:cat:markets:1", guild_id=None, channel_id=9011))
    assert (
        pressed["data"]["content"] == "Welcome back: your digests resume.\nSubscribed to Markets."
    )
    back = await store.find_subscriber("discord", "9011")
    assert back is not None and back.active and back.categories == ("climate", "markets")
