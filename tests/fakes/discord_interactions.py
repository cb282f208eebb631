"""Builders for Discord interaction payloads, to drive discord.py's CommandTree without a
gateway: ``discord.Interaction(data=payload, state=client._connection)``, then
``await tree._call(interaction)``; the answer arrives at the fake REST API's
``/interactions/{id}/{token}/callback``."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakes.discord_api import message_payload, snowflake

ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
MENTION_EVERYONE = 1 << 17
# What the bot may do in a channel by default in these payloads: view, send, embed links.
BOT_CAN_POST = 1 << 10 | 1 << 11 | 1 << 14
_ids = itertools.count(10_000)


def role(
    role_id: int, name: str = "news", *, mentionable: bool = True, managed: bool = False
) -> dict[str, Any]:
    """A role option's value (resolved into ``discord.Role`` by discord.py). A ``managed``
    role belongs to an integration (a bot's own role); the role whose id is the server's
    is @everyone (``everyone()``)."""
    return {
        "__role__": True,
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": 1,
        "permissions": "0",
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }


def everyone(guild_id: int = 500) -> dict[str, Any]:
    """The server's @everyone role as an option's value (its id is the server's)."""
    return {**role(guild_id, "@everyone", mentionable=False), "position": 0}


def unresolved(role_id: int) -> dict[str, Any]:
    """A role option whose role is missing from the payload's resolved data, as only a
    modified client sends it: discord.py then passes a bare ``discord.Object``."""
    return {"__role__": True, "__unresolved__": True, "id": str(role_id)}


def overwrite(
    target: int, *, allow: int = 0, deny: int = 0, member: bool = False
) -> dict[str, Any]:
    """A channel's permission overwrite for a role (or, ``member``, one member)."""
    return {"id": str(target), "type": 1 if member else 0, "allow": str(allow), "deny": str(deny)}


def in_channel(
    base: int,
    overwrites: list[dict[str, Any]],
    *,
    guild_id: int,
    user_id: int,
    roles: tuple[int, ...],
) -> int:
    """A member's permissions in a channel as Discord computes them for an interaction:
    the server-wide ``base``, then the channel's @everyone overwrite, its role overwrites
    (denies, then allows) and the member's own. Administrator overrides every overwrite."""
    if base & ADMINISTRATOR:
        return base
    perms = base
    for item in overwrites:
        if item["type"] == 0 and item["id"] == str(guild_id):
            perms = (perms & ~int(item["deny"])) | int(item["allow"])
    mine = [o for o in overwrites if o["type"] == 0 and int(o["id"]) in roles]
    denied = allowed = 0
    for item in mine:
        denied |= int(item["deny"])
        allowed |= int(item["allow"])
    perms = (perms & ~denied) | allowed
    for item in overwrites:
        if item["type"] == 1 and item["id"] == str(user_id):
            perms = (perms & ~int(item["deny"])) | int(item["allow"])
    return perms


def _option(name: str, value: Any, focused: bool) -> dict[str, Any]:
    if isinstance(value, dict) and value.get("__role__"):
        kind, value = 8, value["id"]
    elif isinstance(value, bool):
        kind = 5
    else:
        kind = 3
    return {"name": name, "type": kind, "value": value, **({"focused": True} if focused else {})}


def slash(
    command: str,
    subcommand: str,
    options: dict[str, Any] | None = None,
    *,
    user_id: int = 42,
    guild_id: int | None = 500,
    channel_id: int = 600,
    permissions: int = 0,
    locale: str = "en-US",
    roles: tuple[int, ...] = (),
    autocomplete: str | None = None,
    app_permissions: int = BOT_CAN_POST,
    overwrites: list[dict[str, Any]] | None = None,
    thread_of: int | None = None,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND (or, with ``autocomplete`` naming the focused option, an
    APPLICATION_COMMAND_AUTOCOMPLETE) interaction for ``/command subcommand``. Option
    values: str, bool, or ``role(...)``."""
    inner = [_option(name, value, name == autocomplete) for name, value in (options or {}).items()]
    roles_resolved = {
        v["id"]: {k: x for k, x in v.items() if k != "__role__"}
        for v in (options or {}).values()
        if isinstance(v, dict) and v.get("__role__") and not v.get("__unresolved__")
    }
    payload = _base(
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        permissions=permissions,
        locale=locale,
        roles=roles,
        app_permissions=app_permissions,
        overwrites=overwrites,
        thread_of=thread_of,
    )
    payload["type"] = 4 if autocomplete else 2
    payload["data"] = {
        "id": "999",
        "name": command,
        "type": 1,
        "options": [{"name": subcommand, "type": 1, "options": inner}],
        **({"resolved": {"roles": roles_resolved}} if roles_resolved else {}),
    }
    return payload


def press(
    custom_id: str,
    *,
    user_id: int = 42,
    guild_id: int | None = 500,
    channel_id: int = 600,
    permissions: int = 0,
    locale: str = "en-US",
    roles: tuple[int, ...] = (),
    app_permissions: int = BOT_CAN_POST,
    overwrites: list[dict[str, Any]] | None = None,
    thread_of: int | None = None,
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction: a button with ``custom_id`` pressed under one of
    the bot's messages."""
    payload = _base(
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        permissions=permissions,
        locale=locale,
        roles=roles,
        app_permissions=app_permissions,
        overwrites=overwrites,
        thread_of=thread_of,
    )
    payload["type"] = 3
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    payload["message"] = message_payload(
        str(next(_ids)),
        str(channel_id),
        flags=64,
        # discord.py finds the pressed button in the message before calling it.
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "?", "custom_id": custom_id}],
            }
        ],
    )
    return payload


