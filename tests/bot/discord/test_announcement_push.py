"""A breaking push to five announcement channels, one of which has used its ten publishes
of the hour: all five are posted once, the four others are published, the fifth stays
posted unpublished without asking Discord, and nothing waits for anything."""

from __future__ import annotations

import asyncio

from bot.discord.sender import DiscordSender
from digests.deliver import DeliveryWorker
from digests.outgoing import OutgoingMessage
from digests.pacing import Pacer, unlimited_policy
from digests.settings import DeliveryLimits
from digests.store import BREAKING_PRIORITY, OutboxItem
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import Bot
from tests.conftest import NOW

CHANNELS = ("551", "552", "553", "554", "555")


async def test_a_push_to_five_announcement_channels_with_one_at_its_limit(
    discord_bot: Bot,
) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.announcement.update(CHANNELS)
    ids = {}
    for chat in CHANNELS:
        subscriber = await store.upsert_subscriber("discord", chat, now=NOW, guild_id="500")
        await store.set_announcement("discord", chat, True)
        ids[chat] = subscriber.id
    for n in range(10):  # the hour's ten, used by earlier digests in 555
        await store.reserve_publish("discord", "555", f"earlier-{n}", now=NOW)
    items = [
        OutboxItem(
            ids[chat],
            "breaking",
            "push-1",
            "discord",
            [OutgoingMessage("Breaking: the dam holds")],
            priority=BREAKING_PRIORITY,
        )
        for chat in CHANNELS
    ]
    assert await store.enqueue(items, now=NOW) == 5
    clock = FakeClock(NOW)
    sender = DiscordSender(discord_bot.client.http, store, clock)
    worker = DeliveryWorker(
        store, {"discord": sender}, Pacer({"discord": unlimited_policy}), clock, DeliveryLimits()
    )
    assert await asyncio.wait_for(worker.run_once(), 10) == 5  # the one at its limit waits
    await asyncio.wait_for(sender.settle(), 5)  # for nothing

    assert sorted(m["channel"] for m in fake.messages) == list(CHANNELS)  # each once
    assert sorted(p["channel"] for p in fake.published) == list(CHANNELS[:4])
    assert fake.publish_refusals == 0  # 555 was not even asked
    outcomes = [o for _, o in await store.publishes_of(ids["555"])]
    assert outcomes == ["published"] * 10 + ["limited"]
    assert (await store.outbox_counts())["discord"] == {"sent": 5}
