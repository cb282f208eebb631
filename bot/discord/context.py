"""What every Discord command and button needs: the application's parts, who is asking,
where (which subscriber a channel or DM is), in which language, and how to answer.

Checks are app_commands checks (decorators on the commands, Red-DiscordBot style) that
raise ``NotAllowed`` with the reader-facing reason; the tree's error handler shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import discord
from discord import app_commands

from bot.discord.access import (
    Asker,
    BotRights,
    channel_refusal,
    may_change_channel,
    missing_rights,
)
from bot.discord.pieces import split_reply
from bot.discord.sender import CONTENT_LIMIT
from bot.discord.session import ChoiceCache, CommandSession
from bot.discord.timely import ANSWER_BUDGET_S
from digests import actions
from digests.breaking import PendingPushes
from digests.confirm import Confirmations
from digests.echo import excerpt
from digests.errors import UserFacingError
from digests.i18n import normalise_language, t
from digests.models import Subscriber
from digests.publishing import is_announcement
from digests.render import Renderer
from digests.settings import Settings
from digests.store import ChatView, Store
from digests.timeutil import Clock

log = logging.getLogger(__name__)

PLATFORM = "discord"
# The key of a "welcome back" note (``welcome_back``) waiting for the next answer.
WELCOME_BACK = "digestbot.welcome_back"
# The key of the chat as this interaction read it (``view_of``), before any change.
CHAT_VIEW = "digestbot.chat_view"
T = TypeVar("T")


@dataclass
class DiscordContext:
    """The application's parts, held by the client for commands and buttons."""

    store: Store
    renderer: Renderer
    settings: Settings
    clock: Clock
    admin_ids: frozenset[int] = frozenset()
    # Called after a breaking push was enqueued, to wake the delivery worker.
    on_push: Callable[[], None] = lambda: None
    progress_every_s: float = 2.0
    # An answer not ready this long after its interaction was created is preceded by a
    # deferral (``timely``); Discord allows 3 s for the first response.
    answer_budget_s: float = ANSWER_BUDGET_S
    # Pushes shown to an admin and waiting for their confirmation, kept in the store: a
    # press after a restart, or reaching another process, still finds its push.
    pending_pushes: PendingPushes = field(init=False, repr=False)
    # /news forget questions waiting for their answer (the token their "yes" carries).
    confirmations: Confirmations = field(default_factory=Confirmations)
    # The live categories and recently seen chats, for commands and autocomplete.
    choices: ChoiceCache = field(default_factory=ChoiceCache)
    # Refused commands and presses: one audit row per member a minute, with a count.

    def __post_init__(self) -> None:
        self.pending_pushes = PendingPushes(self.store, PLATFORM)


class NotAllowed(app_commands.CheckFailure, UserFacingError):
    """The asker may not do this; ``str()`` is the reason, in their language."""


def ctx_of(interaction: discord.Interaction) -> DiscordContext:
    return interaction.client.digest  # type: ignore[attr-defined, no-any-return]


def asker_of(interaction: discord.Interaction) -> Asker:
    user = interaction.user
    perms = interaction.permissions
    # The member's role ids as the interaction sent them: Member.roles looks them up in
    # the cached server, which may not hold them (no member or role caching here).
    roles = getattr(user, "_roles", None) or ()
    return Asker(
        user_id=user.id,
        in_dm=interaction.guild_id is None,
        administrator=perms.administrator,
        manage_channels=perms.manage_channels,
        manage_guild=perms.manage_guild,
        role_ids=frozenset(int(r) for r in roles),
    )


def place_of(interaction: discord.Interaction) -> tuple[str, str | None]:
    """(chat id, server id): the channel, thread or forum post the command ran in (a
    thread is a channel of its own on Discord), or the member's DM channel."""
    guild = str(interaction.guild_id) if interaction.guild_id else None
    return str(interaction.channel_id), guild


async def find(interaction: discord.Interaction) -> Subscriber | None:
    """The chat's subscriber as stored now (after any change this interaction made)."""
    chat_id, _ = place_of(interaction)
    return await ctx_of(interaction).store.find_subscriber(PLATFORM, chat_id)


async def view_of(interaction: discord.Interaction) -> ChatView:
    """The chat and its server's admin role as the interaction found them, read once (one
    statement) and kept for the interaction's checks and command; a change made since is
    not in it (``find`` reads it again)."""
    view = interaction.extras.get(CHAT_VIEW)
    if view is None:
        ctx = ctx_of(interaction)
        chat_id, guild_id = place_of(interaction)
        view = await ctx.store.chat_view(PLATFORM, chat_id, guild_id)
        interaction.extras[CHAT_VIEW] = view
        if view.subscriber is not None:
            ctx.choices.remember(chat_id, view.subscriber.categories, view.subscriber.language)
    return view  # type: ignore[no-any-return]


