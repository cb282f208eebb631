"""Discord announcement channels against the fake Discord REST API: digests and breaking
items posted there are published, within the hourly limit counted in the store (also
across a restart), and a publish refused for an hour delays nothing else and never makes
a message go out twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from bot.discord.sender import DiscordSender
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.models import Category
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, unlimited_policy
from digests.publishing import MAX_HOLD
from digests.render import RenderCache, Renderer
from digests.settings import DeliveryLimits, Settings
from digests.store import BREAKING_PRIORITY, OutboxItem, Store
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import TOKEN, Bot
from tests.builders import add_article, due_reader
from tests.conftest import NOW
from tests.fakes.discord_api import FakeDiscord


def worker(store: Store, sender: DiscordSender, clock: FakeClock) -> DeliveryWorker:
    return DeliveryWorker(
        store, {"discord": sender}, Pacer({"discord": unlimited_policy}), clock, DeliveryLimits()
    )


async def enqueue(
    store: Store, subscriber_id: int, kind: str, period: str, texts: Sequence[str]
) -> None:
    priority = BREAKING_PRIORITY if kind == "breaking" else 0
    item = OutboxItem(
        subscriber_id,
        kind,
        period,
        "discord",
        [OutgoingMessage(text=text) for text in texts],
        priority=priority,
    )
    assert await store.enqueue([item], now=NOW) == 1


def posted_in(fake: FakeDiscord, channel: str) -> list[str]:
    return [m["content"] for m in fake.messages if m["channel"] == channel]


def published_in(fake: FakeDiscord, channel: str) -> list[str]:
    return [p["message"] for p in fake.published if p["channel"] == channel]


async def test_a_digest_is_published_and_the_hourly_limit_holds_across_a_restart(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeDiscord(token=TOKEN, per_channel=100)
    fake.announcement.add("555")
    url = f"{await local_server(fake.app())}/api/v10"
    path = tmp_path / "bot.db"
    clock = FakeClock(NOW)
    store = await Store.open(path)
    await store.upsert_category(Category("climate", "Climate"))
    await add_article(store, url="https://desk.example/heat", title="Heat pumps win", now=NOW)
    news = await due_reader(
        store, "discord", "555", ["climate"], now=NOW, late=timedelta(0), guild_id="500"
    )
    await due_reader(store, "discord", "666", ["climate"], now=NOW, late=timedelta(0))
    await store.set_announcement("discord", "555", True)
    assert (await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)).enqueued == 2
    sender = await DiscordSender.start(TOKEN, url, store, clock)
    await worker(store, sender, clock).run_once()
    await sender.settle()  # publishes run beside the sends

    (digest,) = [m for m in fake.messages if m["channel"] == "555"]
    assert "Heat pumps win" in str(digest["embeds"])
    (published,) = published_in(fake, "555")
    assert fake.posted[published] == "555"
    assert [m for m in fake.messages if m["channel"] == "666"]  # a text channel: posted,
    assert published_in(fake, "666") == []  # and never published

    # Breaking items count too: nine more reach the limit of ten in the hour.
    for n in range(9):
        await enqueue(store, news, "breaking", f"push-{n}", [f"Breaking {n}"])
    await worker(store, sender, clock).run_once()
    await sender.settle()
    assert len(published_in(fake, "555")) == 10
    await sender.close()
    await store.close()

    # A restart half an hour later: a new store and sender on the same database.
    clock.advance(timedelta(minutes=30))
    store = await Store.open(path)
    sender = await DiscordSender.start(TOKEN, url, store, clock)
    try:
        await enqueue(store, news, "breaking", "push-after-restart", ["Breaking after"])
        with caplog.at_level(logging.INFO, logger="bot.discord.sender"):
            await worker(store, sender, clock).run_once()
            await sender.settle()
        assert posted_in(fake, "555")[-1] == "Breaking after"  # posted,
        assert len(published_in(fake, "555")) == 10  # not published,
        assert fake.publish_refusals == 0  # and Discord was never asked to refuse it
        refusals = [r.getMessage() for r in caplog.records if "not publishing" in r.getMessage()]
        assert len(refusals) == 1 and "10 publishes in the last hour" in refusals[0]
        outcomes = [o for _, o in await store.publishes_of(news)]
        assert outcomes == ["published"] * 10 + ["limited"]
    finally:
        await sender.close()
        await store.close()


async def test_a_one_hour_429_on_publish_delays_nothing_else(discord_bot: Bot) -> None:
    """With the client's own HTTP session, as ``digestbot run`` sends: discord.py must not
    wait out the hour, the next part and the other channel go out at once, and nothing is
    sent twice."""
    fake, store = discord_bot.fake, discord_bot.store
    fake.per_channel = 100
    fake.announcement.update({"555", "666"})
    fake.publish_retry_after["555"] = 3600.0
    held = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    other = await store.upsert_subscriber("discord", "666", now=NOW, guild_id="500")
    for subscriber in (held, other):
        await store.set_announcement("discord", subscriber.chat_id, True)
    await enqueue(store, held.id, "digest", "2026-11-27", ["part 1", "part 2", "part 3"])
    await enqueue(store, other.id, "digest", "2026-11-27", ["other 1", "other 2"])
    clock = FakeClock(NOW)
    sender = DiscordSender(discord_bot.client.http, store, clock)

    await asyncio.wait_for(worker(store, sender, clock).run_once(), 8)  # not the hour
    await asyncio.wait_for(sender.settle(), 8)

    assert posted_in(fake, "555") == ["part 1", "part 2", "part 3"]  # each once
    assert posted_in(fake, "666") == ["other 1", "other 2"]
    assert published_in(fake, "555") == [] and len(published_in(fake, "666")) == 2
    assert fake.publish_refusals == 1  # then the hold: parts 2 and 3 were not even asked
    assert await store.publish_hold(held.id) == NOW + timedelta(hours=1)
    assert [o for _, o in await store.publishes_of(held.id)] == ["limited"] * 3
    counts = await store.outbox_counts()
    assert counts["discord"] == {"sent": 2}

    # After the hour, the channel publishes again.
    del fake.publish_retry_after["555"]
    clock.advance(timedelta(hours=1, seconds=1))
    message_id = await sender.send(
        Destination("discord", "555", publish=True), OutgoingMessage("4")
    )
    await sender.settle()
    assert published_in(fake, "555") == [message_id]


async def test_a_failed_publish_leaves_the_message_posted(discord_bot: Bot) -> None:
    """Discord refuses the publish (the channel is no announcement channel there after
    all): the send still succeeds, once, and the refusal is counted as 'failed'."""
    fake, store = discord_bot.fake, discord_bot.store
    channel = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    message_id = await sender.send(
        Destination("discord", "555", publish=True), OutgoingMessage("x")
    )
    await sender.settle()
    assert fake.posted[message_id] == "555" and fake.published == []
    assert await store.publishes_of(channel.id) == [(message_id, "failed")]
    # A thread, even one of an announcement channel, has nobody following it.
    await sender.send(
        Destination("discord", "555", thread_id="556", publish=True), OutgoingMessage("y")
    )
    await sender.settle()
    assert len(await store.publishes_of(channel.id)) == 1


async def test_a_channel_made_a_text_channel_stops_publishing(discord_bot: Bot) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.per_channel = 100
    fake.announcement.add("555")
    channel = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    clock = FakeClock(NOW)
    sender = DiscordSender(discord_bot.client.http, store, clock)
    await enqueue(store, channel.id, "breaking", "push-1", ["before"])
    await worker(store, sender, clock).run_once()
    await sender.settle()
    await store.set_announcement("discord", "555", False)  # what CHANNEL_UPDATE does
    fake.announcement.discard("555")
    await enqueue(store, channel.id, "breaking", "push-2", ["after"])
    await worker(store, sender, clock).run_once()
    await sender.settle()
    assert posted_in(fake, "555") == ["before", "after"]
    assert len(fake.published) == 1
    assert len(await store.publishes_of(channel.id)) == 1


async def test_a_wild_retry_after_holds_the_channel_for_at_most_two_hours(
    discord_bot: Bot,
) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.announcement.add("555")
    fake.publish_retry_after["555"] = 1e300
    channel = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    await sender.send(Destination("discord", "555", publish=True), OutgoingMessage("x"))
    await sender.settle()
    assert await store.publish_hold(channel.id) == NOW + MAX_HOLD