def _base(
    *,
    user_id: int,
    guild_id: int | None,
    channel_id: int,
    permissions: int,
    locale: str,
    roles: tuple[int, ...],
    app_permissions: int,
    overwrites: list[dict[str, Any]] | None = None,
    thread_of: int | None = None,
) -> dict[str, Any]:
    """The fields every interaction has. ``permissions`` are the member's server-wide ones;
    ``overwrites`` are the channel's, applied as Discord does before it sends them.
    ``thread_of`` makes the channel a thread (a public one) of that parent channel."""
    user = {
        "id": str(user_id),
        "username": f"user{user_id}",
        "discriminator": "0",
        "avatar": None,
        "global_name": None,
    }
    payload: dict[str, Any] = {
        # A snowflake of now, as Discord's: the fake refuses an answer 3 s after it.
        "id": str(snowflake(time.time(), next(_ids))),
        "application_id": "4243",
        "attachment_size_limit": 10 * 1024 * 1024,
        "token": f"tok{next(_ids)}",
        "version": 1,
        "locale": locale,
        "channel_id": str(channel_id),
        "app_permissions": str(app_permissions),
        "entitlements": [],
        "authorizing_integration_owners": {},
    }
    if guild_id is None:
        payload["user"] = user
        payload["context"] = 1
        payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [user]}
    else:
        payload["guild_id"] = str(guild_id)
        payload["guild_locale"] = "en-US"
        payload["context"] = 0
        if overwrites:
            permissions = in_channel(
                permissions, overwrites, guild_id=guild_id, user_id=user_id, roles=roles
            )
        payload["member"] = {
            "user": user,
            "roles": [str(r) for r in roles],
            "permissions": str(permissions),
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
        payload["channel"] = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": "news",
            "position": 0,
            "permission_overwrites": [] if thread_of else list(overwrites or []),
        }
        if thread_of is not None:
            # A thread has no overwrites of its own: its parent's apply.
            payload["channel"].update(
                type=11,
                parent_id=str(thread_of),
                owner_id=str(user_id),
                message_count=0,
                member_count=1,
                rate_limit_per_user=0,
                flags=0,
                last_message_id=None,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": "2026-01-01T00:00:00+00:00",
                    "locked": False,
                },
            )
    return payload
