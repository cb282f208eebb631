"""Issue 19 items 1, 4 and 10 on Discord's push buttons: another admin's press of a push
confirmation is refused and audited and leaves the push for its admin; a forged cancel
(``abc``, twenty digits, an unknown id) is answered "No such push."; a cancelled push's
message ends at its final counts once the sends under way have finished."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from digests.timeutil import FakeClock
from tests.bot.discord.conftest import BOT_ADMIN, Bot, buttons
from tests.builders import add_article
from tests.fakes.discord_interactions import press, slash

OTHER_ADMIN = 9


async def preview(bot: Bot, now: datetime, readers: int = 1) -> str:
    """A push previewed by BOT_ADMIN; returns its confirm button's custom id."""
    await add_article(bot.store, url="https://a.example/flood", title="Flood warning", now=now)
    for number in range(readers):
        reader = await bot.store.upsert_subscriber(
            "discord", str(601 + number), now=now, guild_id="500"
        )
        await bot.store.subscribe(reader.id, ["climate"], now=now)
    shown = await bot.run(
        slash("news", "breaking", {"category": "climate", "article": "1"}, user_id=BOT_ADMIN)
    )
    return buttons(shown)[0][0]


async def test_another_admins_press_is_refused_audited_and_leaves_the_push(
    discord_bot: Bot, now: datetime
) -> None:
    discord_bot.ctx.admin_ids = frozenset({BOT_ADMIN, OTHER_ADMIN})
    confirm = await preview(discord_bot, now)
    refused = await discord_bot.text(press(confirm, user_id=OTHER_ADMIN))
    assert refused == "Only the admin who previewed this push may send it."
    (audit,) = await discord_bot.store.audit_log()
    assert (audit.actor, audit.action, audit.outcome) == ("discord:9", "breaking", "refused")
    assert audit.detail == "another admin's push confirmation"
    assert await discord_bot.store.claim(now=now, limit=10, platforms=["discord"]) == []
    # The admin who asked still sends it with their own press.
    sent = await discord_bot.run(press(confirm, user_id=BOT_ADMIN))
    assert sent["type"] == 7 and sent["data"]["content"].startswith("push #1 (climate, sending)")


@pytest.mark.parametrize("push", ["abc", "99999999999999999999", "12345"])
async def test_a_forged_cancel_is_answered_no_such_push(discord_bot: Bot, push: str) -> None:
    text = await discord_bot.text(press(f"news:pushcancel:{push}", user_id=BOT_ADMIN))
    assert text == "No such push."
    # A member who is no bot admin is refused before the id is even read.
    refused = await discord_bot.text(press(f"news:pushcancel:{push}", user_id=8))
    assert refused == "This command is for the bot's administrators."


async def test_a_cancelled_push_shows_its_final_counts(discord_bot: Bot, now: datetime) -> None:
    store, fake = discord_bot.store, discord_bot.fake
    confirm = await preview(discord_bot, now, readers=5)
    await discord_bot.run(press(confirm, user_id=BOT_ADMIN))
    # Two sends are under way when the admin cancels: they finish, the other three stop.
    in_flight = await store.claim(now=now, limit=2, platforms=["discord"])
    assert len(in_flight) == 2
    cancelled = await discord_bot.run(press("news:pushcancel:1", user_id=BOT_ADMIN))
    assert "2 pending" in cancelled["data"]["content"]
    # The follower has shown the cancelled push with its two sends still under way...
    for _ in range(200):
        if fake.edits and "cancelled" in fake.edits[-1]["content"]:
            break
        await fake.wait_for("edits", len(fake.edits) + 1)
    assert fake.edits[-1]["content"].endswith("2 pending")
    # ...and they finish afterwards: the message must not freeze at "2 pending".
    for number, entry in enumerate(in_flight):
        await store.complete(entry, now=now, last_part=(0, f"m{number}"))
    final = "push #1 (climate, cancelled): 5 subscribers: 2 delivered, 3 blocked or cancelled"
    for _ in range(200):
        if fake.edits and fake.edits[-1]["content"].startswith(final):
            break
        await fake.wait_for("edits", len(fake.edits) + 1)
    assert fake.edits[-1]["content"] == final + ", 0 failed, 0 pending"
    assert fake.edits[-1]["components"] == []  # nothing left to cancel


async def test_a_huge_url_is_quoted_as_an_excerpt(discord_bot: Bot) -> None:
    url = "ftp://a.example/" + "\u202e" + "x" * 4_000  # refused, and quoted
    answer = await discord_bot.run(
        slash(
            "news",
            "breaking",
            {"category": "climate", "article": url, "title": "T"},
            user_id=BOT_ADMIN,
        )
    )
    text = answer["data"]["content"]
    assert len(text) <= 300 and text.endswith("…")
    assert "\u202e" not in text
    assert discord_bot.fake.followups == []  # one message, not a split 4,000 characters


async def test_refusals_are_audited_once_per_member_a_minute_with_a_count(
    discord_bot: Bot,
) -> None:
    for _ in range(3):
        await discord_bot.text(slash("news", "stats", user_id=8))
    for _ in range(2):  # forged presses by the same member, within the same minute
        await discord_bot.text(press("news:pushcancel:1", user_id=8))
    (row,) = await discord_bot.store.audit_log()
    assert (row.actor, row.action, row.outcome) == ("discord:8", "stats", "refused")
    clock = discord_bot.ctx.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(seconds=61))
    await discord_bot.text(slash("news", "stats", user_id=8))
    rows = await discord_bot.store.audit_log()
    assert sorted(r.count for r in rows) == [1, 5]  # the first minute's row counts all five
    # Another member's refusal is audited at once.
    await discord_bot.text(slash("news", "stats", user_id=11))
    assert len(await discord_bot.store.audit_log()) == 3
