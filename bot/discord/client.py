"""The Discord bot: a discord.py client holding the ``/news`` commands and buttons, the
gateway events that matter to delivery (the bot removed from a server, a channel deleted,
a channel made an announcement channel or a text channel again), and telling whoever
set a channel up when the bot can no longer post there.

``AutoShardedClient`` throughout: with ``DISCORD_SHARD_COUNT`` it opens that many shards,
otherwise as many as Discord recommends (one, until the bot is in thousands of servers).
With ``DISCORD_SHARD_IDS`` as well it opens only those (one or several): processes split
the shards between them, and the gateway sends each server's commands and events to the
shard that owns the server, so to one process. What such a process does about servers as
a whole (the servers missing at ready) it does only for its own shards' servers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord import flood
from bot.discord.context import PLATFORM, DiscordContext
from bot.discord.failures import on_command_error
from bot.discord.group import DYNAMIC_ITEMS, build_group
from bot.discord.sender import MAX_RATELIMIT_WAIT_S, DiscordSender, refuse_wild_json
from bot.discord.spelling import SPELLING
from bot.discord.translator import CatalogTranslator
from bot.discord.tree import DigestTree
from digests.delivery_errors import DeliveryError
from digests.i18n import normalise_language, t
from digests.outgoing import Destination, OutgoingMessage
from digests.publishing import announcement_changes, is_announcement
from digests.store import NotFound

log = logging.getLogger(__name__)

REMOVED = "the bot was removed from the server"
DELETED = "the channel was deleted"


def point_at(api_base_url: str, gateway_url: str) -> None:
    """Where discord.py talks to: Discord, a proxy, or a test's fake. Both are class
    attributes (process-wide), hence one Discord client per process."""
    Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    refuse_wild_json()


class DigestClient(discord.AutoShardedClient):
    """The bot. ``digest`` is what commands and buttons reach through the interaction."""

    def __init__(
        self,
        ctx: DiscordContext,
        *,
        shard_count: int | None = None,
        shard_ids: tuple[int, ...] | None = None,
        guild_ids: frozenset[int] = frozenset(),
    ) -> None:
        # The bot never joins voice: discord.py's warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # server joins and leaves, channel deletions; nothing else
        super().__init__(
            intents=intents,
            shard_count=shard_count,
            # None: every shard. A list needs shard_count (the settings make sure of it).
            shard_ids=list(shard_ids) if shard_ids is not None else None,
            allowed_mentions=discord.AllowedMentions.none(),
            # Members and presences are never needed: interactions carry the member.
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            # A 429 asking for a long wait raises rather than sleeping in discord.py: the
            # delivery worker decides, and a publish refused for an hour (Discord's limit
            # in announcement channels) holds up nothing.
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT_S,
        )
        self.digest = ctx
        self.guild_ids = guild_ids
        self.background: set[asyncio.Task[Any]] = set()
        self.tree = DigestTree(self)
        self.tree.add_command(build_group())
        self.tree.error(on_command_error)
        self.synced: list[str] = []
        # Flood limits, in front of every command, button and autocomplete.
        self.flood = flood.install(self)

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` (following a push) until done or until the client closes."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)  # held, so the task is not collected mid-way
        task.add_done_callback(self.background.discard)

    async def close(self) -> None:
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await super().close()

    async def setup_hook(self) -> None:
        """Register buttons and sync the commands (to the development servers at once, or
        globally). A failed sync leaves the commands as they were; delivery goes on."""
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.tree.set_translator(CatalogTranslator())
        try:
            if self.guild_ids:
                for guild_id in sorted(self.guild_ids):
                    guild = discord.Object(id=guild_id)
                    self.tree.copy_global_to(guild=guild)
                    await self.tree.sync(guild=guild)
                    self.synced.append(str(guild_id))
            else:
                await self.tree.sync()
                self.synced.append("global")
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.error("could not sync the slash commands: %s", exc)

    # --- gateway events --------------------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer a press whose custom id no button kind matches (forged, or a button of an
        older version): discord.py runs only the kinds whose pattern matches, so nothing
        else answers it, and Discord would show "This interaction failed"."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = (interaction.data or {}).get("custom_id")
        if isinstance(custom_id, str) and known_button(custom_id):
            return
        language = normalise_language(
            str(interaction.locale.value), self.digest.settings.default_language
        )
        try:
            await interaction.response.send_message(
                t(language, "This button is no longer valid."), ephemeral=True
            )
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.info("could not answer an unknown button: %s", exc)

    async def on_ready(self) -> None:
        """Every shard is connected and has listed its servers: any server that still has
        active channels here but is not on the list removed the bot while it was down."""
        await self.reconcile_guilds({str(g.id) for g in self.guilds})

    async def reconcile_guilds(self, present: set[str]) -> int:
        """Stop the channels of the servers missing from ``present``: only those of this
        process's shards, since the other shards' servers are listed to other processes."""
        if not present:  # an empty list is more likely a glitch than removal from all
            return 0
        stopped = 0
        for guild_id in sorted(await self.digest.store.active_guilds(PLATFORM) - present):
            if self.owns_guild(guild_id):
                stopped += await self.deactivate_guild(guild_id)
        return stopped

    def owns_guild(self, guild_id: str) -> bool:
        """Whether the gateway sends this server's events to one of this client's shards:
        Discord puts a server on shard ``(id >> 22) % shard_count``."""
        if self.shard_ids is None or not self.shard_count:
            return True  # every shard is this process's
        if not (guild_id.isascii() and guild_id.isdigit() and len(guild_id) <= 20):
            return False  # not a server id: nobody's to stop
        return (int(guild_id) >> 22) % self.shard_count in self.shard_ids

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Kicked or banned from a server (or the server deleted): its channels stop,
        settings kept; /news resume brings one back if the bot is added again."""
        await self.deactivate_guild(str(guild.id))

    async def deactivate_guild(self, guild_id: str) -> int:
        ctx = self.digest
        stopped = 0
        for subscriber in await ctx.store.subscribers_of_guild(PLATFORM, guild_id):
            if await ctx.store.deactivate(subscriber.id, reason=REMOVED, now=ctx.clock.now()):
                stopped += 1
        if stopped:
            log.info("removed from server %s: %d channels deactivated", guild_id, stopped)
        return stopped

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A server listed at ready (or back from an outage), with its channels."""
        await self.check_announcements(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.check_announcements(guild)

    async def check_announcements(self, guild: discord.Guild) -> int:
        """Bring the stored kind of a server's subscribed channels (announcement or not)
        in line with its channel list; return how many changed."""
        store = self.digest.store
        present = {str(c.id): is_announcement(c.type.value) for c in guild.channels}
        stored = await store.announcements_of_guild(PLATFORM, str(guild.id))
        changes = announcement_changes(stored, present)
        for chat_id, announcement in sorted(changes.items()):
            await store.set_announcement(PLATFORM, chat_id, announcement)
            log.info(
                "channel %s: announcement channel %s", chat_id, "on" if announcement else "off"
            )
        return len(changes)

    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        """A channel made an announcement channel, or a text channel again: its digests
        are published from then on, or no longer."""
        if before.type == after.type:
            return
        announcement = is_announcement(after.type.value)
        if await self.digest.store.set_announcement(PLATFORM, str(after.id), announcement):
            log.info(
                "channel %s: announcement channel %s", after.id, "on" if announcement else "off"
            )

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.channel_gone(str(channel.id))

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.channel_gone(str(payload.thread_id))

    async def channel_gone(self, channel_id: str) -> None:
        ctx = self.digest
        subscriber = await ctx.store.find_subscriber(PLATFORM, channel_id)
        if subscriber is None:
            return
        if await ctx.store.deactivate(subscriber.id, reason=DELETED, now=ctx.clock.now()):
            await self.tell_setter(subscriber.id, DELETED)

    # --- telling people --------------------------------------------------------------

    async def tell_setter(self, subscriber_id: int, reason: str) -> bool:
        """Tell the member who set a channel up that its digests stopped: by DM, else in
        the server's system channel. Returns whether anyone was told."""
        try:
            subscriber = await self.digest.store.get_subscriber(subscriber_id)
        except NotFound:
            return False
        if subscriber.platform != PLATFORM or subscriber.guild_id is None:
            return False  # a DM that fails cannot be told anything
        text = t(
            subscriber.language,
            "I can no longer post the news digest in %(channel)s (%(reason)s). Its "
            "settings are kept: once I can post there again, run %(command)s in that channel.",
            channel=f"<#{subscriber.chat_id}>",
            reason=reason,
            command=SPELLING.command("resume"),
        )
        sender = DiscordSender(self.http)
        message = OutgoingMessage(text=text)
        if subscriber.set_up_by:
            try:
                dm = await self.http.start_private_message(int(subscriber.set_up_by))
                await sender.send(Destination(PLATFORM, str(dm["id"])), message)
                return True
            except (discord.HTTPException, discord.RateLimited, DeliveryError) as exc:
                log.info("could not DM the member who set up %s: %s", subscriber.chat_id, exc)
        try:
            guild = await self.http.get_guild(int(subscriber.guild_id))
            fallback = guild.get("system_channel_id")
            if fallback and str(fallback) != subscriber.chat_id:
                await sender.send(Destination(PLATFORM, str(fallback)), message)
                return True
        except (discord.HTTPException, discord.RateLimited, DeliveryError) as exc:
            log.info("could not tell server %s about %s: %s", subscriber.guild_id, reason, exc)
        return False


def known_button(custom_id: str) -> bool:
    """Whether a registered button kind (a DynamicItem's pattern) takes ``custom_id``,
    as discord.py matches it (the whole id)."""
    return any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in DYNAMIC_ITEMS)
