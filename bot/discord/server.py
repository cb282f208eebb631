"""The ``/news`` commands about a server as a whole: its channels' list (``list
server:True``), the admin role and the per-channel breaking-news ping.

Each role command checks everything before it writes: a role that Discord did not resolve
(a modified client can send a bare id), @everyone, a role managed by an integration, or a
role the bot could ping only by lending its own Mention Everyone right is refused, and
nothing is stored. The pure rules are ``role_problem`` and ``access.may_list_server``.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord.access import may_list_server, may_set_admin_role
from bot.discord.context import (
    PLATFORM,
    actor_of,
    actor_shown,
    asker_of,
    ctx_of,
    draft,
    find,
    language_of,
    manages_channel,
    reply,
)
from bot.discord.translator import _
from digests import actions
from digests.echo import excerpt
from digests.i18n import t
from digests.models import Subscriber
from digests.replies import gone
from digests.store import SubscriberGone


def role_problem(
    role: object, language: str, *, for_ping: bool, asker_may_mention_all: bool = False
) -> str | None:
    """Why ``role`` cannot be the admin role (or, ``for_ping``, the breaking ping), or None."""
    if not isinstance(role, discord.Role):
        return t(language, "I could not read that role; please choose it again from the list.")
    if role.is_default():
        if for_ping:
            return t(language, "@everyone cannot be the breaking-news role: choose a role.")
        return t(
            language,
            "@everyone cannot be the admin role: it would let every member change digests. "
            "Choose a role.",
        )
    if role.managed:
        return t(
            language,
            "%(role)s is managed by an integration and cannot be chosen.",
            role=role.mention,
        )
    if for_ping and not role.mentionable and not asker_may_mention_all:
        return t(
            language,
            "%(role)s cannot be mentioned by you here: make it mentionable, or ask a member "
            "with the Mention All Roles permission in this channel.",
            role=role.mention,
        )
    return None


def _last_change(sub: Subscriber, language: str) -> str:
    """What last changed a channel's digest, who changed it and when (empty before any
    recorded change), so a server's managers can find out who changed what."""
    what = getattr(sub, "last_change", None)
    changed_by = getattr(sub, "changed_by", None)
    changed_at = getattr(sub, "changed_at", None)
    if not what or changed_at is None:
        return ""
    when = f"<t:{int(changed_at.timestamp())}:R>"  # shown in the reader's own time
    if not changed_by:
        return " — " + t(language, "last change: %(what)s %(when)s", what=excerpt(what), when=when)
    return " — " + t(
        language,
        "last change: %(what)s, by %(who)s %(when)s",
        what=excerpt(what),
        who=actor_shown(changed_by),
        when=when,
    )


def channel_line(sub: Subscriber, language: str, announcement: bool = False) -> str:
    """One line of ``/news list server:True``; ``announcement``: its digests are published
    to the servers that follow it."""
    state = ""
    if sub.paused:
        state = " — " + t(language, "paused")
    elif not sub.active:
        state = " — " + t(language, "inactive")
    if announcement:
        state += " — " + t(language, "published to followers")
    categories = ", ".join(sub.categories) or "—"
    return (
        f"• <#{sub.chat_id}>: {categories}; {sub.digest_time} {sub.timezone}"
        f" ({actions.frequency_text(sub)}){state}{_last_change(sub, language)}"
    )


async def list_server(interaction: discord.Interaction) -> None:
    """Every subscribed channel of this server, for those who manage the server."""
    ctx = ctx_of(interaction)
    language = language_of(interaction, await find(interaction))
    if interaction.guild_id is None:
        await reply(interaction, t(language, "This works in a server channel."))
        return
    role = await ctx.store.admin_role(PLATFORM, str(interaction.guild_id))
    admin_role = int(role) if role else None
    if not may_list_server(asker_of(interaction), admin_role):
        await reply(
            interaction,
            t(
                language,
                "Listing every channel of this server needs the Manage Server permission, "
                "or the server's admin role.",
            ),
        )
        return
    channels = await ctx.store.subscribers_of_guild(PLATFORM, str(interaction.guild_id))
    if not channels:
        await reply(interaction, t(language, "No channel of this server subscribes."))
        return
    published = await ctx.store.announcements_of_guild(PLATFORM, str(interaction.guild_id))
    lines = [channel_line(sub, language, published.get(sub.chat_id, False)) for sub in channels]
    await reply(interaction, "\n".join(lines))


