"""Every interaction acknowledged within Discord's 3 s (issue 13.3): an answer not ready
within the budget is preceded by a deferral and edits it later; one ready in time goes out
directly; the two are decided once. A busy store is played by ``GatedStore``, which holds
every store call until the test opens its gate: no sleeps, no timing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import discord
import pytest

from bot.discord import tree
from bot.discord.context import reply
from bot.discord.timely import Acks, Throttled, TimelyResponse, attach, defer_delay
from tests.bot.discord.conftest import Bot
from tests.bot.discord.store_wrappers import GatedStore
from tests.fakes.discord_api import snowflake
from tests.fakes.discord_interactions import MANAGE_CHANNELS, press, slash

EPHEMERAL = 64


def busy_store(bot: Bot, *, budget: float = 0.0) -> asyncio.Event:
    """Hold every store call until the returned gate is set; defer after ``budget``."""
    gate = asyncio.Event()
    bot.client.digest.store = GatedStore(bot.store, gate)  # type: ignore[assignment]
    bot.client.flood.budget = budget
    return gate


def deliver(bot: Bot, payload: dict[str, Any]) -> None:
    bot.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]


def answers(bot: Bot, payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in bot.fake.responses if a["interaction"] == payload["id"]]


def edits(bot: Bot, payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in bot.fake.edits if e["token"] == payload["token"]]


async def test_an_answer_not_ready_in_time_is_deferred_then_edited_in(discord_bot: Bot) -> None:
    await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, permissions=MANAGE_CHANNELS)
    )
    gate = busy_store(discord_bot)
    listing = slash("news", "list")
    deliver(discord_bot, listing)
    await discord_bot.fake.wait_for("responses", 2)
    (deferral,) = answers(discord_bot, listing)
    assert deferral["type"] == 5 and deferral["data"]["flags"] & EPHEMERAL  # "thinking", private
    assert edits(discord_bot, listing) == []  # the store still holds the answer back
    gate.set()
    await discord_bot.fake.wait_for("edits", 1)
    (edit,) = edits(discord_bot, listing)
    assert "Climate" in edit["content"]
    assert answers(discord_bot, listing) == [deferral]  # acknowledged once


async def test_an_answer_ready_in_time_goes_out_directly(discord_bot: Bot) -> None:
    discord_bot.client.flood.budget = 60.0  # the fake's 3 s still holds
    listing = slash("news", "list")
    answer = await discord_bot.run(listing)
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert discord_bot.fake.edits == []


async def test_a_press_not_ready_in_time_is_a_deferred_update_then_an_edit(
    discord_bot: Bot,
) -> None:
    gate = busy_store(discord_bot)
    pressed = press("news:cat:climate:1", permissions=MANAGE_CHANNELS)
    deliver(discord_bot, pressed)
    await discord_bot.fake.wait_for("responses", 1)
    (deferral,) = answers(discord_bot, pressed)
    assert deferral["type"] == 6  # the button stops spinning; the message is kept
    gate.set()
    await discord_bot.fake.wait_for("edits", 1)
    (edit,) = edits(discord_bot, pressed)
    assert edit["content"] == "Subscribed to Climate."
    assert edit["components"]  # the picker, redrawn


async def test_a_refused_press_after_a_deferral_is_a_private_follow_up(discord_bot: Bot) -> None:
    gate = busy_store(discord_bot)
    pressed = press("news:cat:climate:1")  # not a channel manager
    deliver(discord_bot, pressed)
    await discord_bot.fake.wait_for("responses", 1)
    gate.set()
    await discord_bot.fake.wait_for("followups", 1)
    (followup,) = [f for f in discord_bot.fake.followups if f["token"] == pressed["token"]]
    assert followup["flags"] & EPHEMERAL and "Manage Channels" in followup["content"]
    assert edits(discord_bot, pressed) == []  # the picker under the button is untouched


async def race(bot: Bot, deferral_first: bool) -> None:
    """The deferral and the direct answer at the same turn of the loop, in either order."""
    interaction: discord.Interaction[Any] = discord.Interaction(
        data=slash("news", "list"), state=bot.client._connection
    )
    response = attach(interaction, budget=60.0)
    assert isinstance(response, TimelyResponse)
    answering = asyncio.create_task(response.send_message("here", ephemeral=True))
    if deferral_first:
        response.defer_now()  # before the answer's task has run at all
    else:
        await asyncio.sleep(0)  # the answer has claimed the response and is on its way
        response.defer_now()
    await answering


async def test_a_deferral_racing_the_answer_is_decided_once(discord_bot: Bot) -> None:
    await race(discord_bot, deferral_first=True)
    (deferral,) = discord_bot.fake.responses
    assert deferral["type"] == 5
    (edit,) = discord_bot.fake.edits
    assert edit["content"] == "here"
    await race(discord_bot, deferral_first=False)
    assert [a["type"] for a in discord_bot.fake.responses] == [5, 4]
    assert len(discord_bot.fake.edits) == 1  # the direct answer was not edited or repeated


async def test_a_long_answer_after_a_deferral_edits_then_follows_up(discord_bot: Bot) -> None:
    interaction: discord.Interaction[Any] = discord.Interaction(
        data=slash("news", "list"), state=discord_bot.client._connection
    )
    response = attach(interaction, budget=60.0)
    response.defer_now()
    await reply(interaction, "word " * 700)  # over one message: edit, then a follow-up
    assert [a["type"] for a in discord_bot.fake.responses] == [5]
    assert len(discord_bot.fake.edits) == 1 and len(discord_bot.fake.followups) >= 1


async def test_admission_refusals_are_acknowledged_while_the_store_is_busy(
    discord_bot: Bot,
) -> None:
    gate = busy_store(discord_bot)
    flood = [slash("news", "list", channel_id=610) for _ in range(12)]  # one member: 10 run
    for payload in flood:
        deliver(discord_bot, payload)
    await discord_bot.fake.wait_for("responses", 12)
    kinds = sorted(a["type"] for a in discord_bot.fake.responses)
    assert kinds == [4, 4] + [5] * 10  # two "slow down" answers, ten deferrals
    gate.set()
    await discord_bot.fake.wait_for("edits", 10)


async def test_hostile_input_after_a_deferral_still_gets_one_line(discord_bot: Bot) -> None:
    gate = busy_store(discord_bot)
    hostile = slash(
        "news",
        "subscribe",
        {"category": "x" * 3000 + "\n@everyone <script>" + "\u202e" * 50},
        permissions=MANAGE_CHANNELS,
    )
    deliver(discord_bot, hostile)
    await discord_bot.fake.wait_for("responses", 1)
    gate.set()
    await discord_bot.fake.wait_for("edits", 1)
    (edit,) = edits(discord_bot, hostile)
    assert edit["content"].startswith("Unknown category") and "\n" not in edit["content"]
    assert len(edit["content"]) < 400


def test_the_deferral_comes_a_budget_after_creation_never_later_than_after_arrival() -> None:
    assert defer_delay(created=100.0, now=100.0, budget=1.2) == 1.2
    assert defer_delay(created=100.0, now=100.5, budget=1.2) == pytest.approx(0.7)  # delivered late
    assert defer_delay(created=100.0, now=103.0, budget=1.2) == 0.0  # past it: at once
    assert defer_delay(created=105.0, now=100.0, budget=1.2) == 1.2  # a clock behind


async def test_a_command_behind_a_backlog_is_deferred_at_once(
    discord_bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = busy_store(discord_bot, budget=60.0)  # the budget alone would not defer
    monkeypatch.setattr(tree, "DEFER_BEHIND", 1)
    discord_bot.client.tree.slots = asyncio.Semaphore(1)  # type: ignore[attr-defined]
    lists = [slash("news", "list", channel_id=630 + i, user_id=50 + i) for i in range(3)]
    for payload in lists:
        deliver(discord_bot, payload)
    await discord_bot.fake.wait_for("responses", 2)  # while the first holds the store
    assert [answers(discord_bot, p)[0]["type"] for p in lists[1:]] == [5, 5]
    assert answers(discord_bot, lists[0]) == []
    gate.set()
    await discord_bot.fake.wait_for("edits", 2)
    await discord_bot.fake.wait_for("responses", 3)
    assert answers(discord_bot, lists[0])[0]["type"] == 4  # its turn came in time


async def test_deferred_work_waits_for_the_pending_acknowledgements() -> None:
    acks = Acks(at_once=1)
    acks.expect()
    acks.expect()
    waiting = asyncio.create_task(acks.idle(longest=60))
    for _ in range(2):
        async with acks.sending():
            await asyncio.sleep(0)  # a turn of the loop, not a wait for time
            assert not waiting.done()  # an acknowledgement is still pending
    await asyncio.wait_for(waiting, 5)
    assert acks.pending == 0


async def test_suggestions_too_late_are_noted_without_a_traceback(
    discord_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    discord_bot.fake.refused_expected = True  # type: ignore[attr-defined]
    typing = slash("news", "timezone", {"zone": "asia/h"}, autocomplete="zone")
    typing["id"] = str(snowflake(time.time() - 10, 1))  # created 10 s ago: past its window
    deliver(discord_bot, typing)
    await wait_until(lambda: bool(discord_bot.fake.refused))
    assert [r["code"] for r in discord_bot.fake.refused] == [10062]
    assert not [r for r in caplog.records if r.exc_info]  # no traceback per keystroke


def test_a_warning_repeated_in_a_burst_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    late = Throttled(every=3600)
    for number in range(5):
        late.note("late: %s", number)
    assert [r.getMessage() for r in caplog.records] == ["late: 0"]


async def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")
