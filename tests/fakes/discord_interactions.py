"""Builders for Discord interaction payloads, to drive discord.py's CommandTree without a
gateway: ``discord.Interaction(data=payload, state=client._connection)``, then
``await tree._call(interaction)``; the answer arrives at the fake REST API's
``/interactions/{id}/{token}/callback``."""

from __future__ import annotations

import itertools
from typing import Any

MANAGE_CHANNELS = 1 << 4
_ids = itertools.count(10_000)


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
) -> dict[str, Any]:
    """An APPLICATION_COMMAND (or, with ``autocomplete`` naming the focused option, an
    APPLICATION_COMMAND_AUTOCOMPLETE) interaction for ``/command subcommand``."""
    user = {
        "id": str(user_id),
        "username": f"user{user_id}",
        "discriminator": "0",
        "avatar": None,
        "global_name": None,
    }
    inner = [
        {
            "name": name,
            "type": 3,
            "value": value,
            **({"focused": True} if name == autocomplete else {}),
        }
        for name, value in (options or {}).items()
    ]
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": "4243",
        "attachment_size_limit": 10 * 1024 * 1024,
        "token": f"tok{next(_ids)}",
        "type": 4 if autocomplete else 2,
        "version": 1,
        "locale": locale,
        "channel_id": str(channel_id),
        "app_permissions": str(1 << 11 | 1 << 14),
        "entitlements": [],
        "authorizing_integration_owners": {},
        "data": {
            "id": "999",
            "name": command,
            "type": 1,
            "options": [{"name": subcommand, "type": 1, "options": inner}],
        },
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
