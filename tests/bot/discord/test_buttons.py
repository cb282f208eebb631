"""The reader's buttons under the bot's answers: the category picker and the forget
confirmation (the push buttons are in test_push)."""

from __future__ import annotations

from tests.bot.discord.conftest import Bot, buttons
from tests.fakes.discord_interactions import MANAGE_CHANNELS, press, slash


async def test_the_category_picker_toggles_and_redraws(discord_bot: Bot) -> None:
    answer = await discord_bot.run(slash("news", "categories"))
    # Each button carries the state a press asks for (1: subscribe).
    assert [cid for cid, _ in buttons(answer)] == [
        "news:cat:ai-frontier:1",
        "news:cat:climate:1",
        "news:cat:markets:1",
    ]
    # A plain member's press changes nothing.
    refused = await discord_bot.text(press("news:cat:climate:1", permissions=0))
    assert "Manage Channels" in refused
    assert await discord_bot.store.find_subscriber("discord", "600") is None
    pressed = await discord_bot.run(press("news:cat:climate:1", permissions=MANAGE_CHANNELS))
    assert pressed["type"] == 7  # the picker message is updated in place
    assert pressed["data"]["content"] == "Subscribed to Climate."
    styles = {
        c["custom_id"]: c["style"]
        for row in pressed["data"]["components"]
        for c in row["components"]
    }
    assert styles["news:cat:climate:0"] == 3 and styles["news:cat:markets:1"] == 2
    subscriber = await discord_bot.store.find_subscriber("discord", "600")
    assert subscriber is not None and subscriber.categories == ("climate",)
    again = await discord_bot.run(press("news:cat:climate:0", permissions=MANAGE_CHANNELS))
    assert again["data"]["content"] == "Unsubscribed from Climate."


async def test_a_double_tap_on_the_picker_leaves_the_state_it_asked_for(
    discord_bot: Bot,
) -> None:
    manager = {"permissions": MANAGE_CHANNELS}
    for _ in range(2):  # the same button, pressed twice before the picker was redrawn
        await discord_bot.run(press("news:cat:climate:1", **manager))
    subscriber = await discord_bot.store.find_subscriber("discord", "600")
    assert subscriber is not None and subscriber.categories == ("climate",)
    for _ in range(2):
        await discord_bot.run(press("news:cat:climate:0", **manager))
    subscriber = await discord_bot.store.find_subscriber("discord", "600")
    assert subscriber is not None and subscriber.categories == ()
    # A picker sent before buttons carried their state still toggles.
    old = await discord_bot.run(press("news:cat:markets", **manager))
    assert old["data"]["content"] == "Subscribed to Markets."


async def test_forget_asks_first_and_a_dm_forgets_the_member_everywhere(
    discord_bot: Bot,
) -> None:
    dm = {"guild_id": None, "channel_id": 9003, "user_id": 42}
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **dm))
    await discord_bot.text(
        slash("news", "subscribe", {"category": "markets"}, permissions=MANAGE_CHANNELS)
    )
    answer = await discord_bot.run(slash("news", "forget", **dm))
    yes, no = [cid for cid, _ in buttons(answer)]
    assert yes.startswith("news:forget:yes:") and no == "news:forget:no:" + yes.split(":")[-1]
    kept = await discord_bot.run(press(no, **dm))
    assert kept["data"]["content"] == "Nothing was deleted."
    assert await discord_bot.store.find_subscriber("discord", "9003") is not None
    # "No" answered that request: its "yes", pressed later (stale, replayed), is dead.
    stale = await discord_bot.text(press(yes, **dm))
    assert stale.startswith("This confirmation has expired")
    assert await discord_bot.store.find_subscriber("discord", "9003") is not None
    answer = await discord_bot.run(slash("news", "forget", **dm))
    yes, _ = [cid for cid, _ in buttons(answer)]
    gone = await discord_bot.run(press(yes, **dm))
    assert gone["data"]["content"].startswith("Done: everything stored about this chat")
    assert await discord_bot.store.find_subscriber("discord", "9003") is None
    # The server channel they set up keeps its digest but no longer names them.
    channel = await discord_bot.store.find_subscriber("discord", "600")
    assert channel is not None and channel.categories == ("markets",)
    assert channel.set_up_by is None
