"""Who may do what with the bot in a Discord server: pure decisions on the facts an
interaction carries (the member's permissions in the channel, their roles, the server's
admin role), so they are tested as tables without Discord.

Discord's ``default_permissions`` only hides commands and server admins can override it, so
every check that matters runs here, in the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.i18n import t


@dataclass(frozen=True)
class Asker:
    """The facts about the person running a command that decide what they may do."""

    user_id: int
    in_dm: bool
    administrator: bool = False
    manage_channels: bool = False
    manage_guild: bool = False
    role_ids: frozenset[int] = frozenset()


def may_change_channel(asker: Asker, admin_role: int | None) -> bool:
    """A DM is the member's own; a server channel needs Manage Channels there (which
    Administrator implies) or the server's admin role."""
    if asker.in_dm or asker.administrator or asker.manage_channels:
        return True
    return admin_role is not None and admin_role in asker.role_ids


def may_set_admin_role(asker: Asker) -> bool:
    """Choosing who manages the server's digests needs Manage Server."""
    return not asker.in_dm and (asker.administrator or asker.manage_guild)


def may_list_server(asker: Asker, admin_role: int | None) -> bool:
    """Every channel of the server is shown to those who manage the server (Manage Server,
    or its admin role): Manage Channels in one channel says nothing about the others."""
    if asker.in_dm:
        return False
    if asker.administrator or asker.manage_guild:
        return True
    return admin_role is not None and admin_role in asker.role_ids


def channel_refusal(language: str, admin_role: int | None) -> str:
    """What a member without the right is told: the permission (or role) they lack."""
    if admin_role is None:
        return t(
            language,
            "Changing this channel's digest needs the Manage Channels permission in this channel.",
        )
    return t(
        language,
        "Changing this channel's digest needs the Manage Channels permission in this "
        "channel, or the %(role)s role.",
        role=f"<@&{admin_role}>",
    )


@dataclass(frozen=True)
class BotRights:
    """What the bot itself may do in a channel (the interaction's app permissions)."""

    view_channel: bool
    send_messages: bool
    embed_links: bool
    # In a thread or forum post the bot needs Send Messages in Threads instead.
    in_thread: bool = False


def missing_rights(rights: BotRights) -> list[str]:
    """The permissions the bot lacks to post digests in a channel, named as Discord's
    settings name them."""
    missing = []
    if not rights.view_channel:
        missing.append("View Channel")
    if not rights.send_messages:
        missing.append("Send Messages in Threads" if rights.in_thread else "Send Messages")
    if not rights.embed_links:
        missing.append("Embed Links")
    return missing
