"""Issue 19 items 1 and 10 on Discord's forget confirmation and picker: a "yes" deletes only
with the token of a /news forget asked in that channel, still fresh; a DM forget says what it
removed and what it keeps; a forged press from a channel never seen stores nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from digests.timeutil import FakeClock
from tests.bot.discord.conftest import Bot, buttons
from tests.fakes.discord_interactions import MANAGE_CHANNELS, press, slash

MANAGER = {"permissions": MANAGE_CHANNELS}


async def subscribed(bot: Bot, channel: int = 600, **who: object) -> None:
    await bot.text(
        slash("news", "subscribe", {"category": "climate"}, channel_id=channel, **(who or MANAGER))
    )


async def ask_forget(bot: Bot, channel: int = 600, **who: object) -> str:
    """The custom id of the "yes" under a /news forget question."""
    answer = await bot.run(slash("news", "forget", channel_id=channel, **(who or MANAGER)))
    return buttons(answer)[0][0]


async def test_a_forged_yes_without_a_question_deletes_nothing(discord_bot: Bot) -> None:
    await subscribed(discord_bot)
    text = await discord_bot.text(press("news:forget:yes", **MANAGER))
    assert text == "This confirmation has expired: run /news forget again."
    assert await discord_bot.store.find_subscriber("discord", "600") is not None


async def test_a_yes_from_another_channel_is_refused(discord_bot: Bot) -> None:
    await subscribed(discord_bot, 600)
    await subscribed(discord_bot, 601)
    yes = await ask_forget(discord_bot, 601)
    refused = await discord_bot.text(press(yes, channel_id=600, **MANAGER))
    assert refused == "This confirmation is not yours."
    assert await discord_bot.store.find_subscriber("discord", "600") is not None
    # The question stays for the channel that asked it.
    done = await discord_bot.run(press(yes, channel_id=601, **MANAGER))
    assert done["data"]["content"].startswith("Done: everything stored about this chat")
    assert await discord_bot.store.find_subscriber("discord", "601") is None


async def test_any_manager_of_the_channel_may_confirm_but_only_once(discord_bot: Bot) -> None:
    await subscribed(discord_bot)
    yes = await ask_forget(discord_bot, user_id=42, permissions=MANAGE_CHANNELS)
    done = await discord_bot.run(press(yes, user_id=43, **MANAGER))
    assert done["data"]["content"].startswith("Done:")
    again = await discord_bot.text(press(yes, user_id=42, **MANAGER))
    assert again == "This confirmation has expired: run /news forget again."


async def test_a_question_expires(discord_bot: Bot) -> None:
    await subscribed(discord_bot)
    yes = await ask_forget(discord_bot)
    clock = discord_bot.ctx.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(minutes=11))
    late = await discord_bot.text(press(yes, **MANAGER))
    assert "expired" in late
    assert await discord_bot.store.find_subscriber("discord", "600") is not None


async def test_a_dm_forget_says_what_it_removed_and_what_it_keeps(discord_bot: Bot) -> None:
    dm = {"guild_id": None, "channel_id": 9005, "user_id": 42}
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **dm))
    await subscribed(discord_bot, 600)
    await subscribed(discord_bot, 601)
    answer = await discord_bot.run(slash("news", "forget", **dm))
    gone = await discord_bot.run(press(buttons(answer)[0][0], **dm))
    text = gone["data"]["content"]
    assert "removed from the 2 server channels you set up" in text
    assert "audit log keeps" in text


@pytest.mark.parametrize(
    "custom_id", ["news:cat:climate", "news:cat:no-such-category", "news:forget:yes"]
)
async def test_a_press_from_a_channel_never_seen_stores_nothing_unless_it_changes_something(
    discord_bot: Bot, custom_id: str, now: datetime
) -> None:
    answer = await discord_bot.run(press(custom_id, channel_id=650, **MANAGER))
    assert answer["data"]["content"]
    stored = await discord_bot.store.find_subscriber("discord", "650")
    if custom_id == "news:cat:climate":  # a valid press subscribes, so the channel is stored
        assert stored is not None and stored.categories == ("climate",)
    else:
        assert stored is None