def add_server_commands(group: app_commands.Group) -> None:
    """Per-server and per-channel settings: the admin role, the breaking-news ping."""

    @group.command(
        name="admin-role",
        description=_("let a role manage this server's digests (no role: Manage Channels only)"),
    )
    @app_commands.describe(role=_("the role; leave empty to remove it"))
    async def admin_role(
        interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        ctx = ctx_of(interaction)
        language = language_of(interaction, await find(interaction))
        if interaction.guild_id is None:
            await reply(interaction, t(language, "This works in a server channel."))
            return
        if not may_set_admin_role(asker_of(interaction)):
            await reply(
                interaction,
                t(language, "Setting the admin role needs the Manage Server permission."),
            )
            return
        problem = None if role is None else role_problem(role, language, for_ping=False)
        if problem:
            await reply(interaction, problem)
            return
        if role is None:
            text = t(
                language, "No admin role: only members with Manage Channels can change digests."
            )
        else:
            text = t(
                language,
                "Members with %(role)s can now change this server's digests.",
                role=role.mention,
            )
        now = ctx.clock.now()
        await ctx.store.set_admin_role(
            PLATFORM, str(interaction.guild_id), str(role.id) if role else None, now=now
        )
        # Who may change every channel of a server: the audit log says who granted it.
        await ctx.store.audit(
            actor=actor_of(interaction),
            platform=PLATFORM,
            action="admin-role",
            target=f"{PLATFORM}:guild:{interaction.guild_id}",
            outcome="ok",
            now=now,
            detail=f"role {role.id}" if role else "no role",
        )
        await reply(interaction, text)

    @group.command(name="breaking-role", description=_("ping a role with breaking news here"))
    @app_commands.describe(role=_("the role to ping; leave empty to ping nobody"))
    @manages_channel()
    async def breaking_role(
        interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        await set_breaking_role(interaction, role)


async def set_breaking_role(interaction: discord.Interaction, role: discord.Role | None) -> None:
    """The channel's breaking-news ping: checked in full, then written (and recorded as
    the channel's last change)."""
    ctx = ctx_of(interaction)
    subscriber = await find(interaction)
    language = language_of(interaction, subscriber)
    if interaction.guild_id is None:
        await reply(interaction, t(language, "This works in a server channel."))
        return
    problem = (
        None
        if role is None
        else role_problem(
            role,
            language,
            for_ping=True,
            asker_may_mention_all=interaction.permissions.mention_everyone,
        )
    )
    if problem:
        await reply(interaction, problem)
        return
    if role is None:
        text = t(language, "Breaking news here will ping nobody.")
    else:
        text = t(language, "Breaking news here will ping %(role)s.", role=role.mention)
        if not role.mentionable and not interaction.app_permissions.mention_everyone:
            text += " " + t(
                language,
                "That role cannot be mentioned: make it mentionable, or give me the "
                "Mention All Roles permission.",
            )
    if subscriber is None and role is None:
        # Nothing to clear in a channel never stored: stored only when something is written.
        await reply(interaction, text)
        return
    subscriber = await ctx.store.stored(subscriber or await draft(interaction))
    try:
        await ctx.store.update_subscriber(
            subscriber.id,
            now=ctx.clock.now(),
            change="breaking role: " + (f"<@&{role.id}>" if role else "none"),
            by=actor_of(interaction),
            breaking_role=str(role.id) if role else None,
        )
    except SubscriberGone:  # forgotten (/news forget) between the read and the write
        text = gone(language)
    await reply(interaction, text)
