"""Which subscribed channels are announcement channels, followed through the gateway (the
server's channel list at each ready, CHANNEL_UPDATE when a manager converts a channel)
and told when a channel subscribes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from tests.bot.discord.conftest import Bot
from tests.conftest import NOW
from tests.fakes.discord_interactions import MANAGE_CHANNELS, MANAGE_GUILD, slash


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not come true")
        await asyncio.sleep(0.02)


async def test_ready_and_channel_updates_keep_the_kind_of_each_channel(discord_bot: Bot) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.guilds["500"] = {"channels": {"555": 5, "666": 0}}
    # Stored while the bot was down: 555 became an announcement channel, 666 stopped
    # being one; 777 (a thread, not in the list) is left alone.
    await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.upsert_subscriber("discord", "666", now=NOW, guild_id="500")
    await store.upsert_subscriber("discord", "777", now=NOW, guild_id="500")
    await store.set_announcement("discord", "666", True)
    await store.set_announcement("discord", "777", True)
    discord_bot.client._connection.guild_ready_timeout = 0.05
    gateway = asyncio.create_task(discord_bot.client.connect(reconnect=False))
    try:
        await until(lambda: store.is_announcement("discord", "555"))
        await until(lambda: _not(store.is_announcement("discord", "666")))
        assert await store.is_announcement("discord", "777")

        await fake.convert("555", "500", 0)  # made a text channel again
        await until(lambda: _not(store.is_announcement("discord", "555")))
        await fake.convert("666", "500", 5)
        await until(lambda: store.is_announcement("discord", "666"))
    finally:
        gateway.cancel()
        with contextlib.suppress(BaseException):
            await gateway


async def _not(check: Awaitable[bool]) -> bool:
    return not await check


async def test_subscribing_an_announcement_channel_says_it_will_be_published(
    discord_bot: Bot,
) -> None:
    manager = {"permissions": MANAGE_CHANNELS, "guild_id": 500}
    payload = slash("news", "subscribe", {"category": "climate"}, channel_id=555, **manager)
    payload["channel"]["type"] = 5
    answer = await discord_bot.text(payload)
    assert answer.startswith("Subscribed to Climate.")
    assert "announcement channel" in answer and "10 an hour" in answer
    assert await discord_bot.store.is_announcement("discord", "555")

    text = slash("news", "subscribe", {"category": "climate"}, channel_id=666, **manager)
    assert "announcement" not in await discord_bot.text(text)
    assert not await discord_bot.store.is_announcement("discord", "666")

    # Converted since: the next subscription there records it as a text channel again.
    again = slash("news", "subscribe", {"category": "markets"}, channel_id=555, **manager)
    assert "announcement" not in await discord_bot.text(again)
    assert not await discord_bot.store.is_announcement("discord", "555")


async def test_a_refused_subscription_stores_nothing(discord_bot: Bot) -> None:
    manager = {"permissions": MANAGE_CHANNELS, "guild_id": 500}
    payload = slash("news", "subscribe", {"category": "no-such"}, channel_id=555, **manager)
    payload["channel"]["type"] = 5
    answer = await discord_bot.text(payload)
    assert "announcement" not in answer
    assert await discord_bot.store.find_subscriber("discord", "555") is None


async def test_vietnamese_readers_are_told_in_vietnamese(discord_bot: Bot) -> None:
    manager = {"permissions": MANAGE_CHANNELS, "guild_id": 500, "locale": "vi"}
    payload = slash("news", "subscribe", {"category": "climate"}, channel_id=555, **manager)
    payload["channel"]["type"] = 5
    answer = await discord_bot.text(payload)
    assert "kênh thông báo" in answer


async def test_the_server_list_marks_channels_published_to_followers(discord_bot: Bot) -> None:
    manager = {"permissions": MANAGE_CHANNELS | MANAGE_GUILD, "guild_id": 500}
    news = slash("news", "subscribe", {"category": "climate"}, channel_id=555, **manager)
    news["channel"]["type"] = 5
    await discord_bot.text(news)
    await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, channel_id=666, **manager)
    )
    listing = await discord_bot.text(slash("news", "list", {"server": True}, **manager))
    (published,) = [line for line in listing.splitlines() if "published to followers" in line]
    assert published.startswith("• <#555>")
