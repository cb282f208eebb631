"""Issue 19 item 8 (and the long-reply half of item 4) on Discord: the role commands check
the role before anything is written (@everyone, managed roles, roles not resolved, roles the
asker could not ping), ``/news list server:True`` is for the server's managers only and
comes in as many messages as it needs. Driven through discord.py against the fakes."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.bot.discord.conftest import Bot
from tests.fakes.discord_interactions import (
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    MENTION_EVERYONE,
    everyone,
    overwrite,
    role,
    slash,
    unresolved,
)

MANAGER = {"permissions": MANAGE_CHANNELS}


async def breaking_role_of(bot: Bot, channel: str = "600") -> str | None:
    subscriber = await bot.store.find_subscriber("discord", channel)
    return subscriber.breaking_role if subscriber is not None else None


async def test_a_role_nobody_may_mention_is_refused_to_a_manager_without_mention_everyone(
    discord_bot: Bot,
) -> None:
    quiet = role(88, "quiet", mentionable=False)
    refused = await discord_bot.text(slash("news", "breaking-role", {"role": quiet}, **MANAGER))
    assert "<@&88> cannot be mentioned by you here" in refused
    assert await breaking_role_of(discord_bot) is None
    # Mention Everyone granted in this channel only (an overwrite for the asker's role) is
    # enough: they could ping the role themselves.
    lent = await discord_bot.text(
        slash(
            "news",
            "breaking-role",
            {"role": quiet},
            roles=(31,),
            overwrites=[overwrite(31, allow=MANAGE_CHANNELS | MENTION_EVERYONE)],
        )
    )
    assert lent.startswith("Breaking news here will ping <@&88>.")
    assert await breaking_role_of(discord_bot) == "88"


async def test_a_channel_overwrite_that_denies_mention_everyone_counts(discord_bot: Bot) -> None:
    denied = await discord_bot.text(
        slash(
            "news",
            "breaking-role",
            {"role": role(88, mentionable=False)},
            permissions=MANAGE_CHANNELS | MENTION_EVERYONE,
            overwrites=[overwrite(500, deny=MENTION_EVERYONE)],  # @everyone's overwrite
        )
    )
    assert "cannot be mentioned by you here" in denied
    assert await breaking_role_of(discord_bot) is None


async def test_a_mentionable_role_is_accepted_from_any_manager(discord_bot: Bot) -> None:
    text = await discord_bot.text(slash("news", "breaking-role", {"role": role(89)}, **MANAGER))
    assert text == "Breaking news here will ping <@&89>."
    assert await breaking_role_of(discord_bot) == "89"


@pytest.mark.parametrize(
    ("chosen", "said"),
    [
        (everyone(), "@everyone cannot be the breaking-news role"),
        (role(90, "SomeBot", managed=True), "managed by an integration"),
        (unresolved(91), "could not read that role"),
    ],
    ids=["everyone", "managed", "unresolved"],
)
async def test_breaking_role_refuses_without_writing(
    discord_bot: Bot, chosen: dict[str, object], said: str
) -> None:
    await discord_bot.text(slash("news", "breaking-role", {"role": role(89)}, **MANAGER))
    text = await discord_bot.text(
        slash(
            "news",
            "breaking-role",
            {"role": chosen},
            permissions=MANAGE_CHANNELS | MENTION_EVERYONE,
        )
    )
    assert said in text
    assert await breaking_role_of(discord_bot) == "89"  # the earlier choice is kept


async def test_breaking_role_from_a_new_channel_with_a_bad_role_stores_nothing(
    discord_bot: Bot,
) -> None:
    text = await discord_bot.text(
        slash("news", "breaking-role", {"role": unresolved(91)}, channel_id=640, **MANAGER)
    )
    assert "could not read that role" in text
    assert await discord_bot.store.find_subscriber("discord", "640") is None


@pytest.mark.parametrize(
    ("chosen", "said"),
    [
        (everyone(), "@everyone cannot be the admin role"),
        (unresolved(91), "could not read that role"),
    ],
    ids=["everyone", "unresolved"],
)
async def test_admin_role_refuses_everyone_and_unresolved_roles(
    discord_bot: Bot, chosen: dict[str, object], said: str
) -> None:
    owner = {"permissions": MANAGE_GUILD}
    await discord_bot.text(slash("news", "admin-role", {"role": role(77)}, **owner))
    text = await discord_bot.text(slash("news", "admin-role", {"role": chosen}, **owner))
    assert said in text
    assert await discord_bot.store.admin_role("discord", "500") == "77"


async def test_listing_the_server_needs_manage_server_or_the_admin_role(
    discord_bot: Bot, now: datetime
) -> None:
    for channel in ("600", "666"):
        sub = await discord_bot.store.upsert_subscriber("discord", channel, now=now, guild_id="500")
        await discord_bot.store.subscribe(sub.id, ["climate"], now=now)
    # A manager of one channel sees no list of channels they may not be able to view.
    refused = await discord_bot.text(slash("news", "list", {"server": True}, **MANAGER))
    assert "Manage Server" in refused and "<#666>" not in refused
    listed = await discord_bot.text(
        slash("news", "list", {"server": True}, permissions=MANAGE_GUILD)
    )
    assert "<#600>" in listed and "<#666>" in listed
    await discord_bot.text(
        slash("news", "admin-role", {"role": role(77)}, permissions=MANAGE_GUILD)
    )
    by_role = await discord_bot.text(slash("news", "list", {"server": True}, roles=(77,)))
    assert "<#666>" in by_role


async def test_a_long_server_list_goes_on_in_follow_ups(discord_bot: Bot, now: datetime) -> None:
    store = discord_bot.store
    for number in range(64):
        sub = await store.upsert_subscriber(
            "discord", str(100_000_000_000_000_000 + number), now=now, guild_id="500"
        )
        await store.subscribe(sub.id, ["climate", "markets", "ai-frontier"], now=now)
    answer = await discord_bot.run(
        slash("news", "list", {"server": True}, permissions=MANAGE_GUILD)
    )
    first = answer["data"]["content"]
    # 64 lines of 80 to 150 characters (with the last change): the answer and follow-ups.
    followups = await discord_bot.fake.wait_for("followups", 1)
    while sum(len(f["content"].splitlines()) for f in followups) < 64 - len(first.splitlines()):
        followups = await discord_bot.fake.wait_for("followups", len(followups) + 1)
    pieces = [first, *(f["content"] for f in followups)]
    assert all(len(piece) <= 2000 for piece in pieces)
    assert all(f["flags"] & 64 for f in followups)  # private, like the answer
    listed = "\n".join(pieces)
    for number in range(64):
        assert f"<#{100_000_000_000_000_000 + number}>" in listed
    assert len(listed.splitlines()) == 64


async def test_the_server_list_shows_the_last_change_and_who_made_it(discord_bot: Bot) -> None:
    await discord_bot.text(
        slash("news", "subscribe", {"category": "climate"}, user_id=42, **MANAGER)
    )
    await discord_bot.text(slash("news", "pause", user_id=43, **MANAGER))
    listed = await discord_bot.text(
        slash("news", "list", {"server": True}, permissions=MANAGE_GUILD)
    )
    assert "last change: paused, by <@43> <t:" in listed
    # The channel's own list (the core's describe) names them the same way.
    own = await discord_bot.text(slash("news", "list"))
    assert "by <@43> at" in own


async def test_a_thread_is_a_channel_of_its_own_with_its_parents_overwrites(
    discord_bot: Bot,
) -> None:
    # The bot may view and send in the parent, but not in its threads; the member manages
    # channels through an overwrite of the parent that the thread inherits.
    in_thread = {
        "channel_id": 610,
        "thread_of": 600,
        "roles": (31,),
        "overwrites": [overwrite(31, allow=MANAGE_CHANNELS)],
        "app_permissions": 1 << 10 | 1 << 11 | 1 << 14,  # no Send Messages in Threads
    }
    text = await discord_bot.text(slash("news", "subscribe", {"category": "climate"}, **in_thread))
    assert text.startswith("Subscribed to Climate.")
    assert "Send Messages in Threads" in text
    thread = await discord_bot.store.find_subscriber("discord", "610")
    assert thread is not None and thread.categories == ("climate",)
    assert await discord_bot.store.find_subscriber("discord", "600") is None