def session_of(
    interaction: discord.Interaction, chat: Subscriber | None, announcement: bool | None = None
) -> CommandSession:
    """The store as the reader actions see it for this command (``session``); ``chat``
    None for a command that only reads."""
    ctx = ctx_of(interaction)
    return CommandSession(ctx.store, ctx.choices, chat, announcement)


def as_store(session: CommandSession) -> Store:
    """A session where the core's actions take a Store: it has every method they call."""
    return cast(Store, session)


def language_of(interaction: discord.Interaction, subscriber: Subscriber | None) -> str:
    """The subscriber's language once chosen, else the asker's Discord locale."""
    if subscriber is not None:
        return subscriber.language
    return normalise_language(
        str(interaction.locale.value), ctx_of(interaction).settings.default_language
    )


async def draft(interaction: discord.Interaction) -> Subscriber:
    """The subscriber for this channel or DM, or an unstored draft of it (id 0) with the
    asker's locale: a change stores it (``Store.stored``) only once its input is valid.
    Whoever set it up is remembered, to be told if the bot can no longer post there."""
    existing = (await view_of(interaction)).subscriber
    if existing is not None:
        return existing
    ctx = ctx_of(interaction)
    chat_id, guild_id = place_of(interaction)
    return Subscriber(
        id=0,
        platform=PLATFORM,
        chat_id=chat_id,
        guild_id=guild_id,
        language=language_of(interaction, None),
        timezone=ctx.settings.default_timezone,
        digest_time=ctx.settings.default_digest_time,
        set_up_by=str(interaction.user.id),
        created_at=ctx.clock.now(),
    )


def actor_of(interaction: discord.Interaction) -> str:
    """Who did it, as the audit log names them."""
    return f"{PLATFORM}:{interaction.user.id}"


def actor_shown(by: str) -> str:
    """Who did it, as a reply shows them: a member of Discord as a mention, which shows
    their name (replies mention nobody: ``reply`` sends them with no allowed mentions);
    anyone else (the CLI, the admin API) as the audit log names them, excerpted."""
    member = by.removeprefix(f"{PLATFORM}:")
    if member != by and member.isascii() and member.isdigit():
        return f"<@{member}>"
    return excerpt(by)


async def welcome_back(interaction: discord.Interaction) -> None:
    """In a DM: a reader whose digests stopped because Discord refused them and who uses
    the bot again is reactivated; the note waits in the interaction's extras for the
    answer (``with_note``). A server channel comes back with /news resume instead."""
    if interaction.guild_id is not None:
        return
    subscriber = (await view_of(interaction)).subscriber
    if subscriber is None:
        return
    ctx = ctx_of(interaction)
    note = await actions.reactivate(ctx.store, subscriber, now=ctx.clock.now())
    if note:
        interaction.extras[WELCOME_BACK] = note
        interaction.extras.pop(CHAT_VIEW, None)  # it changed: the command reads it again


def with_note(interaction: discord.Interaction, text: str) -> str:
    """``text`` after the "welcome back" note waiting for this answer, if any."""
    note = interaction.extras.pop(WELCOME_BACK, None)
    return f"{note}\n{text}" if note else text


async def reply(interaction: discord.Interaction, text: str, **kwargs: Any) -> None:
    """Answer privately (only the asker sees it), with no mentions. A reply longer than
    one message goes on in follow-ups; buttons and embeds (``kwargs``) go with the last.
    The first piece goes through the response (``timely``: directly, or as the edit of a
    deferral when the answer came late)."""
    text = with_note(interaction, text)
    pieces = split_reply(text, CONTENT_LIMIT, language_of(interaction, None))
    for number, piece in enumerate(pieces, start=1):
        extra = kwargs if number == len(pieces) else {}
        extra.setdefault("allowed_mentions", discord.AllowedMentions.none())
        if interaction.response.is_done():
            await interaction.followup.send(piece, ephemeral=True, **extra)
        else:
            await interaction.response.send_message(piece, ephemeral=True, **extra)


def bot_cannot_post(interaction: discord.Interaction) -> list[str]:
    """The permissions the bot lacks to post digests where the command ran (none in a DM)."""
    if interaction.guild_id is None:
        return []
    perms = interaction.app_permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    send = perms.send_messages_in_threads if in_thread else perms.send_messages
    return missing_rights(
        BotRights(perms.view_channel, send, perms.embed_links, in_thread=in_thread)
    )


def posting_warning(interaction: discord.Interaction, language: str) -> str:
    """A note for a manager who just subscribed a channel the bot cannot post in."""
    missing = bot_cannot_post(interaction)
    if not missing:
        return ""
    return "\n" + t(
        language,
        "Note: I cannot post here yet. Give me %(permissions)s in this channel, or no "
        "digest will arrive.",
        permissions=", ".join(missing),
    )


