"""The Discord adapter's settings, declared like the core's (``digests.envfields``):
the bot token, the admins, development servers, sharding, and the API's addresses.

Loaded once at start-up with the rest (``bot.settings.load_bot_settings``); this module
imports no Discord library, so the CLI can read it without loading one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digests.envfields import Ids, SettingsError, Text, Whole, setting, show
from digests.envurls import Url

MAX_SHARDS = 1_000
# A snowflake: the application id DISCORD_APPLICATION_ID takes and an install link needs.
APPLICATION_ID = r"[1-9][0-9]{0,19}"


@dataclass(frozen=True)
class ShardIds:
    """Comma-separated gateway shard ids (``0,1``): whole numbers below MAX_SHARDS, each
    once, kept in the order given."""

    def parse(self, name: str, text: str) -> tuple[int, ...]:
        ids: list[int] = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                raise SettingsError(f"{name} has an empty item between commas, got {show(text)}")
            # At most 4 digits before int(): a 5,000-digit number is refused, not parsed.
            if not re.fullmatch(r"[0-9]{1,4}", part):
                raise SettingsError(
                    f"{name} must be comma-separated shard ids (whole numbers from 0), "
                    f"got {show(part)}"
                )
            shard = int(part)
            if shard >= MAX_SHARDS:
                raise SettingsError(f"{name}: shard {shard} is past the {MAX_SHARDS} allowed")
            if shard in ids:
                raise SettingsError(f"{name} names shard {shard} twice")
            ids.append(shard)
        return tuple(ids)

    def show(self, value: tuple[int, ...] | None) -> str:
        return ",".join(str(one) for one in value) if value else ""


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
    # Several processes split the shards: each logs in with its own, and the gateway sends
    # a server's commands and events to the shard (so the process) that owns the server.
    shard_ids: tuple[int, ...] | None = setting(
        "DISCORD_SHARD_IDS",
        ShardIds(),
        None,
        "The gateway shards this process opens (comma-separated ids from 0, e.g. 0,1), "
        "when several processes share the bot; needs DISCORD_SHARD_COUNT, the total. "
        "Empty: all of them",
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

    def __post_init__(self) -> None:
        if self.shard_ids is None:
            return
        if self.shard_count is None:
            raise SettingsError(
                "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT, the total number of shards "
                "across the processes"
            )
        past = [shard for shard in self.shard_ids if shard >= self.shard_count]
        if past:
            raise SettingsError(
                f"DISCORD_SHARD_IDS: shard {past[0]} does not exist with "
                f"DISCORD_SHARD_COUNT={self.shard_count} (ids are 0-{self.shard_count - 1})"
            )
