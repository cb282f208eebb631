"""Autocomplete cannot be deferred (issue 13.3): with the store busy (``GatedStore``
holds every call) it still answers at once, from the cached categories and the channel's
categories as last seen."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.discord.session import ChoiceCache
from tests.bot.discord.conftest import Bot
from tests.bot.discord.store_wrappers import GatedStore
from tests.conftest import NOW
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash


def choices(answer: dict[str, object]) -> list[str]:
    assert answer["type"] == 8, answer
    data = answer["data"]
    assert isinstance(data, dict)
    return [c["value"] for c in data["choices"]]


async def test_autocomplete_answers_from_the_cache_while_the_store_is_busy(
    discord_bot: Bot,
) -> None:
    manager = {"permissions": MANAGE_CHANNELS}
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **manager))
    gate = asyncio.Event()
    gated = GatedStore(discord_bot.store, gate)
    discord_bot.client.digest.store = gated  # type: ignore[assignment]
    try:
        leaving = await discord_bot.run(
            slash("news", "unsubscribe", {"category": ""}, autocomplete="category", **manager)
        )
        assert choices(leaving) == ["all", "climate"]
        joining = await discord_bot.run(
            slash("news", "subscribe", {"category": "mar"}, autocomplete="category", **manager)
        )
        assert choices(joining) == ["markets"]
        assert gated.waiting == 0  # nothing asked of the store
    finally:
        gate.set()


async def test_autocomplete_with_nothing_cached_does_not_wait_for_a_busy_store(
    discord_bot: Bot,
) -> None:
    gate = asyncio.Event()
    gated = GatedStore(discord_bot.store, gate)
    discord_bot.client.digest.store = gated  # type: ignore[assignment]
    try:
        answer = await discord_bot.run(
            slash("news", "subscribe", {"category": "cl"}, autocomplete="category")
        )
        assert choices(answer) == []  # answered empty rather than late
        assert gated.waiting == 1  # the read goes on, for the next keystroke
    finally:
        gate.set()
    await asyncio.wait_for(_cached(discord_bot), 5)
    answer = await discord_bot.run(
        slash("news", "subscribe", {"category": "cl"}, autocomplete="category")
    )
    assert choices(answer) == ["climate"]


async def _cached(bot: Bot) -> None:
    while not bot.client.digest.choices._fresh():
        await asyncio.sleep(0.01)


def test_time_zone_suggestions_are_computed_once_an_hour_per_text() -> None:
    cache = ChoiceCache()
    asked: list[str] = []

    def suggest(typed: str, limit: int, *, now: datetime) -> list[str]:
        asked.append(typed)
        return [f"{typed}/{now.hour}"][:limit]

    crowd = [cache.zones(" Asia/H", NOW, suggest) for _ in range(600)]
    assert asked == [" Asia/H"] and crowd[0] == [" Asia/H/12"]
    assert cache.zones("asia/h", NOW, suggest) == crowd[0]  # the same text, any case
    assert cache.zones("asia/h", NOW + timedelta(hours=1), suggest) == ["asia/h/13"]
