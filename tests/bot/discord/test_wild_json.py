"""Discord's answers decoded with safejson: a 429 whose retry_after is NaN (or Infinity,
1e309, 5,000 digits), which discord.py's json.loads took and then slept on for ever,
fails one request quickly instead of stalling the route or the whole session."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.discord.sender import DiscordSender, refuse_wild_json
from digests.delivery_errors import TransientError
from digests.outgoing import Destination, OutgoingMessage
from digests.safejson import JSONInputError
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import Bot
from tests.conftest import NOW


@pytest.mark.parametrize(
    "body",
    [
        '{"retry_after": NaN, "global": true}',
        '{"retry_after": Infinity}',
        '{"retry_after": 1e309}',
        '{"retry_after": ' + "9" * 5000 + "}",
    ],
)
def test_wild_numbers_are_refused(body: str) -> None:
    refuse_wild_json()
    with pytest.raises(JSONInputError):
        discord.utils._from_json(body)


def test_discords_ordinary_answers_read_as_before() -> None:
    refuse_wild_json()
    body = '{"id": "9000001", "retry_after": 0.347, "flags": 1, "content": "caf\\u00e9"}'
    assert discord.utils._from_json(body) == {
        "id": "9000001",
        "retry_after": 0.347,
        "flags": 1,
        "content": "café",
    }


async def test_a_send_answered_with_a_nan_wait_fails_at_once(discord_bot: Bot) -> None:
    discord_bot.fake.slow_down["/channels/555/messages"] = float("nan")
    sender = DiscordSender(discord_bot.client.http)
    with pytest.raises(TransientError):  # not a wait for ever (the time-out's error)
        await asyncio.wait_for(sender.send(Destination("discord", "555"), OutgoingMessage("x")), 5)
    # The route is not left locked: the channel takes the next message.
    del discord_bot.fake.slow_down["/channels/555/messages"]
    await asyncio.wait_for(sender.send(Destination("discord", "555"), OutgoingMessage("y")), 5)


async def test_a_global_nan_429_on_a_publish_stalls_no_send(discord_bot: Bot) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    fake.announcement.add("555")
    fake.publish_global_once = float("nan")
    channel = await store.upsert_subscriber("discord", "555", now=NOW, guild_id="500")
    await store.set_announcement("discord", "555", True)
    sender = DiscordSender(discord_bot.client.http, store, FakeClock(NOW))
    first = await sender.send(Destination("discord", "555", publish=True), OutgoingMessage("a"))
    await asyncio.wait_for(sender.settle(), 5)
    await asyncio.wait_for(sender.send(Destination("discord", "666"), OutgoingMessage("b")), 5)
    assert await store.publishes_of(channel.id) == [(first, "failed")]
