"""What happens to Discord channels over time: the bot loses its permissions, a channel is
deleted, the bot is removed from a server, /news resume, and breaking news that pings the
role a channel chose (and nobody else)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.discord.client import DELETED, REMOVED
from bot.discord.sender import DiscordSender
from digests import breaking
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.pacing import Pacer, discord_policy
from digests.render import RenderCache, Renderer
from digests.settings import DeliveryLimits, Settings
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import Bot
from tests.builders import add_article, due_reader
from tests.fakes.discord_interactions import MANAGE_CHANNELS, MENTION_EVERYONE, role, slash


def worker_for(bot: Bot, now: datetime) -> DeliveryWorker:
    return DeliveryWorker(
        bot.store,
        {"discord": DiscordSender(bot.client.http)},
        Pacer({"discord": discord_policy()}),
        FakeClock(now),
        DeliveryLimits(forbidden_limit=1),
        on_deactivated=bot.client.tell_setter,
    )


async def set_up_channel(bot: Bot, channel: int, *, user: int = 42, guild: int = 500) -> None:
    await bot.text(
        slash(
            "news",
            "subscribe",
            {"category": "climate"},
            channel_id=channel,
            guild_id=guild,
            user_id=user,
            permissions=MANAGE_CHANNELS,
        )
    )


async def test_lost_permissions_stop_the_channel_and_its_setter_is_told_once(
    discord_bot: Bot, now: datetime
) -> None:
    fake, store = discord_bot.fake, discord_bot.store
    await set_up_channel(discord_bot, 600)
    subscriber = await store.find_subscriber("discord", "600")
    assert subscriber is not None
    await add_article(store, url="https://a.example/1", title="Heat pumps win", now=now)
    await store.update_subscriber(subscriber.id, now=now, next_digest_at=now)
    await dispatch_due(store, RenderCache(Renderer()), Settings(), now=now)
    # A breaking push waits too: two entries fail in the same round, one notice is sent.
    article = await store.find_article_by_url("https://a.example/1")
    assert article is not None
    fake.forbidden["600"] = 50013
    worker = worker_for(discord_bot, now)
    await worker.run_once()
    stopped = await store.find_subscriber("discord", "600")
    assert stopped is not None and not stopped.active
    assert "missing permissions" in (stopped.inactive_reason or "")
    assert stopped.categories == ("climate",)  # settings kept
    (notice,) = [m for m in fake.messages if m["channel"] in fake.dms]
    assert fake.dms[notice["channel"]] == "42"
    assert "<#600>" in notice["content"] and "/news resume" in notice["content"]
    assert notice["allowed_mentions"] == {"parse": []}
    # A push to the now inactive channel is not even queued; nothing more is said.
    await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="t", now=now
    )
    await worker.run_once()
    assert len([m for m in fake.messages if m["channel"] in fake.dms]) == 1


async def test_a_setter_with_closed_dms_is_told_in_the_servers_system_channel(
    discord_bot: Bot, now: datetime
) -> None:
    fake = discord_bot.fake
    fake.guilds["500"] = {"system_channel": "599"}
    fake.dm_closed.add("42")
    await set_up_channel(discord_bot, 600)
    told = await discord_bot.client.tell_setter(
        (await discord_bot.store.find_subscriber("discord", "600")).id,  # type: ignore[union-attr]
        "missing permissions (50013)",
    )
    assert told
    (notice,) = [m for m in fake.messages if m["channel"] == "599"]
    assert "<#600>" in notice["content"]


async def test_resume_needs_the_bot_to_be_able_to_post_again(
    discord_bot: Bot, now: datetime
) -> None:
    store = discord_bot.store
    await set_up_channel(discord_bot, 600)
    subscriber = await store.find_subscriber("discord", "600")
    assert subscriber is not None
    await store.deactivate(subscriber.id, reason="missing permissions (50013)", now=now)
    cannot = await discord_bot.text(
        slash("news", "resume", permissions=MANAGE_CHANNELS, app_permissions=1 << 10)
    )
    assert "Send Messages" in cannot and "Embed Links" in cannot
    still = await store.find_subscriber("discord", "600")
    assert still is not None and not still.active
    resumed = await discord_bot.text(slash("news", "resume", permissions=MANAGE_CHANNELS))
    assert resumed.startswith("Resumed")
    back = await store.find_subscriber("discord", "600")
    assert back is not None and back.active and back.inactive_reason is None


async def test_a_deleted_channel_stops_and_its_setter_is_told(
    discord_bot: Bot, now: datetime
) -> None:
    await set_up_channel(discord_bot, 600)
    await discord_bot.client.channel_gone("600")
    await discord_bot.client.channel_gone("600")  # a second event says nothing more
    gone = await discord_bot.store.find_subscriber("discord", "600")
    assert gone is not None and not gone.active and gone.inactive_reason == DELETED
    dms = [m for m in discord_bot.fake.messages if m["channel"] in discord_bot.fake.dms]
    assert len(dms) == 1
    await discord_bot.client.channel_gone("12345")  # not a subscriber: nothing happens


async def test_removal_from_a_server_stops_only_that_servers_channels(
    discord_bot: Bot, now: datetime
) -> None:
    await set_up_channel(discord_bot, 600, guild=500)
    await set_up_channel(discord_bot, 601, guild=500)
    await set_up_channel(discord_bot, 700, guild=501)
    assert await discord_bot.client.deactivate_guild("500") == 2
    store = discord_bot.store
    for channel, active in (("600", False), ("601", False), ("700", True)):
        subscriber = await store.find_subscriber("discord", channel)
        assert subscriber is not None and subscriber.active is active, channel
    stopped = await store.find_subscriber("discord", "600")
    assert stopped is not None and stopped.inactive_reason == REMOVED


async def test_breaking_news_pings_only_the_channels_role(discord_bot: Bot, now: datetime) -> None:
    store, fake = discord_bot.store, discord_bot.fake
    await set_up_channel(discord_bot, 600)
    await set_up_channel(discord_bot, 601)
    refused = await discord_bot.text(
        slash("news", "breaking-role", {"role": role(88)}, channel_id=600, permissions=0)
    )
    assert "Manage Channels" in refused
    text = await discord_bot.text(
        slash(
            "news",
            "breaking-role",
            {"role": role(88, mentionable=False)},
            channel_id=600,
            # A role that is not mentionable needs an asker who could ping it themselves.
            permissions=MANAGE_CHANNELS | MENTION_EVERYONE,
        )
    )
    assert "<@&88>" in text and "cannot be mentioned" in text
    await add_article(store, url="https://a.example/quake", title="Earthquake", now=now)
    article = await store.find_article_by_url("https://a.example/quake")
    assert article is not None
    await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="t", now=now
    )
    # A digest to the same channel later pings nobody.
    await add_article(
        store, url="https://a.example/calm", title="Calm day", now=now, age=timedelta(0)
    )
    await due_reader(store, "discord", "602", ["climate"], now=now, late=timedelta(0))
    await dispatch_due(store, RenderCache(Renderer()), Settings(), now=now)
    await worker_for(discord_bot, now).run_once()
    by_channel = {m["channel"]: m for m in fake.messages}
    pinged = by_channel["600"]
    assert pinged["content"].startswith("<@&88>")
    assert pinged["allowed_mentions"] == {"parse": [], "roles": [88]}
    assert by_channel["601"]["allowed_mentions"] == {"parse": []}
    assert "<@&" not in (by_channel["601"].get("content") or "")
    assert by_channel["602"]["allowed_mentions"] == {"parse": []}
    cleared = await discord_bot.text(
        slash("news", "breaking-role", {}, channel_id=600, permissions=MANAGE_CHANNELS)
    )
    assert cleared == "Breaking news here will ping nobody."
    channel = await store.find_subscriber("discord", "600")
    assert channel is not None and channel.breaking_role is None


async def test_servers_that_removed_the_bot_while_it_was_down_are_stopped_at_ready(
    discord_bot: Bot,
) -> None:
    await set_up_channel(discord_bot, 600, guild=500)
    await set_up_channel(discord_bot, 700, guild=501)
    assert await discord_bot.client.reconcile_guilds(set()) == 0  # no list: nothing done
    assert await discord_bot.client.reconcile_guilds({"500"}) == 1
    kept = await discord_bot.store.find_subscriber("discord", "600")
    stopped = await discord_bot.store.find_subscriber("discord", "700")
    assert kept is not None and kept.active
    assert stopped is not None and not stopped.active and stopped.inactive_reason == REMOVED
