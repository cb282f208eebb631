"""The announcement check at ready in a large server (hundreds of channels, a few of them
subscribed), and gateway events about channels the bot does not store."""

from __future__ import annotations

import asyncio
import contextlib

from tests.bot.discord.conftest import Bot
from tests.bot.discord.test_announcement_kind import until
from tests.conftest import NOW


async def test_a_server_with_hundreds_of_channels_updates_only_its_subscribed_ones(
    discord_bot: Bot,
) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    channels = {str(10_000 + n): 5 if n % 3 == 0 else 0 for n in range(600)}
    fake.guilds["500"] = {"channels": channels}
    await store.upsert_subscriber("discord", "10000", now=NOW, guild_id="500")  # type 5
    await store.upsert_subscriber("discord", "10001", now=NOW, guild_id="500")  # type 0
    await store.set_announcement("discord", "10001", True)
    discord_bot.client._connection.guild_ready_timeout = 0.05
    gateway = asyncio.create_task(discord_bot.client.connect(reconnect=False))
    try:
        await until(lambda: store.is_announcement("discord", "10000"))
        await until(lambda: _not(store.is_announcement("discord", "10001")))
        # The 598 others are not stored, and stay so.
        assert {s.chat_id for s in await store.subscribers_of_guild("discord", "500")} == {
            "10000",
            "10001",
        }
        # A channel the bot does not store is converted: nothing is stored, no error.
        await fake.convert("10002", "500", 5)
        await fake.convert("10001", "500", 5)  # then one it does: the events are handled
        await until(lambda: store.is_announcement("discord", "10001"))
        assert await store.find_subscriber("discord", "10002") is None
    finally:
        gateway.cancel()
        with contextlib.suppress(BaseException):
            await gateway


async def _not(check: object) -> bool:
    return not await check  # type: ignore[misc]
