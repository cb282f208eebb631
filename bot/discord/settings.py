"""The Discord adapter's settings, declared like the core's (``digests.envfields``):
the bot token, the admins, development servers, sharding, and the API's addresses.

Loaded once at start-up with the rest (``bot.settings.load_bot_settings``); this module
imports no Discord library, so the CLI can read it without loading one.
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.envfields import Ids, Text, Whole, setting
from digests.envurls import Url

MAX_SHARDS = 1_000
# A snowflake: the application id DISCORD_APPLICATION_ID takes and an install link needs.
APPLICATION_ID = r"[1-9][0-9]{0,19}"


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
    # Discord wants a shard per 2,500 servers: 1,000 shards is 2.5 million servers.
    shard_count: int | None = setting(
        "DISCORD_SHARD_COUNT",
        Whole(minimum=1, maximum=MAX_SHARDS),
        None,
        "Number of gateway shards; empty: one, or as many as Discord says the bot needs",
        section="discord",
    )
    application_id: str | None = setting(
        "DISCORD_APPLICATION_ID",
        Text(APPLICATION_ID, must="must be the application's id (digits)"),
        None,
        "The bot's application id, for the install link of `digestbot links` without a "
        "connection (`digestbot run` learns it from Discord)",
        section="discord",
    )
    api_base_url: str = setting(
        "DISCORD_API_BASE_URL",
        Url(),
        "https://discord.com/api/v10",
        "Discord's REST API, an http(s) URL (a proxy, or a local fake in tests)",
        section="discord",
    )
    gateway_url: str = setting(
        "DISCORD_GATEWAY_URL",
        Url(schemes=("ws", "wss")),
        "wss://gateway.discord.gg/",
        "Discord's gateway, a ws(s) URL (a proxy, or a local fake in tests)",
        section="discord",
    )
