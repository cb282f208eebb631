"""The bot admin's commands: a breaking push previewed, confirmed with a button, followed
in the same message and cancelled from it; /news stats."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from tests.bot.discord.conftest import BOT_ADMIN, Bot, buttons
from tests.builders import add_article
from tests.fakes.discord_interactions import press, slash


async def test_a_bot_admin_previews_confirms_and_follows_a_push(
    discord_bot: Bot, now: datetime
) -> None:
    store = discord_bot.store
    await add_article(store, url="https://a.example/flood", title="Flood warning", now=now)
    reader = await store.upsert_subscriber("discord", "601", now=now, guild_id="500")
    await store.subscribe(reader.id, ["climate"], now=now)
    woken = []
    discord_bot.ctx.on_push = lambda: woken.append(True)

    refused = await discord_bot.text(
        slash("news", "breaking", {"category": "climate", "article": "1"}, user_id=8)
    )
    assert refused == "This command is for the bot's administrators."
    (audit,) = await store.audit_log()
    assert (audit.actor, audit.action, audit.outcome) == ("discord:8", "breaking", "refused")

    preview = await discord_bot.run(
        slash("news", "breaking", {"category": "climate", "article": "1"}, user_id=BOT_ADMIN)
    )
    assert "Flood warning" in json.dumps(preview["data"]["embeds"])
    (confirm, cancel) = buttons(preview)
    assert confirm[1] == "Send to 1 subscribers" and cancel[0] == "news:push:no:" + confirm[
        0
    ].removeprefix("news:push:")
    # Another admin's press, or a plain member's, does not send it.
    stranger = await discord_bot.text(press(confirm[0], user_id=8))
    assert stranger == "This command is for the bot's administrators."
    sent = await discord_bot.run(press(confirm[0], user_id=BOT_ADMIN))
    assert sent["type"] == 7 and sent["data"]["content"].startswith("push #1 (climate, sending)")
    assert [cid for cid, _ in buttons(sent)] == ["news:pushcancel:1"]
    assert woken == [True]
    (entry,) = await store.claim(now=now, limit=10, platforms=["discord"])
    await store.complete(entry, now=now, last_part=(0, "m1"))
    edits = await discord_bot.fake.wait_for("edits", 1)
    for _ in range(100):
        if "done" in discord_bot.fake.edits[-1]["content"]:
            break
        await discord_bot.fake.wait_for("edits", len(discord_bot.fake.edits) + 1)
    assert "1 delivered" in discord_bot.fake.edits[-1]["content"]
    assert discord_bot.fake.edits[-1]["components"] == []
    assert edits
    # The token was used: pressing again sends nothing more.
    late = await discord_bot.text(press(confirm[0], user_id=BOT_ADMIN))
    assert late.startswith("Not sent: this confirmation was already used")
    actions = [(a.action, a.outcome) for a in await store.audit_log()]
    assert ("breaking", "ok") in actions


async def test_a_push_can_be_cancelled_from_its_message(discord_bot: Bot, now: datetime) -> None:
    store = discord_bot.store
    await add_article(store, url="https://a.example/storm", title="Storm", now=now)
    for chat in ("601", "602"):
        reader = await store.upsert_subscriber("discord", chat, now=now, guild_id="500")
        await store.subscribe(reader.id, ["climate"], now=now)
    preview = await discord_bot.run(
        slash("news", "breaking", {"category": "climate", "article": "1"}, user_id=BOT_ADMIN)
    )
    await discord_bot.run(press(buttons(preview)[0][0], user_id=BOT_ADMIN))
    cancelled = await discord_bot.run(press("news:pushcancel:1", user_id=BOT_ADMIN))
    assert "cancelled" in cancelled["data"]["content"]
    assert "2 blocked or cancelled" in cancelled["data"]["content"]
    assert await store.claim(now=now, limit=10, platforms=["discord"]) == []


async def test_breaking_with_a_bad_reference_says_why(discord_bot: Bot) -> None:
    text = await discord_bot.text(
        slash("news", "breaking", {"category": "climate", "article": "999"}, user_id=BOT_ADMIN)
    )
    assert "999" in text
    unknown = await discord_bot.text(
        slash("news", "breaking", {"category": "sport", "article": "1"}, user_id=BOT_ADMIN)
    )
    assert "sport" in unknown


async def test_stats_for_bot_admins_only(discord_bot: Bot, now: datetime) -> None:
    assert "administrators" in await discord_bot.text(slash("news", "stats", user_id=8))
    text = await discord_bot.text(slash("news", "stats", user_id=BOT_ADMIN))
    assert "categories: 3" in text


async def test_closing_the_client_stops_following_pushes(discord_bot: Bot, now: datetime) -> None:
    store = discord_bot.store
    await add_article(store, url="https://a.example/wind", title="Wind", now=now)
    reader = await store.upsert_subscriber("discord", "601", now=now, guild_id="500")
    await store.subscribe(reader.id, ["climate"], now=now)
    preview = await discord_bot.run(
        slash("news", "breaking", {"category": "climate", "article": "1"}, user_id=BOT_ADMIN)
    )
    await discord_bot.run(press(buttons(preview)[0][0], user_id=BOT_ADMIN))
    # The answer is recorded a moment before the button's callback starts the following.
    for _ in range(100):
        if discord_bot.client.background:
            break
        await asyncio.sleep(0.01)
    (following,) = discord_bot.client.background
    await discord_bot.client.close()
    assert following.cancelled() and not discord_bot.client.background
