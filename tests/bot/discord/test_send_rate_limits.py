"""A 429 on a send (not a publish): since the client raises on a wait over 30 s instead
of sleeping, a busy channel's ordinary 429 reaches the worker; it must come back as a
wait (retried, never dead-lettered, never counted against the channel), and a hostile
wait (infinity, NaN, negative) must be a number the worker can sleep on."""

from __future__ import annotations

import discord
import pytest

from bot.discord.sender import DEFAULT_SEND_WAIT_S, MAX_SEND_WAIT_S, DiscordSender, classify
from digests.deliver import DeliveryWorker
from digests.delivery_errors import RateLimited, TransientError
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, unlimited_policy
from digests.settings import DeliveryLimits
from digests.store import OutboxItem
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import Bot
from tests.bot.discord.test_publish_errors import Response
from tests.conftest import NOW


@pytest.mark.parametrize(
    ("error", "wait"),
    [
        (discord.RateLimited(40.0), 40.0),
        (discord.RateLimited(float("inf")), MAX_SEND_WAIT_S),  # JSON's 1e309
        (discord.RateLimited(float("nan")), DEFAULT_SEND_WAIT_S),
        (discord.RateLimited(-3.0), DEFAULT_SEND_WAIT_S),
        # discord.py gave up after five 429s, or took one for Cloudflare's (no Via
        # header): a wait still, from Retry-After, never a rejected message.
        (discord.HTTPException(Response(429, {"Retry-After": "7"}), "slow down"), 7.0),
        (discord.HTTPException(Response(429), "<html>banned</html>"), DEFAULT_SEND_WAIT_S),
        (discord.HTTPException(Response(429, {"Retry-After": "9" * 5000}), "x"), MAX_SEND_WAIT_S),
    ],
)
def test_a_429_is_a_wait_the_worker_can_sleep_on(error: Exception, wait: float) -> None:
    classified = classify(error)
    assert isinstance(classified, RateLimited)
    assert classified.retry_after == wait


# 40 s: a busy channel's ordinary 429, a wait (not an attempt). Infinity (JSON's 1e309):
# an answer safejson refuses, a transient failure (an attempt), never a dead letter.
@pytest.mark.parametrize(("wait", "attempts"), [(40.0, 0), (float("inf"), 1)])
async def test_a_long_429_on_a_send_is_retried_later_not_dead_lettered(
    discord_bot: Bot, wait: float, attempts: int
) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.slow_down["/channels/555/messages"] = wait
    channel = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    item = OutboxItem(channel.id, "digest", "2026-11-27", "discord", [OutgoingMessage("x")])
    assert await store.enqueue([item], now=NOW) == 1
    clock = FakeClock(NOW)
    sender = DiscordSender(discord_bot.client.http, store, clock)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the worker's waits, recorded, not slept
        slept.append(seconds)

    worker = DeliveryWorker(
        store,
        {"discord": sender},
        Pacer({"discord": unlimited_policy}),
        clock,
        DeliveryLimits(),
        sleep=sleep,
    )
    # discord.py raises at once (over 30 s) rather than sleeping it out.
    with pytest.raises(RateLimited if attempts == 0 else TransientError):
        await sender.send(Destination("discord", "555"), OutgoingMessage("y"))
    await worker.run_once()

    assert (await store.outbox_counts())["discord"] == {"retrying": 1}
    (entry,) = await store.claim(
        now=NOW + DeliveryLimits().backoff_cap * 10, limit=5, platforms=["discord"]
    )
    assert entry.attempts == attempts  # a wait is not a failed attempt
    assert all(s <= MAX_SEND_WAIT_S for s in slept)
    refreshed = await store.get_subscriber(channel.id)
    assert refreshed.active  # and never "inactive"
