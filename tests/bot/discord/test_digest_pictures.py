"""Issue 18, pictures and link tags on Discord, end to end: a newsroom feed polled into a
real store, the scheduled digest dispatched and delivered by the worker through
discord.py against the local fake Discord REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from aiohttp import web
from discord.http import Route

from bot.discord.sender import DiscordSender
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.pacing import Pacer
from digests.reach_settings import Reach
from digests.render import RenderCache, Renderer
from digests.settings import DeliveryLimits, Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests import picture_feed as feed
from tests.builders import due_reader
from tests.conftest import NOW
from tests.fakes.discord_api import FakeDiscord

TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.fake-token-for-the-local-server-only-p"
CHANNEL = "111"


@pytest.fixture
async def discord_api(local_server) -> AsyncIterator[tuple[FakeDiscord, DiscordSender]]:  # type: ignore[no-untyped-def]
    original = Route.BASE
    fake = FakeDiscord(token=TOKEN)
    base = await local_server(fake.app())
    sender = await DiscordSender.start(TOKEN, f"{base}/api/v10")
    try:
        yield fake, sender
    finally:
        await sender.close()
        Route.BASE = original


async def deliver_digest(
    store: Store,
    sender: DiscordSender,
    settings: Settings,
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    await feed.serve_and_poll(store, local_server, settings, NOW)
    await due_reader(store, "discord", CHANNEL, ["climate"], now=NOW, guild_id="5")
    cache = RenderCache(Renderer(reach=settings.reach))
    assert (await dispatch_due(store, cache, settings, now=NOW)).enqueued == 1
    worker = DeliveryWorker(store, {"discord": sender}, Pacer({}), FakeClock(NOW), DeliveryLimits())
    assert await worker.run_once() == 1


async def test_the_first_embed_carries_the_lead_picture_from_the_feed(
    discord_api: tuple[FakeDiscord, DiscordSender],
    categorised_store: Store,
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    fake, sender = discord_api
    await deliver_digest(categorised_store, sender, feed.settings_with(feed.TAGS), local_server)
    embeds = [embed for message in fake.messages for embed in message["embeds"]]
    assert len(embeds) >= 2
    first, *others = embeds
    assert first["image"] == {"url": feed.LEAD_PICTURE}  # the picture itself is not tagged
    assert "Harbour budget approved" in first["description"]
    assert all("image" not in embed for embed in others)
    # Links to the newsroom carry the tags, with this platform's name; stored ones do not.
    assert f"({feed.LEAD_URL}?utm_source=digestbot&utm_medium=discord)" in first["description"]
    assert f"({feed.UNTAGGED_URL})" in repr(embeds)
    assert not any("utm_" in url for url, _ in await feed.stored_articles(categorised_store, NOW))
    for forbidden in feed.FORBIDDEN:
        assert forbidden not in repr(fake.messages)


async def test_pictures_off_sends_no_image(
    discord_api: tuple[FakeDiscord, DiscordSender],
    categorised_store: Store,
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    fake, sender = discord_api
    settings = feed.settings_with(replace(Reach(), pictures=False))
    await deliver_digest(categorised_store, sender, settings, local_server)
    embeds = [embed for message in fake.messages for embed in message["embeds"]]
    assert embeds and all("image" not in embed for embed in embeds)
    assert "utm_" not in repr(embeds)
