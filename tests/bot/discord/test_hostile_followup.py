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
from tests.fakes.discord_interactions import MANAGE_CHANNELS, MANAGE_GUILD, press, role, slash

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
    assert await discord_bot.ctx.pending_pushes.count(now=now) == 0


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


# --- item 4: a custom id that no button kind matches ----------------------------------------

FORGED_IDS = [
    "news:pushcancel:" + "9" * 41,
    "news:pushcancel:",
    "news:push:" + "x" * 41,
    "news:push:a b",
    "news:cat:Climate",
    "news:cat:climate:2",
    "news:cat:" + "a" * 49,
    "news:forget:yes:" + "x" * 21,
    "news:forget:maybe",
    "news:forget:yes:\ud800",
    "news:cat:climate\u202e",
    "garbage",
]


@pytest.mark.parametrize("custom_id", FORGED_IDS)
async def test_a_forged_or_stale_id_is_answered_once(discord_bot: Bot, custom_id: str) -> None:
    payload = press(custom_id, user_id=BOT_ADMIN, permissions=MANAGE_CHANNELS)
    answer = await answer_or_none(discord_bot, payload, timeout=1.5)
    assert answer is not None, f"{custom_id!r} never answered ('This interaction failed')"
    assert answer["type"] == 4 and answer["data"]["flags"] & 64
    assert answer["data"]["content"] == "This button is no longer valid."
    await asyncio.sleep(0.1)
    assert [a for a in discord_bot.fake.responses if a["interaction"] == payload["id"]] == [answer]


async def test_a_forged_id_is_answered_in_vietnamese(discord_bot: Bot) -> None:
    answer = await answer_or_none(discord_bot, press("garbage", locale="vi"), timeout=1.5)
    assert answer is not None
    assert answer["data"]["content"] == "Nút này không còn hiệu lực."


async def test_a_valid_id_gets_only_its_buttons_answer(discord_bot: Bot) -> None:
    payload = press("news:cat:climate:1", **MANAGER)
    answer = await discord_bot.run(payload)
    assert answer["type"] == 7 and "Subscribed" in answer["data"]["content"]
    await asyncio.sleep(0.1)
    assert len([a for a in discord_bot.fake.responses if a["interaction"] == payload["id"]]) == 1


# --- item 5: forged or stale command data is the member's mistake ---------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"how": "monthly"},
        {"how": "weekly", "day": "funday"},
        {"how": "\ud800" * 3000},
        {"how": "x" * 5000},
    ],
)
async def test_a_forged_choice_is_answered_without_a_traceback(
    discord_bot: Bot, options: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    payload = slash("news", "frequency", options, **MANAGER)
    answer = await answer_or_none(discord_bot, payload, timeout=4)
    assert answer is not None
    assert answer["data"]["content"] == (
        "That option's value is not one of its choices. Choose from the list: /news frequency "
        "how:daily|weekdays|weekly day:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    )
    assert tracebacks(caplog) == []
    assert all(len(r.getMessage()) < 300 for r in caplog.records), "the whole value was logged"
    assert await discord_bot.store.find_subscriber("discord", "600") is None


async def test_a_forged_language_is_answered_in_vietnamese(
    discord_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    payload = slash("news", "language", {"language": "fr"}, locale="vi", **MANAGER)
    answer = await answer_or_none(discord_bot, payload, timeout=4)
    assert answer is not None
    assert answer["data"]["content"] == (
        "Giá trị của tùy chọn này không nằm trong các lựa chọn. "
        "Hãy chọn trong danh sách: /news language language:en|vi"
    )
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    "subcommand,options,answered",
    [
        ("nonexistent", {}, "This command changed; try again in a minute."),
        ("subscribe", {}, "This command changed; try again in a minute."),
        # Handled before: an extra option is ignored, a bare id is no role, "yes" is truthy.
        ("subscribe", {"category": "climate", "extra": "x"}, "Subscribed to Climate."),
        ("list", {"server": "yes"}, "Listing every channel of this server needs"),
        ("breaking-role", {"role": "not-a-role"}, "I could not read that role"),
    ],
)
async def test_a_stale_command_is_answered_without_a_traceback(
    discord_bot: Bot,
    subcommand: str,
    options: dict[str, str],
    answered: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    answer = await answer_or_none(discord_bot, slash("news", subcommand, options, **MANAGER), 3)
    assert answer is not None
    assert tracebacks(caplog) == []
    assert answer["data"]["content"].startswith(answered), answer


# --- items 6, 7, 8: the role commands record who changed what, and store only a change -----


def hold(obj: Any, name: str) -> tuple[asyncio.Event, asyncio.Event]:
    """Make ``obj.name`` wait (once) until released; returns (reached, release)."""
    original = getattr(obj, name)
    reached, release = asyncio.Event(), asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> Any:
        if not reached.is_set():
            reached.set()
            await release.wait()
        return await original(*args, **kwargs)

    setattr(obj, name, held)
    return reached, release


async def forget_now(bot: Bot) -> None:
    yes = buttons(await bot.run(slash("news", "forget", user_id=43, **MANAGER)))[0][0]
    done = await bot.run(press(yes, user_id=43, **MANAGER))
    assert done["data"]["content"].startswith("Done"), done


async def test_a_forget_racing_breaking_role_is_told_nothing_changed(
    discord_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **MANAGER))
    reached, release = hold(discord_bot.store, "update_subscriber")
    payload = slash("news", "breaking-role", {"role": role(77)}, **MANAGER)
    discord_bot.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await asyncio.wait_for(reached.wait(), 3)
    await forget_now(discord_bot)
    release.set()
    answer = await wait_answer(discord_bot, payload, 3)
    assert answer is not None
    assert answer["data"]["content"] == "This chat's settings were deleted; nothing was changed."
    assert await discord_bot.store.find_subscriber("discord", "600") is None
    assert tracebacks(caplog) == []


async def test_breaking_role_is_recorded_as_the_last_change(discord_bot: Bot) -> None:
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **MANAGER))
    text = await discord_bot.text(
        slash("news", "breaking-role", {"role": role(77)}, user_id=56, **MANAGER)
    )
    assert text == "Breaking news here will ping <@&77>."
    sub = await discord_bot.store.find_subscriber("discord", "600")
    assert sub is not None and sub.breaking_role == "77"
    assert (sub.last_change, sub.changed_by) == ("breaking role: <@&77>", "discord:56")
    rows = await discord_bot.store.audit_log()
    assert any(r.actor == "discord:56" and "breaking role" in (r.detail or "") for r in rows)


