"""Builders for Discord interaction payloads, to drive discord.py's CommandTree without a
gateway: ``discord.Interaction(data=payload, state=client._connection)``, then
``await tree._call(interaction)``; the answer arrives at the fake REST API's
``/interactions/{id}/{token}/callback``."""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.discord_api import message_payload

ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
# What the bot may do in a channel by default in these payloads: view, send, embed links.
BOT_CAN_POST = 1 << 10 | 1 << 11 | 1 << 14
_ids = itertools.count(10_000)


def role(role_id: int, name: str = "news", *, mentionable: bool = True) -> dict[str, Any]:
    """A role option's value (resolved into ``discord.Role`` by discord.py)."""
    return {
        "__role__": True,
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": 1,
        "permissions": "0",
        "managed": False,
        "mentionable": mentionable,
        "flags": 0,
    }


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
) -> dict[str, Any]:
    """An APPLICATION_COMMAND (or, with ``autocomplete`` naming the focused option, an
    APPLICATION_COMMAND_AUTOCOMPLETE) interaction for ``/command subcommand``. Option
    values: str, bool, or ``role(...)``."""
    inner = [_option(name, value, name == autocomplete) for name, value in (options or {}).items()]
    roles_resolved = {
        v["id"]: {k: x for k, x in v.items() if k != "__role__"}
        for v in (options or {}).values()
        if isinstance(v, dict) and v.get("__role__")
    }
    payload = _base(
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        permissions=permissions,
        locale=locale,
        roles=roles,
        app_permissions=app_permissions,
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
) -> dict[str, Any]:
    user = {
        "id": str(user_id),
        "username": f"user{user_id}",
        "discriminator": "0",
        "avatar": None,
        "global_name": None,
    }
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
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
            "permission_overwrites": [],
        }
    return payload
