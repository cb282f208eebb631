"""The Discord adapter's settings, declared like the core's (``digests.envfields``):
the bot token, the admins, development servers, sharding, and the API's addresses.

Loaded once at start-up with the rest (``bot.settings.load_bot_settings``); this module
imports no Discord library, so the CLI can read it without loading one.
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.envfields import Ids, Text, Whole, setting


@dataclass(frozen=True)
class DiscordSettings:
    """How the Discord adapter connects; unset token: the adapter does not start."""

    bot_token: str | None = setting(
        "DISCORD_BOT_TOKEN",
        Text(secret=True),
        None,
        "The bot's token from the Discord developer portal",
        section="discord",
    )
    admin_ids: frozenset[int] = setting(
        "DISCORD_ADMIN_IDS",
        Ids(),
        frozenset(),
        "Discord user ids (comma-separated) allowed to use /news breaking and /news stats",
        section="discord",
    )
    # Servers that get the slash commands at once (development); empty → global sync.
    guild_ids: frozenset[int] = setting(
        "DISCORD_GUILD_IDS",
        Ids(),
        frozenset(),
        "Server ids that get the slash commands at once (for development); empty: global "
        "commands, which Discord may take a while to show everywhere",
        section="discord",
    )
    # None → one connection, unless Discord says the bot needs shards (AutoSharded).
    shard_count: int | None = setting(
        "DISCORD_SHARD_COUNT",
        Whole(maximum=100_000, zero_is_none=True),
        None,
        "Number of gateway shards; empty: one, or as many as Discord says the bot needs",
        section="discord",
    )
    api_base_url: str = setting(
        "DISCORD_API_BASE_URL",
        Text(),
        "https://discord.com/api/v10",
        "Discord's REST API (a proxy, or a local fake in tests)",
        section="discord",
    )
    gateway_url: str = setting(
        "DISCORD_GATEWAY_URL",
        Text(r"(?s)wss?://.*", must="must be a wss:// URL"),
        "wss://gateway.discord.gg/",
        "Discord's gateway (a proxy, or a local fake in tests)",
        section="discord",
    )
