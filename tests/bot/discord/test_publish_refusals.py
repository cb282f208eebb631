"""What Discord may answer a publish besides yes: each leaves the message posted, counts
it, tells one log line without the token, and only the answer that says the channel is no
announcement channel any more (50024) changes what the store knows."""

from __future__ import annotations

import logging

import pytest

from bot.discord.sender import DiscordSender
from digests.outgoing import Destination, OutgoingMessage
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import TOKEN, Bot
from tests.conftest import NOW


async def announcement(bot: Bot, chat: str = "555") -> int:
    subscriber = await bot.store.upsert_subscriber("discord", chat, now=NOW, guild_id="500")
    await bot.store.set_announcement("discord", chat, True)
    return subscriber.id


async def test_a_channel_made_a_text_channel_unseen_is_found_out_by_its_publish(
    discord_bot: Bot,
) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.per_channel = 100
    channel = await announcement(discord_bot)  # the fake says type 0: 50024 on publish
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    destination = Destination("discord", "555", publish=True)
    first = await sender.send(destination, OutgoingMessage("part 1"))
    await sender.settle()
    assert not await store.is_announcement("discord", "555")
    # The digest's next parts (claimed with the old flag) ask Discord nothing more.
    await sender.send(destination, OutgoingMessage("part 2"))
    await sender.settle()
    assert await store.publishes_of(channel) == [(first, "failed")]
    assert [m["content"] for m in fake.messages] == ["part 1", "part 2"]


async def test_a_message_deleted_before_its_publish_is_counted_and_logged(
    discord_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    store = discord_bot.store
    discord_bot.fake.announcement.add("555")
    channel = await announcement(discord_bot)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    with caplog.at_level(logging.INFO, logger="bot.discord.sender"):
        assert not await sender.publish("555", "123456789")  # 404 10008 Unknown Message
    assert await store.publishes_of(channel) == [("123456789", "failed")]
    assert await store.is_announcement("discord", "555")  # still one
    assert await store.publish_hold(channel) is None  # no 429, no hold
    (line,) = [r.getMessage() for r in caplog.records]
    assert "stays unpublished" in line and "10008" in line


async def test_a_refusal_that_echoes_the_request_keeps_the_token_out_of_the_log(
    discord_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.announcement.add("555")
    channel = await announcement(discord_bot)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    message_id = await sender.send(Destination("discord", "555"), OutgoingMessage("x"))
    fake.refuse = 403  # every answer: 403 with the request (Authorization too) echoed
    with caplog.at_level(logging.INFO, logger="bot.discord.sender"):
        assert not await sender.publish("555", message_id)
    fake.refuse = None
    lines = [r.getMessage() for r in caplog.records]
    assert lines and all(TOKEN not in line for line in lines)
    assert any("[REDACTED]" in line for line in lines)  # it was echoed, and taken out
    assert all(part not in line for line in lines for part in TOKEN.split(".") if len(part) > 20)
    assert await store.publishes_of(channel) == [(message_id, "failed")]
    refreshed = await store.get_subscriber(channel)
    assert refreshed.active  # a refused publish never counts against the channel
