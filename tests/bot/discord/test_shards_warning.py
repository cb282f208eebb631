"""Several processes on one database without DISCORD_SHARD_IDS each open every shard: the
start-up line warns that every process would receive every command."""

from __future__ import annotations

import io
from datetime import timedelta

from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.runner.discord import start_discord
from bot.settings import PlatformSettings
from bot.wiring import App
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import TOKEN
from tests.bot.discord.test_shards import discord_of
from tests.conftest import NOW
from tests.fakes.discord_api import FakeDiscord


async def started_output(store: Store, base: str) -> str:
    env = {
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": f"{base}/api/v10",
        "DISCORD_GATEWAY_URL": base.replace("http://", "ws://") + "/gateway",
    }
    app = App(
        Settings(),
        store,
        Renderer(),
        FakeClock(NOW),
        platforms=PlatformSettings(discord=discord_of(env)),
    )
    out = io.StringIO()
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    running = await start_discord(app, out, on_push=lambda: None)
    assert running is not None
    try:
        return out.getvalue()
    finally:
        await running.stop()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original


async def test_another_live_process_without_shard_ids_is_warned_about(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    base = await local_server(FakeDiscord(token=TOKEN).app())
    alone = await started_output(categorised_store, base)
    assert "warning" not in alone
    await categorised_store.beat(
        "other:1", roles=("leader",), in_flight=0, started_at=NOW, now=NOW - timedelta(seconds=2)
    )
    shared = await started_output(categorised_store, base)
    assert "DISCORD_SHARD_IDS is unset: every process receives every Discord command" in shared
    await categorised_store.beat(
        "other:1", roles=(), in_flight=0, started_at=NOW, now=NOW - timedelta(minutes=5)
    )
    assert "warning" not in await started_output(categorised_store, base)
