"""Discord's side of ``digestbot run``: log in (delivery to Discord starts then), connect
the gateway for slash commands in the background, and close again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from bot.discord.client import DigestClient, point_at
from bot.discord.context import DiscordContext
from bot.discord.sender import PUBLISH_TIMEOUT_S, DiscordSender
from bot.wiring import App
from digests.stats import processes_of

log = logging.getLogger("digestbot.run")


@dataclass
class DiscordRunning:
    """A logged-in client, its sender, and the task that keeps its gateway connected."""

    client: DigestClient
    sender: DiscordSender
    gateway: asyncio.Task[None]

    async def stop(self) -> None:
        """Close the client (and with it the sender's HTTP session) and end the gateway.
        The publishes under way (they run beside the sends) get their time first."""
        with contextlib.suppress(Exception):
            await self.sender.stop_publishing(PUBLISH_TIMEOUT_S)
        with contextlib.suppress(Exception):
            await self.client.close()
        self.gateway.cancel()
        await asyncio.gather(self.gateway, return_exceptions=True)


async def start_discord(
    app: App, out: TextIO, *, on_push: Callable[[], None]
) -> DiscordRunning | None:
    """Log in to Discord and start the gateway (it reconnects by itself after outages);
    None when Discord could not be reached or refused the token (said on ``out``)."""
    discord = app.platforms.discord
    point_at(discord.api_base_url, discord.gateway_url)
    ctx = DiscordContext(
        app.store,
        app.renderer,
        app.settings,
        app.clock,
        admin_ids=discord.admin_ids,
        on_push=on_push,
    )
    client = DigestClient(
        ctx,
        shard_count=discord.shard_count,
        shard_ids=discord.shard_ids,
        guild_ids=discord.guild_ids,
    )
    try:
        await client.login(discord.bot_token)
    except Exception as exc:  # Discord down or the token refused: the rest runs on
        log.error("Discord is off: %s", exc)
        out.write(f"discord off: {exc}\n")
        with contextlib.suppress(Exception):
            await client.close()
        return None
    if client.application_id is not None:
        app.identity.discord_application_id = str(client.application_id)
    gateway = asyncio.create_task(_gateway(client, out))
    synced = ", ".join(client.synced) or "not synced"
    shards = ""
    if discord.shard_ids is not None:
        shards = f"; shards {','.join(map(str, discord.shard_ids))} of {discord.shard_count}"
    out.write(f"discord on as {client.user} (commands: {synced}{shards})\n")
    if discord.shard_ids is None and await _others_running(app):
        out.write(
            "warning: other digestbot processes share this database and DISCORD_SHARD_IDS is "
            "unset: every process receives every Discord command; give each its own shards\n"
        )
    out.flush()
    # The store counts publishes in announcement channels (Discord's hourly limit).
    sender = DiscordSender(client.http, app.store, app.clock)
    return DiscordRunning(client, sender, gateway)


async def _others_running(app: App) -> bool:
    """Whether another process beat recently (within LEADER_LEASE_SECONDS)."""
    cluster = app.settings.cluster
    try:
        views = await processes_of(app.store, now=app.clock.now(), stale_after=cluster.leader_lease)
    except Exception:  # a warning only: the database's trouble shows elsewhere
        return False
    return any(view.name != cluster.name and not view.stale for view in views)


async def _gateway(client: DigestClient, out: TextIO) -> None:
    try:
        await client.connect(reconnect=True)
    except Exception as exc:  # e.g. a privileged intent refused: delivery still runs
        log.error("Discord commands are off: %s", exc)
        out.write(f"discord commands off: {exc}\n")
        out.flush()
