"""Announcement channels through ``digestbot run``'s Discord side (``start_discord``, in
this process, against the fake Discord): at ready it finds that a subscribed channel became
an announcement channel, says so when another one subscribes, and its sender publishes
the digests posted in both."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord.settings import DiscordSettings
from bot.runner.discord import start_discord
from bot.settings import PlatformSettings
from bot.wiring import App
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.pacing import Pacer, unlimited_policy
from digests.render import RenderCache, Renderer
from digests.settings import DeliveryLimits, Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import TOKEN
from tests.builders import add_article
from tests.conftest import NOW
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash
from tests.processes import until


async def test_the_running_bot_publishes_in_announcement_channels(
    tmp_path: Path,
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    store = categorised_store
    fake = FakeDiscord(token=TOKEN)
    # 600 was subscribed as a text channel and made an announcement channel since.
    fake.guilds["500"] = {"channels": {"600": 5, "601": 0}}
    base = await local_server(fake.app())
    channel = await store.upsert_subscriber("discord", "600", now=NOW, guild_id="500")
    await store.subscribe(channel.id, ["climate"], now=NOW)
    await add_article(store, url="https://desk.example/heat", title="Heat pumps win", now=NOW)
    discord = DiscordSettings(
        bot_token=TOKEN,
        api_base_url=f"{base}/api/v10",
        gateway_url=base.replace("http://", "ws://") + "/gateway",
        guild_ids=frozenset({500}),
    )
    clock = FakeClock(NOW)
    app = App(Settings(), store, Renderer(), clock, platforms=PlatformSettings(discord=discord))
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    running = await start_discord(app, io.StringIO(), on_push=lambda: None)
    assert running is not None
    running.client._connection.guild_ready_timeout = 0.05  # the gateway task has not run yet
    try:
        await until(lambda: fake.connected, timeout=10)
        for _ in range(500):  # the server's channel list, read at ready
            if await store.is_announcement("discord", "600"):
                break
            await asyncio.sleep(0.01)
        assert await store.is_announcement("discord", "600")

        payload = slash(
            "news",
            "subscribe",
            {"category": "climate"},
            channel_id=602,
            permissions=MANAGE_CHANNELS,
        )
        payload["channel"]["type"] = 5
        fake.announcement.add("602")
        await fake.dispatch("INTERACTION_CREATE", payload)
        answer = await until(
            lambda: next((r for r in fake.responses if r["interaction"] == payload["id"]), None)
        )
        assert "announcement channel" in answer["data"]["content"]

        for subscriber in await store.list_subscribers():
            await store.update_subscriber(subscriber.id, now=NOW, next_digest_at=NOW)
        report = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
        assert report.enqueued == 2
        worker = DeliveryWorker(
            store,
            {"discord": running.sender},
            Pacer({"discord": unlimited_policy}),
            clock,
            DeliveryLimits(),
        )
        clock.advance(timedelta(seconds=1))
        assert await worker.run_once() == 2
        await running.sender.settle()  # publishes run beside the sends
        assert {p["channel"] for p in fake.published} == {"600", "602"}
        for publish in fake.published:
            assert fake.posted[publish["message"]] == publish["channel"]
        assert fake.publish_refusals == 0
    finally:
        await running.stop()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original
