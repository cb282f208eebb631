"""Issue 19, a red-team pass on Discord after the first fixes: a cancelled push preview is
dead, a double tap of "send" never says "Not sent." over the push it started, a forged or
stale button id is answered, forged command data is the member's mistake (no traceback),
role changes are recorded and a forgotten channel is not told its role was set, a no-op
from a new channel stores nothing, ``/news list`` names the changer as Discord shows them,
and ``unsubscribe all`` leaves the dormant subscriptions of retired categories alone."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import pytest

from tests.bot.discord.conftest import BOT_ADMIN, Bot, buttons
from tests.builders import add_article
from tests.fakes.discord_interactions import MANAGE_CHANNELS, press, slash

MANAGER = {"permissions": MANAGE_CHANNELS}


async def answer_or_none(bot: Bot, payload: dict[str, Any], timeout: float = 2.0) -> Any:
    """Deliver an interaction; its answer, or None if it got none within ``timeout``."""
    bot.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    return await wait_answer(bot, payload, timeout)


async def wait_answer(bot: Bot, payload: dict[str, Any], timeout: float = 2.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for answer in bot.fake.responses:
            if answer["interaction"] == payload["id"]:
                return answer
        await asyncio.sleep(0.01)
    return None


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def preview(bot: Bot, now: datetime) -> tuple[str, str]:
    """A push previewed by BOT_ADMIN: (send id, cancel id)."""
    await add_article(bot.store, url="https://a.example/flood", title="Flood warning", now=now)
    reader = await bot.store.upsert_subscriber("discord", "601", now=now, guild_id="500")
    await bot.store.subscribe(reader.id, ["climate"], now=now)
    shown = await bot.run(
        slash("news", "breaking", {"category": "climate", "article": "1"}, user_id=BOT_ADMIN)
    )
    (send, _), (cancel, _) = buttons(shown)
    return send, cancel


# --- item 3 / 10: the push preview's buttons ---------------------------------------------


async def test_a_cancelled_preview_cannot_be_sent_afterwards(
    discord_bot: Bot, now: datetime
) -> None:
    send, cancel = await preview(discord_bot, now)
    dropped = await discord_bot.run(press(cancel, user_id=BOT_ADMIN))
    assert dropped["data"]["content"] == "Not sent."
    # The admin's other client (or a replay) still shows "Send": it is dead now.
    again = await discord_bot.run(press(send, user_id=BOT_ADMIN))
    assert not again["data"].get("content", "").startswith("push #1"), again
    assert await discord_bot.store.claim(now=now, limit=10, platforms=["discord"]) == []
    assert len(discord_bot.ctx.pending_pushes) == 0


async def test_an_old_bare_cancel_is_still_answered(discord_bot: Bot) -> None:
    dropped = await discord_bot.run(press("news:push:no", user_id=BOT_ADMIN))
    assert dropped["data"]["content"] == "Not sent."


async def test_a_double_tap_on_send_does_not_say_not_sent(discord_bot: Bot, now: datetime) -> None:
    send, _ = await preview(discord_bot, now)
    p1, p2 = press(send, user_id=BOT_ADMIN), press(send, user_id=BOT_ADMIN)
    a1, a2 = await asyncio.gather(answer_or_none(discord_bot, p1), answer_or_none(discord_bot, p2))
    assert a1 is not None and a2 is not None
    assert len(await discord_bot.store.claim(now=now, limit=10, platforms=["discord"])) == 1
    # One press started the push (its message shows it); the other is told privately.
    contents = [a["data"].get("content") for a in (a1, a2)]
    assert "Not sent." not in contents, contents
    late = a2 if a1["type"] == 7 else a1
    assert late["type"] == 4 and late["data"]["flags"] & 64, late
