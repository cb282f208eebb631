"""Publishes run beside the sends: a slow publish delays no part of a digest, a channel's
publishes go one at a time in the order of its parts, and a publish that stops waiting
never cancels discord.py half-way through a global 429 (which left every later request
of the session waiting for ever)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.discord import sender as sender_module
from bot.discord.sender import DiscordSender
from digests.deliver import DeliveryWorker
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, unlimited_policy
from digests.settings import DeliveryLimits
from digests.store import OutboxItem
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import Bot
from tests.conftest import NOW


async def test_a_slow_publish_delays_no_part_of_the_digest(discord_bot: Bot) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.per_channel = 100
    fake.announcement.add("555")
    fake.publish_gate = asyncio.Event()  # no publish answers until the test says so
    channel = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    parts = [OutgoingMessage(f"part {n}") for n in range(1, 5)]
    item = OutboxItem(channel.id, "digest", "2026-11-27", "discord", parts)
    assert await store.enqueue([item], now=NOW) == 1
    clock = FakeClock(NOW)
    sender = DiscordSender(discord_bot.client.http, store, clock)
    worker = DeliveryWorker(
        store, {"discord": sender}, Pacer({"discord": unlimited_policy}), clock, DeliveryLimits()
    )

    # Inline, the first part's publish would hold the rest for ever (here: the time-out).
    await asyncio.wait_for(worker.run_once(), 10)
    assert (await store.outbox_counts())["discord"] == {"sent": 1}
    assert fake.published == []  # every part went out before any publish answered

    fake.publish_gate.set()
    await asyncio.wait_for(sender.settle(), 10)
    posted = [m for m, c in fake.posted.items() if c == "555"]
    assert [p["message"] for p in fake.published] == posted  # all, in the parts' order
    assert [o for _, o in await store.publishes_of(channel.id)] == ["published"] * 4


async def test_a_global_429_on_a_publish_that_stopped_waiting_stalls_nothing(
    discord_bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """discord.py waits out a global 429 of up to 30 s holding every request of the
    session; the publish stops waiting after PUBLISH_TIMEOUT_S (made short here). Its
    request must be left to finish, so that the session's requests go on once Discord's
    wait is over."""
    monkeypatch.setattr(sender_module, "PUBLISH_TIMEOUT_S", 0.2)
    fake, store = discord_bot.fake, discord_bot.store
    fake.per_channel = 100
    fake.announcement.add("555")
    fake.publish_global_once = 1.0
    channel = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))

    first = await sender.send(Destination("discord", "555", publish=True), OutgoingMessage("a"))
    await asyncio.sleep(0.5)  # the publish has stopped waiting; discord.py still waits
    await asyncio.wait_for(
        sender.send(Destination("discord", "666"), OutgoingMessage("b")), 10
    )  # held for what is left of Discord's second, not for ever
    await asyncio.wait_for(sender.settle(), 5)
    assert fake.publish_refusals == 1
    # The request went on after its 429 and published; the count took it as 'failed'
    # (counted all the same), and it was asked of Discord once more, never sent again.
    assert [p["message"] for p in fake.published] == [first]
    assert await store.publishes_of(channel.id) == [(first, "failed")]
    assert [m["content"] for m in fake.messages] == ["a", "b"]


async def test_closing_the_sender_lets_the_publishes_under_way_finish(discord_bot: Bot) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.announcement.add("555")
    fake.publish_delay = 0.3
    await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    await sender.send(Destination("discord", "555", publish=True), OutgoingMessage("a"))
    assert fake.published == []
    await sender.settle(5)
    assert len(fake.published) == 1


async def test_stopping_drops_the_publishes_left_after_their_time(
    discord_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """At shutdown the publishes still waiting are dropped before the session closes,
    rather than each failing on a closed session with a log line and a store write."""
    fake, store = discord_bot.fake, discord_bot.store
    fake.publish_delay = 0.5
    channels = [str(560 + n) for n in range(12)]
    fake.announcement.update(channels)
    for chat in channels:
        await store.upsert_subscriber("discord", chat, now=NOW, guild_id="500")
        await store.set_announcement("discord", chat, True)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    for chat in channels:
        await sender.send(Destination("discord", chat, publish=True), OutgoingMessage("x"))
    with caplog.at_level(logging.INFO, logger="bot.discord.sender"):
        # Twelve publishes of 0.5 s, four at a time: waiting for them all would take 1.5 s.
        await asyncio.wait_for(sender.stop_publishing(0.2), 5)
        await asyncio.sleep(0.7)  # anything left running would answer by now
    assert len(fake.published) < len(channels)
    assert not [r for r in caplog.records if "stays unpublished" in r.getMessage()]
    await sender.settle(0)  # nothing is left to wait for