def in_announcement_channel(interaction: discord.Interaction) -> bool:
    """Whether the command ran in an announcement channel (the interaction carries the
    channel and its type)."""
    kind = getattr(interaction.channel, "type", None)
    return kind is not None and is_announcement(kind.value)


def announcement_note(
    interaction: discord.Interaction,
    language: str,
    before: tuple[str, ...],
    after: tuple[str, ...] | None,
) -> str:
    """After a subscription through a session, which recorded the channel's kind in its
    write: say that an announcement channel's digests will be published (empty when
    nothing was written or the categories are still ``before``)."""
    if not after or interaction.guild_id is None or not in_announcement_channel(interaction):
        return ""
    if set(after) <= set(before):
        return ""
    return published_note(language)


async def note_announcement(
    interaction: discord.Interaction,
    subscriber: Subscriber | None,
    language: str,
    before: tuple[str, ...] | None = None,
) -> str:
    """After a subscription (``subscriber`` as stored now): record whether the channel is
    an announcement channel and, if it is, say that its digests will be published (empty
    when nothing is stored, or when the categories are still ``before``: a subscription
    refused or already there)."""
    if subscriber is None or not subscriber.subscriptions or interaction.guild_id is None:
        return ""
    announcement = in_announcement_channel(interaction)
    await ctx_of(interaction).store.set_announcement(PLATFORM, subscriber.chat_id, announcement)
    if not announcement or (before is not None and set(subscriber.categories) <= set(before)):
        return ""
    return published_note(language)


def published_note(language: str) -> str:
    """What a manager is told on subscribing an announcement channel."""
    return "\n" + t(
        language,
        "This is an announcement channel: I will also publish each digest and breaking "
        "item to the servers that follow it (Discord allows about 10 an hour; beyond that "
        "they are posted here only).",
    )


async def check_manages_channel(interaction: discord.Interaction) -> bool:
    """Raise NotAllowed unless the asker may change this channel's digest."""
    # One read for the check and the command after it: the chat and the admin role.
    view = await view_of(interaction)
    admin_role = None
    if interaction.guild_id is not None and view.admin_role:
        admin_role = int(view.admin_role)
    if may_change_channel(asker_of(interaction), admin_role):
        return True
    # Audited as the bot admins' refusals are: one row per member a minute, with a count.
    await audit_refusal(interaction, refused_action(interaction), "not a channel manager")
    language = language_of(interaction, view.subscriber)
    raise NotAllowed(channel_refusal(language, admin_role))


def refused_action(interaction: discord.Interaction) -> str:
    """What a refused member tried, for the audit log: the command, or the button's kind
    (``news:forget``; never the rest of a custom id, which a forger chooses)."""
    if interaction.command is not None:
        return interaction.command.name
    custom_id = str((interaction.data or {}).get("custom_id", ""))
    return ":".join(custom_id.split(":")[:2])[:40] or "?"


async def allowed(interaction: discord.Interaction, check: Awaitable[bool]) -> bool:
    """For buttons (which app_commands checks do not cover): run ``check`` and show its
    refusal, if any, to whoever pressed. A DM reader coming back is welcomed back."""
    try:
        ok = await check
    except NotAllowed as refusal:
        await reply(interaction, str(refusal))
        return False
    if ok:
        await welcome_back(interaction)
    return ok


def manages_channel() -> Callable[[T], T]:
    """Decorator: the command changes the channel's digest (DMs: the member's own)."""
    return app_commands.check(check_manages_channel)


async def check_bot_admin(interaction: discord.Interaction, action: str | None = None) -> bool:
    """Raise NotAllowed (and audit the attempt) unless the asker is in DISCORD_ADMIN_IDS."""
    ctx = ctx_of(interaction)
    if interaction.user.id in ctx.admin_ids:
        return True
    command = action or (interaction.command.name if interaction.command else "?")
    await audit_refusal(interaction, command, "not a bot admin")
    language = language_of(interaction, await find(interaction))
    raise NotAllowed(t(language, "This command is for the bot's administrators."))


async def audit_refusal(interaction: discord.Interaction, action: str, detail: str) -> None:
    """Audit a refused command or press: the store keeps one row per member a minute and
    counts the refusals on it (500 forged presses made 500 rows), the same mechanism as
    Telegram's and the admin API's refusals."""
    ctx = ctx_of(interaction)
    await ctx.store.audit_refusal(
        actor=actor_of(interaction),
        platform=PLATFORM,
        action=action,
        detail=detail,
        now=ctx.clock.now(),
    )


def bot_admin() -> Callable[[T], T]:
    """Decorator: only the bot's administrators (DISCORD_ADMIN_IDS)."""
    return app_commands.check(check_bot_admin)