async def test_admin_role_change_is_audited(discord_bot: Bot) -> None:
    await discord_bot.text(
        slash("news", "admin-role", {"role": role(77)}, permissions=MANAGE_GUILD, user_id=55)
    )
    await discord_bot.text(slash("news", "admin-role", permissions=MANAGE_GUILD, user_id=57))
    rows = [r for r in await discord_bot.store.audit_log() if r.action == "admin-role"]
    assert sorted((r.actor, r.detail, r.outcome) for r in rows) == [
        ("discord:55", "role 77", "ok"),
        ("discord:57", "no role", "ok"),
    ]


async def test_breaking_role_cleared_in_a_new_channel_stores_nothing(discord_bot: Bot) -> None:
    text = await discord_bot.text(slash("news", "breaking-role", **MANAGER))
    assert text == "Breaking news here will ping nobody."
    assert await discord_bot.store.find_subscriber("discord", "600") is None
    # A role for a new channel is something to store.
    await discord_bot.text(slash("news", "breaking-role", {"role": role(77)}, **MANAGER))
    sub = await discord_bot.store.find_subscriber("discord", "600")
    assert sub is not None and sub.breaking_role == "77"


# --- item 9: /news list names the member who changed it as Discord shows them -------------


async def test_list_names_the_last_changer_as_a_mention(discord_bot: Bot) -> None:
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **MANAGER))
    await discord_bot.run(press("news:cat:markets:1", user_id=43, **MANAGER))
    answer = await discord_bot.run(slash("news", "list"))
    listed = answer["data"]["content"]
    assert "Last change: subscribed: markets by <@43> at" in listed, listed
    assert "discord:43" not in listed
    # The mention only shows the name: replies mention nobody.
    assert answer["data"]["allowed_mentions"] == {"parse": []}
    server = await discord_bot.text(
        slash("news", "list", {"server": True}, permissions=MANAGE_GUILD)
    )
    assert "by <@43>" in server


# --- item 11: unsubscribe all counts what the reader sees ----------------------------------


async def test_unsubscribe_all_leaves_a_retired_categorys_subscription(
    discord_bot: Bot, now: datetime
) -> None:
    store = discord_bot.store
    await discord_bot.text(slash("news", "subscribe", {"category": "markets,climate"}, **MANAGER))
    assert await store.retire_categories_except(["ai-frontier", "climate"], now=now) == {
        "markets": 1
    }
    text = await discord_bot.text(slash("news", "unsubscribe", {"category": "all"}, **MANAGER))
    assert text == "Unsubscribed from everything (1 categories)."


# --- beside item 5: forged autocomplete requests get no suggestions, not a traceback -------


@pytest.mark.parametrize(
    "subcommand,options,focused",
    [
        ("subscribe", {"nope": "a"}, "nope"),  # an option the command does not have
        ("time", {"at": "07"}, "at"),  # an option that offers no suggestions
        ("nonexistent", {"x": "a"}, "x"),  # a command that is not there
    ],
)
async def test_a_forged_autocomplete_gets_no_suggestions(
    discord_bot: Bot,
    subcommand: str,
    options: dict[str, str],
    focused: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = slash("news", subcommand, options, autocomplete=focused, **MANAGER)
    answer = await answer_or_none(discord_bot, payload)
    assert answer is not None
    assert answer["type"] == 8 and answer["data"]["choices"] == []
    assert tracebacks(caplog) == []


# --- beside: a refused member's commands and presses are audited, once a minute -----------


async def test_refusals_to_a_member_who_manages_nothing_are_audited(discord_bot: Bot) -> None:
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **MANAGER))
    yes = buttons(await discord_bot.run(slash("news", "forget", **MANAGER)))[0][0]
    text = await discord_bot.text(press(yes, user_id=77))
    assert "Manage Channels" in text
    for _ in range(3):
        await discord_bot.text(slash("news", "pause", user_id=77))
    assert await discord_bot.store.find_subscriber("discord", "600") is not None
    refused = [r for r in await discord_bot.store.audit_log() if r.outcome == "refused"]
    assert [(r.actor, r.action, r.detail, r.count) for r in refused] == [
        ("discord:77", "news:forget", "not a channel manager", 4)
    ]
