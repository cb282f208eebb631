"""A channel subscribed only through the category picker (``/news categories``, then a
press) is recorded as an announcement channel at once, as ``/news subscribe`` records
it: its next digest is published without waiting for a ready or a CHANNEL_UPDATE."""

from __future__ import annotations

from tests.bot.discord.conftest import Bot
from tests.fakes.discord_interactions import MANAGE_CHANNELS, press, slash


async def test_a_picker_press_in_an_announcement_channel_records_it(discord_bot: Bot) -> None:
    store = discord_bot.store
    payload = press("news:cat:climate:1", channel_id=555, permissions=MANAGE_CHANNELS)
    payload["channel"]["type"] = 5
    answer = await discord_bot.run(payload)
    content = answer["data"]["content"]
    assert content.startswith("Subscribed to Climate.")
    assert "announcement channel" in content and "10 an hour" in content
    assert await store.is_announcement("discord", "555")

    # Unsubscribing says nothing about publishing; the flag stays for what is left.
    leave = press("news:cat:climate:0", channel_id=555, permissions=MANAGE_CHANNELS)
    leave["channel"]["type"] = 5
    left = await discord_bot.run(leave)
    assert "announcement" not in left["data"]["content"]


async def test_a_picker_press_in_a_text_channel_or_a_thread_publishes_nothing(
    discord_bot: Bot,
) -> None:
    store = discord_bot.store
    text = await discord_bot.run(press("news:cat:climate:1", permissions=MANAGE_CHANNELS))
    assert "announcement" not in text["data"]["content"]
    assert not await store.is_announcement("discord", "600")
    # A thread of an announcement channel (type 11) has no followers.
    thread = press("news:cat:climate:1", channel_id=601, thread_of=555, permissions=MANAGE_CHANNELS)
    answer = await discord_bot.run(thread)
    assert "announcement" not in answer["data"]["content"]
    assert not await store.is_announcement("discord", "601")


async def test_a_channel_converted_since_is_corrected_by_the_next_press(discord_bot: Bot) -> None:
    store = discord_bot.store
    manager = {"channel_id": 555, "permissions": MANAGE_CHANNELS}
    first = press("news:cat:climate:1", **manager)
    first["channel"]["type"] = 5
    await discord_bot.run(first)
    assert await store.is_announcement("discord", "555")
    # Made a text channel again while the bot did not hear of it: the press says type 0.
    await discord_bot.run(press("news:cat:markets:1", **manager))
    assert not await store.is_announcement("discord", "555")


async def test_the_note_comes_only_with_a_subscription_that_was_added(discord_bot: Bot) -> None:
    manager = {"channel_id": 555, "permissions": MANAGE_CHANNELS}

    async def subscribe(category: str) -> str:
        payload = slash("news", "subscribe", {"category": category}, **manager)
        payload["channel"]["type"] = 5
        return await discord_bot.text(payload)

    assert "announcement channel" in await subscribe("climate")
    assert "announcement channel" not in await subscribe("no-such")  # refused
    assert "announcement channel" not in await subscribe("climate")  # already there
    assert "announcement channel" in await subscribe("markets")
    assert await discord_bot.store.is_announcement("discord", "555")
