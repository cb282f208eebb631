"""The /news commands end to end through discord.py: a real client and command tree, real
interaction payloads, answers recorded by the fake Discord REST API, a real store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from digests.models import Category
from tests.bot.discord.conftest import Bot
from tests.builders import add_article
from tests.fakes.discord_interactions import (
    ADMINISTRATOR,
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    role,
    slash,
)


async def test_commands_sync_globally_with_vietnamese_descriptions(discord_bot: Bot) -> None:
    (news,) = discord_bot.fake.synced["global"]
    assert news["name"] == "news"
    names = {o["name"] for o in news["options"]}
    assert {"subscribe", "unsubscribe", "list", "categories", "time", "timezone"} <= names
    assert {"frequency", "digest", "filter", "pause", "resume", "forget"} <= names
    assert {"admin-role", "breaking-role", "breaking", "stats", "language", "help"} <= names
    assert news["contexts"] == [0, 1]  # servers and DMs
    for option in news["options"]:
        assert option["description"], option["name"]
        assert option["description_localizations"]["vi"] != option["description"], option["name"]
        # Discord refuses the whole sync if any description or choice passes 100 characters.
        texts = [option["description"], *option["description_localizations"].values()]
        for parameter in option.get("options", []):
            texts += [
                parameter["description"],
                *parameter.get("description_localizations", {}).values(),
            ]
            for choice in parameter.get("choices", []):
                texts += [choice["name"], *choice.get("name_localizations", {}).values()]
        assert all(0 < len(t) <= 100 for t in texts), option["name"]


async def test_a_manager_subscribes_a_channel(discord_bot: Bot) -> None:
    text = await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, permissions=MANAGE_CHANNELS)
    )
    assert text == "Subscribed to Climate."
    subscriber = await discord_bot.store.find_subscriber("discord", "600")
    assert subscriber is not None
    assert subscriber.categories == ("climate",)
    assert subscriber.guild_id == "500" and subscriber.set_up_by == "42"


# --- who may change a channel: the permission matrix -----------------------------------

CHANGES = [
    ("subscribe", {"category": "climate"}),
    ("unsubscribe", {"category": "all"}),
    ("time", {"time": "07:30"}),
    ("timezone", {"zone": "Asia/Ho_Chi_Minh"}),
    ("frequency", {"how": "weekdays"}),
    ("filter", {"category": "climate", "keywords": "heat"}),
    ("pause", {}),
    ("resume", {}),
    ("language", {"language": "vi"}),
    ("forget", {}),
]


@pytest.mark.parametrize(("command", "options"), CHANGES)
async def test_a_plain_member_cannot_change_the_channel(
    discord_bot: Bot, command: str, options: dict[str, str]
) -> None:
    text = await discord_bot.text(slash("news", command, options, permissions=0))
    assert "Manage Channels" in text
    assert await discord_bot.store.find_subscriber("discord", "600") is None


@pytest.mark.parametrize(("command", "options"), CHANGES)
@pytest.mark.parametrize(
    "who",
    [
        {"permissions": MANAGE_CHANNELS},
        {"permissions": ADMINISTRATOR},
        {"guild_id": None, "channel_id": 9001},  # a DM is the member's own
    ],
    ids=["manage-channels", "administrator", "dm"],
)
async def test_managers_and_dm_readers_may_change(
    discord_bot: Bot, command: str, options: dict[str, str], who: dict[str, Any]
) -> None:
    await discord_bot.store.upsert_category(Category("climate", "Climate"))
    if command in ("filter", "unsubscribe"):
        await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **who))
    text = await discord_bot.text(slash("news", command, options, **who))
    assert "Manage Channels" not in text
    assert text


async def test_the_admin_role_lets_its_members_change_channels(discord_bot: Bot) -> None:
    refused = await discord_bot.text(
        slash("news", "admin-role", {"role": role(77, "news team")}, permissions=MANAGE_CHANNELS)
    )
    assert "Manage Server" in refused
    assert await discord_bot.store.admin_role("discord", "500") is None
    set_text = await discord_bot.text(
        slash("news", "admin-role", {"role": role(77, "news team")}, permissions=MANAGE_GUILD)
    )
    assert "<@&77>" in set_text
    text = await discord_bot.text(
        slash("news", "subscribe", {"category": "markets"}, roles=(77,), permissions=0)
    )
    assert text == "Subscribed to Markets."
    # Without the role, the refusal names both ways in.
    refusal = await discord_bot.text(slash("news", "pause", roles=(78,)))
    assert "Manage Channels" in refusal and "<@&77>" in refusal
    # Cleared: the role no longer counts.
    await discord_bot.text(slash("news", "admin-role", {}, permissions=MANAGE_GUILD))
    again = await discord_bot.text(slash("news", "pause", roles=(77,)))
    assert "Manage Channels" in again


async def test_anyone_may_list_and_preview(discord_bot: Bot, now: datetime) -> None:
    await add_article(
        discord_bot.store, url="https://a.example/heat", title="Heat pumps win", now=now
    )
    await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, permissions=MANAGE_CHANNELS)
    )
    listed = await discord_bot.text(slash("news", "list", permissions=0))
    assert "Climate" in listed and "08:00 (UTC)" in listed
    answer = await discord_bot.run(slash("news", "digest", permissions=0))
    assert answer["type"] == 5 and answer["data"]["flags"] & 64  # deferred, private
    (preview,) = await discord_bot.fake.wait_for("followups", 1)
    assert preview["flags"] & 64
    assert "Heat pumps win" in json.dumps(preview["embeds"])
    assert preview["allowed_mentions"] == {"parse": []}
    subscriber = await discord_bot.store.find_subscriber("discord", "600")
    assert subscriber is not None and subscriber.cursor_article_id is None  # a preview only
    assert discord_bot.fake.messages == []  # nothing posted in the channel


async def test_a_channel_without_subscriptions_is_told_how_to_start(discord_bot: Bot) -> None:
    assert "/news categories" in await discord_bot.text(slash("news", "list"))
    assert "/news categories" in await discord_bot.text(slash("news", "digest"))


# --- isolation between servers ----------------------------------------------------------


async def test_one_servers_managers_see_and_change_only_their_servers_channels(
    discord_bot: Bot,
) -> None:
    a = {"guild_id": 500, "permissions": MANAGE_CHANNELS}
    b = {"guild_id": 501, "permissions": MANAGE_CHANNELS}
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, channel_id=600, **a))
    await discord_bot.text(slash("news", "subscribe", {"category": "markets"}, channel_id=601, **a))
    await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, channel_id=700, **b))
    # Listing the whole server needs Manage Server (issue 19: Manage Channels in one
    # channel showed channels the manager could not see).
    a_server = {"guild_id": 500, "permissions": MANAGE_GUILD}
    b_server = {"guild_id": 501, "permissions": MANAGE_GUILD}
    listed_a = await discord_bot.text(
        slash("news", "list", {"server": True}, channel_id=600, **a_server)
    )
    assert "<#600>" in listed_a and "<#601>" in listed_a and "<#700>" not in listed_a
    listed_b = await discord_bot.text(
        slash("news", "list", {"server": True}, channel_id=700, **b_server)
    )
    assert "<#700>" in listed_b and "<#600>" not in listed_b
    # A plain member may not list the whole server.
    refused = await discord_bot.text(
        slash("news", "list", {"server": True}, channel_id=600, permissions=0)
    )
    assert "Manage Server" in refused
    # Server A's admin role means nothing in server B.
    await discord_bot.text(
        slash("news", "admin-role", {"role": role(77)}, guild_id=500, permissions=MANAGE_GUILD)
    )
    refusal = await discord_bot.text(
        slash("news", "pause", guild_id=501, channel_id=700, roles=(77,))
    )
    assert "Manage Channels" in refusal
    channel_b = await discord_bot.store.find_subscriber("discord", "700")
    assert channel_b is not None and not channel_b.paused


# --- autocomplete ---------------------------------------------------------------------


async def choices(bot: Bot, command: str, option: str, typed: str, **kw: Any) -> list[str]:
    answer = await bot.run(slash("news", command, {option: typed}, autocomplete=option, **kw))
    assert answer["type"] == 8
    return [c["value"] for c in answer["data"]["choices"]]


async def test_autocomplete_offers_categories_zones_and_own_subscriptions(
    discord_bot: Bot,
) -> None:
    assert await choices(discord_bot, "subscribe", "category", "") == [
        "ai-frontier",
        "climate",
        "markets",
    ]
    assert await choices(discord_bot, "subscribe", "category", "mark") == ["markets"]
    assert await choices(discord_bot, "subscribe", "category", "frontier") == ["ai-frontier"]
    zones = await choices(discord_bot, "timezone", "zone", "ho_chi")
    assert zones == ["Asia/Ho_Chi_Minh"]
    assert len(await choices(discord_bot, "timezone", "zone", "a")) == 25
    assert await choices(discord_bot, "unsubscribe", "category", "") == ["all"]
    await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, permissions=MANAGE_CHANNELS)
    )
    assert await choices(discord_bot, "unsubscribe", "category", "") == ["all", "climate"]
    assert await choices(discord_bot, "filter", "category", "") == ["climate"]


# --- replies: Discord's words, the reader's language ------------------------------------


async def test_bad_arguments_change_nothing_and_name_discord_commands(discord_bot: Bot) -> None:
    manager = {"permissions": MANAGE_CHANNELS}
    bad_time = await discord_bot.text(slash("news", "time", {"time": "25:99"}, **manager))
    assert "/news time time:07:30" in bad_time
    unknown = await discord_bot.text(slash("news", "subscribe", {"category": "sport"}, **manager))
    assert "Unknown category: sport" in unknown
    zone = await discord_bot.text(slash("news", "timezone", {"zone": "Asia/Hanoy"}, **manager))
    assert "Did you mean" in zone
    weekly = await discord_bot.text(slash("news", "frequency", {"how": "weekly"}, **manager))
    assert "/news frequency how:weekly day:monday" in weekly
    # Invalid input from a channel never seen before stores nothing about it.
    assert await discord_bot.store.find_subscriber("discord", "600") is None


async def test_the_interaction_locale_picks_the_language_until_overridden(
    discord_bot: Bot,
) -> None:
    dm = {"guild_id": None, "channel_id": 9002, "locale": "vi"}
    text = await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **dm))
    assert text == "Đã đăng ký Climate."
    subscriber = await discord_bot.store.find_subscriber("discord", "9002")
    assert subscriber is not None and subscriber.language == "vi"
    back = await discord_bot.text(slash("news", "language", {"language": "en"}, **dm))
    assert back == "I will speak English with you."
    assert (await discord_bot.text(slash("news", "pause", **dm))).startswith("Paused")


async def test_a_weekly_digest_with_its_day(discord_bot: Bot) -> None:
    text = await discord_bot.text(
        slash(
            "news",
            "frequency",
            {"how": "weekly", "day": "friday"},
            permissions=MANAGE_CHANNELS,
        )
    )
    assert text == "You will get a digest every Friday."
    subscriber = await discord_bot.store.find_subscriber("discord", "600")
    assert subscriber is not None and subscriber.weekly_day == 4


async def test_help_lists_the_news_commands(discord_bot: Bot) -> None:
    text = await discord_bot.text(slash("news", "help"))
    assert "/news subscribe" in text and "/news digest" in text


async def test_a_failing_store_gets_a_clear_answer_and_the_bot_keeps_going(
    discord_bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    async def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(discord_bot.store, "subscribe_chat", full)  # the command's one write
    text = await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, permissions=MANAGE_CHANNELS)
    )
    assert text == "Something went wrong; please try again."
    monkeypatch.undo()
    again = await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, permissions=MANAGE_CHANNELS)
    )
    assert again == "Subscribed to Climate."


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("admin-role", {"role": role(77)}),
        ("breaking-role", {"role": role(77)}),
        ("list", {"server": True}),
    ],
)
async def test_server_commands_in_a_dm_say_where_they_work(
    discord_bot: Bot, command: str, options: dict[str, Any]
) -> None:
    text = await discord_bot.text(slash("news", command, options, guild_id=None, channel_id=9004))
    assert text == "This works in a server channel."


async def test_the_server_list_shows_each_channels_state(discord_bot: Bot, now: datetime) -> None:
    manager = {"permissions": MANAGE_CHANNELS}
    owner = {"permissions": MANAGE_GUILD}
    assert await discord_bot.text(slash("news", "list", {"server": True}, **owner)) == (
        "No channel of this server subscribes."
    )
    for channel in (600, 601, 602):
        await discord_bot.text(
            slash("news", "subscribe", {"category": "climate"}, channel_id=channel, **manager)
        )
    await discord_bot.text(slash("news", "pause", channel_id=601, **manager))
    gone = await discord_bot.store.find_subscriber("discord", "602")
    assert gone is not None
    await discord_bot.store.deactivate(gone.id, reason="missing access", now=now)
    listed = await discord_bot.text(slash("news", "list", {"server": True}, **owner))
    lines = listed.splitlines()
    assert lines[0].startswith("• <#600>: climate; 08:00 UTC (every day) — last change")
    assert "— paused" in lines[1] and "— inactive" in lines[2]


async def test_too_many_categories_for_buttons_are_listed_as_text(discord_bot: Bot) -> None:
    for i in range(30):
        await discord_bot.store.upsert_category(Category(f"topic-{i}", f"Topic {i}", "", 10 + i))
    answer = await discord_bot.run(slash("news", "categories"))
    assert "components" not in answer["data"] or not answer["data"]["components"]
    assert "topic-29" in answer["data"]["content"]
    assert "/news subscribe" in answer["data"]["content"]


async def test_forget_buttons_check_who_presses(discord_bot: Bot) -> None:
    from tests.fakes.discord_interactions import press

    refused = await discord_bot.text(press("news:forget:yes", permissions=0))
    assert "Manage Channels" in refused
    asked = await discord_bot.run(slash("news", "forget", permissions=MANAGE_CHANNELS))
    yes = asked["data"]["components"][0]["components"][0]["custom_id"]
    nothing = await discord_bot.run(press(yes, permissions=MANAGE_CHANNELS))
    assert nothing["data"]["content"] == "There was nothing stored about this chat."


async def test_subscribing_a_channel_the_bot_cannot_post_in_warns(discord_bot: Bot) -> None:
    from tests.fakes.discord_interactions import press

    manager = {"permissions": MANAGE_CHANNELS, "app_permissions": 1 << 10}  # view only
    text = await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **manager))
    assert text.startswith("Subscribed to Climate.")
    assert "Send Messages, Embed Links" in text
    pressed = await discord_bot.run(press("news:cat:markets", **manager))
    assert "Send Messages, Embed Links" in pressed["data"]["content"]
    fine = await discord_bot.text(
        slash("news", "subscribe", {"category": "markets"}, permissions=MANAGE_CHANNELS)
    )
    assert fine == "Subscribed to Markets."
