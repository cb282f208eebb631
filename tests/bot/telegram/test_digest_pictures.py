"""Issue 18, pictures and link tags on Telegram, end to end: a newsroom feed polled into a
real store, the scheduled digest dispatched to the outbox and delivered by the worker
through python-telegram-bot against the local fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from bot.telegram.sender import TelegramSender
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
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "123456:TEST-token-for-the-fake-server-only-pic"
CHAT = "100"
LARGE_ABOVE = {"prefer_large_media": True, "show_above_text": True}


@pytest.fixture
async def telegram(local_server) -> AsyncIterator[tuple[FakeTelegram, TelegramSender]]:  # type: ignore[no-untyped-def]
    fake = FakeTelegram(
        Limits(global_per_second=10_000, chat_per_3s=10_000, group_per_minute=10_000),
        token=TOKEN,
    )
    base = await local_server(fake.app())
    sender = TelegramSender.build(TOKEN, f"{base}/bot")
    yield fake, sender
    await sender.close()


async def deliver_digest(
    store: Store,
    sender: TelegramSender,
    settings: Settings,
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    """Poll the feed, make the reader's digest due, dispatch it and deliver it."""
    await feed.serve_and_poll(store, local_server, settings, NOW)
    await due_reader(store, "telegram", CHAT, ["climate"], now=NOW)
    report = await dispatch_due(
        store, RenderCache(Renderer(reach=settings.reach)), settings, now=NOW
    )
    assert report.enqueued == 1
    worker = DeliveryWorker(
        store, {"telegram": sender}, Pacer({}), FakeClock(NOW), DeliveryLimits()
    )
    assert await worker.run_once() == 1


async def test_a_scheduled_digest_previews_its_lead_story_above_the_text(
    telegram: tuple[FakeTelegram, TelegramSender],
    categorised_store: Store,
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    fake, sender = telegram
    settings = feed.settings_with(feed.TAGS)
    await deliver_digest(categorised_store, sender, settings, local_server)
    sent = fake.sent_to(CHAT)
    assert len(sent) >= 3  # the digest is long enough to take several messages
    first, *others = sent
    assert "Harbour budget approved" in first["text"]
    assert first["link_preview_options"] == {
        "url": feed.LEAD_URL + "?utm_source=digestbot&utm_medium=telegram",
        **LARGE_ABOVE,
    }
    assert all(m["link_preview_options"] == {"is_disabled": True} for m in others)


async def test_pictures_off_leaves_every_preview_off(
    telegram: tuple[FakeTelegram, TelegramSender],
    categorised_store: Store,
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    fake, sender = telegram
    settings = feed.settings_with(replace(Reach(), pictures=False))
    await deliver_digest(categorised_store, sender, settings, local_server)
    assert fake.sent_to(CHAT)
    assert all(m["link_preview_options"] == {"is_disabled": True} for m in fake.sent_to(CHAT))


async def test_hostile_pictures_appear_nowhere_and_stored_urls_carry_no_tags(
    telegram: tuple[FakeTelegram, TelegramSender],
    categorised_store: Store,
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    fake, sender = telegram
    settings = feed.settings_with(feed.TAGS)
    await deliver_digest(categorised_store, sender, settings, local_server)
    stored = await feed.stored_articles(categorised_store, NOW)
    assert len(stored) == 25
    assert (feed.LEAD_URL, feed.LEAD_PICTURE) in stored
    assert [picture for _, picture in stored if picture] == [feed.LEAD_PICTURE]
    assert not any("utm_" in url for url, _ in stored)
    everything: list[Any] = [stored, fake.messages]
    for forbidden in feed.FORBIDDEN:
        assert forbidden not in repr(everything)
    text = "\n".join(m["text"] for m in fake.sent_to(CHAT))
    # Links to the newsroom (and its subdomains) carry the tags; others do not.
    assert "news.example/long/3?utm_source=digestbot&amp;utm_medium=telegram" in text
    assert "hostile/video?utm_source=digestbot&amp;utm_medium=telegram" in text
    assert f'href="{feed.UNTAGGED_URL}"' in text
    assert "utm_source=rss" not in text and "utm_campaign" not in text
