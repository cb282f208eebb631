"""Round trips to the store per common command (issue 13.3): one read of the chat (with
the server's admin role) and at most one write, counted by a wrapper around the store
(its method calls, and the SQL statements they send). Counts, never durations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.bot.discord.conftest import Bot
from tests.bot.discord.store_wrappers import CountingStore
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash

MANAGER = {"permissions": MANAGE_CHANNELS}
# (what, payload, at most this many store calls); payloads are made when the test runs
# (their ids are snowflakes of now: the fake refuses an answer 3 s after).
COMMANDS: list[tuple[str, Callable[[], dict[str, Any]], int]] = [
    (
        "subscribe, a new channel",
        lambda: slash("news", "subscribe", {"category": "climate"}, **MANAGER),
        2,
    ),
    ("subscribe, again", lambda: slash("news", "subscribe", {"category": "markets"}, **MANAGER), 2),
    ("list", lambda: slash("news", "list"), 1),
    ("unsubscribe", lambda: slash("news", "unsubscribe", {"category": "markets"}, **MANAGER), 2),
    ("time zone", lambda: slash("news", "timezone", {"zone": "Europe/Paris"}, **MANAGER), 2),
    ("time", lambda: slash("news", "time", {"time": "07:30"}, **MANAGER), 2),
    ("language", lambda: slash("news", "language", {"language": "vi"}, **MANAGER), 2),
    (
        "subscribe, a DM",
        lambda: slash("news", "subscribe", {"category": "climate"}, guild_id=None),
        2,
    ),
    ("list, a DM", lambda: slash("news", "list", guild_id=None), 1),
]


@pytest.fixture
async def counting(discord_bot: Bot) -> AsyncIterator[CountingStore]:
    counter = CountingStore(discord_bot.store)
    discord_bot.client.digest.store = counter  # type: ignore[assignment]
    discord_bot.client.flood.budget = 60.0  # answered directly: only the store counts
    try:
        yield counter
    finally:
        counter.restore()


async def test_each_common_command_makes_one_or_two_store_round_trips(
    discord_bot: Bot, counting: CountingStore
) -> None:
    # The categories cached, as in a running bot (read again after 30 s, once for all).
    await discord_bot.run(slash("news", "categories", channel_id=699))
    counted = []
    for what, payload, _most in COMMANDS:
        counting.reset()
        answer = await discord_bot.run(payload())
        assert "wrong" not in str(answer), what
        counted.append((what, counting.trips, counting.statements, dict(counting.calls)))
        print(f"{what}: {counting.trips} store calls, {counting.statements} statements")
    for (what, trips, _, calls), (_, _, most) in zip(counted, COMMANDS, strict=True):
        assert trips <= most, (what, calls)
    stored = await discord_bot.store.find_subscriber("discord", "600")
    assert stored is not None and stored.categories == ("climate",)
    assert stored.timezone == "Europe/Paris" and stored.language == "vi"


async def test_the_categories_are_read_once_for_many_commands(
    discord_bot: Bot, counting: CountingStore
) -> None:
    for channel in range(5):
        await discord_bot.run(
            slash("news", "subscribe", {"category": "climate"}, channel_id=620 + channel, **MANAGER)
        )
    assert counting.calls["list_categories"] == 1
    assert counting.calls["subscribe_chat"] == 5
