"""The ``/news`` slash commands a reader or a server's managers use: parse the typed
options, check who may act (decorators from ``context``), call the core's reader actions,
answer privately. Bot-admin commands are in ``admin``, buttons in ``buttons``, the choices
the options offer in ``choices``; ``group`` puts them together."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord.buttons import category_view, forget_view
from bot.discord.choices import (
    DAYS,
    FREQUENCIES,
    LANGUAGES,
    category_choices,
    subscribed_choices,
    timezone_choices,
    unsubscribe_choices,
)
from bot.discord.context import (
    PLATFORM,
    actor_of,
    actor_shown,
    announcement_note,
    as_store,
    bot_cannot_post,
    ctx_of,
    draft,
    find,
    in_announcement_channel,
    language_of,
    manages_channel,
    place_of,
    posting_warning,
    reply,
    session_of,
    view_of,
)
from bot.discord.server import list_server
from bot.discord.spelling import SPELLING
from bot.discord.translator import _
from digests import actions
from digests.compose import send_digest_now
from digests.i18n import t
from digests.outgoing import Destination, OutgoingMessage
from digests.render import Presentation


class PreviewSender:
    """Sends a digest preview as private follow-ups to the interaction."""

    platform = PLATFORM

    def __init__(self, interaction: discord.Interaction) -> None:
        self._interaction = interaction

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        sent = await self._interaction.followup.send(
            content=message.text or discord.utils.MISSING,
            embeds=[discord.Embed.from_dict(dict(e)) for e in message.embeds],
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
            wait=True,
        )
        return str(sent.id)


def add_reader_commands(group: app_commands.Group) -> None:
    """Everything a reader has: anyone may look; changes need ``manages_channel``."""
    add_subscription_commands(group)
    add_schedule_commands(group)
    add_chat_commands(group)


async def change(interaction: discord.Interaction, action: str, *args: str) -> None:
    """Run one of the core's changes on the channel's subscriber and show its reply: one
    read of the chat (shared with the check before) and one write (``session``)."""
    ctx = ctx_of(interaction)
    subscriber = await draft(interaction)
    values = [a for a in args if a]
    subscribing = action == "subscribe"
    # A subscription records whether the channel is an announcement channel, in its write.
    announcement = in_announcement_channel(interaction) if subscribing else None
    session = session_of(interaction, subscriber, announcement)
    change_of = actions.CHANGES[action]
    text = await change_of(
        as_store(session), subscriber, values, ctx.clock.now(), SPELLING, actor_of(interaction)
    )
    if subscribing:
        text += posting_warning(interaction, subscriber.language)
        text += announcement_note(
            interaction, subscriber.language, subscriber.categories, session.categories_after
        )
    await reply(interaction, text)


def add_subscription_commands(group: app_commands.Group) -> None:
    """Which categories: subscribe, unsubscribe, filter, list, the picker."""

    @group.command(name="subscribe", description=_("subscribe to a category"))
    @app_commands.describe(category=_("the category (start typing to search)"))
    @app_commands.autocomplete(category=category_choices)
    @manages_channel()
    async def subscribe(interaction: discord.Interaction, category: str) -> None:
        await change(interaction, "subscribe", category)

    @group.command(name="unsubscribe", description=_("unsubscribe from a category, or all"))
    @app_commands.describe(category=_("one of your categories, or all"))
    @app_commands.autocomplete(category=unsubscribe_choices)
    @manages_channel()
    async def unsubscribe(interaction: discord.Interaction, category: str) -> None:
        await change(interaction, "unsubscribe", category)

    @group.command(name="filter", description=_("only stories with certain keywords"))
    @app_commands.describe(
        category=_("one of your categories"),
        keywords=_("comma-separated keywords, or off to remove the filter"),
    )
    @app_commands.autocomplete(category=subscribed_choices)
    @manages_channel()
    async def filter_command(
        interaction: discord.Interaction, category: str, keywords: str = "off"
    ) -> None:
        await change(interaction, "filter", category, keywords)

    @group.command(name="list", description=_("show the subscriptions and schedule"))
    @app_commands.describe(server=_("every subscribed channel of this server (managers)"))
    async def list_command(interaction: discord.Interaction, server: bool = False) -> None:
        if server:
            await list_server(interaction)
            return
        subscriber = (await view_of(interaction)).subscriber
        if subscriber is None:
            await reply(
                interaction, actions.no_subscriptions(language_of(interaction, None), SPELLING)
            )
            return
        described = await actions.describe(
            as_store(session_of(interaction, subscriber)),
            subscriber,
            spelling=SPELLING,
            actor_shown=actor_shown,
        )
        await reply(interaction, described)

    @group.command(name="categories", description=_("choose categories with buttons"))
    async def categories(interaction: discord.Interaction) -> None:
        ctx = ctx_of(interaction)
        subscriber = (await view_of(interaction)).subscriber
        language = language_of(interaction, subscriber)
        view = await category_view(as_store(session_of(interaction, subscriber)), subscriber)
        if view is None:
            categories = await ctx.choices.categories(ctx.store)
            listed = ", ".join(c.slug for c in categories) or "—"
            await reply(
                interaction,
                t(
                    language,
                    "Categories: %(list)s. Use %(command)s.",
                    list=listed,
                    command=SPELLING.command("subscribe"),
                ),
            )
            return
        await reply(interaction, t(language, "Tap to subscribe or unsubscribe:"), view=view)


def add_schedule_commands(group: app_commands.Group) -> None:
    """When and how: time, zone, frequency, pause and resume, language."""

    @group.command(name="time", description=_("set the time of your digest (HH:MM)"))
    @app_commands.describe(at=_("local time, e.g. 07:30"))
    @app_commands.rename(at="time")
    @manages_channel()
    async def time_command(interaction: discord.Interaction, at: str) -> None:
        await change(interaction, "time", at)

    @group.command(name="timezone", description=_("set your time zone (e.g. Asia/Ho_Chi_Minh)"))
    @app_commands.describe(zone=_("an IANA time zone (start typing to search)"))
    @app_commands.autocomplete(zone=timezone_choices)
    @manages_channel()
    async def timezone(interaction: discord.Interaction, zone: str) -> None:
        await change(interaction, "timezone", zone)

    @group.command(name="frequency", description=_("daily, weekdays or weekly"))
    @app_commands.describe(how=_("how often"), day=_("the day, for a weekly digest"))
    @app_commands.choices(how=FREQUENCIES, day=DAYS)
    @manages_channel()
    async def frequency(
        interaction: discord.Interaction,
        how: app_commands.Choice[str],
        day: app_commands.Choice[str] | None = None,
    ) -> None:
        await change(interaction, "frequency", how.value, day.value if day else "")

    @group.command(name="pause", description=_("stop your digests until you resume"))
    @manages_channel()
    async def pause(interaction: discord.Interaction) -> None:
        await change(interaction, "pause")

    @group.command(name="resume", description=_("receive digests again"))
    @manages_channel()
    async def resume(interaction: discord.Interaction) -> None:
        ctx = ctx_of(interaction)
        subscriber = await draft(interaction)
        missing = bot_cannot_post(interaction)
        if missing:
            await reply(
                interaction,
                t(
                    subscriber.language,
                    "I still cannot post here: I need %(permissions)s in this channel.",
                    permissions=", ".join(missing),
                ),
            )
            return
        resumed = await actions.resume(
            as_store(session_of(interaction, subscriber)),
            subscriber,
            now=ctx.clock.now(),
            by=actor_of(interaction),
            spelling=SPELLING,
        )
        await reply(interaction, resumed)

    @group.command(name="language", description=_("English or Vietnamese"))
    @app_commands.describe(language=_("the language of digests and replies"))
    @app_commands.choices(language=LANGUAGES)
    @manages_channel()
    async def language(
        interaction: discord.Interaction, language: app_commands.Choice[str]
    ) -> None:
        await change(interaction, "language", language.value)


def add_chat_commands(group: app_commands.Group) -> None:
    """The chat as a whole: a preview now, forgetting it, help."""

    @group.command(name="digest", description=_("preview the digest now"))
    async def digest(interaction: discord.Interaction) -> None:
        ctx = ctx_of(interaction)
        subscriber = (await view_of(interaction)).subscriber
        if subscriber is None or not subscriber.subscriptions:
            language = language_of(interaction, subscriber)
            await reply(interaction, actions.no_subscriptions(language, SPELLING))
            return
        # Planning and rendering may pass Discord's 3 s answer window: answer "thinking".
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_digest_now(
            ctx.store,
            ctx.renderer,
            PreviewSender(interaction),
            subscriber,
            now=ctx.clock.now(),
            limits=ctx.settings.digest,
            preview=True,
        )

    @group.command(name="forget", description=_("delete everything stored about this chat"))
    @manages_channel()
    async def forget(interaction: discord.Interaction) -> None:
        ctx = ctx_of(interaction)
        language = language_of(interaction, await find(interaction))
        chat, guild = place_of(interaction)
        # In a DM only the asker may confirm; in a server channel, any of its managers.
        owner = actor_of(interaction) if guild is None else None
        token = ctx.confirmations.create(chat, owner, ctx.clock.now())
        await reply(
            interaction,
            t(
                language,
                "Delete everything stored about this chat: "
                "subscriptions, schedule and delivery history?",
            ),
            view=forget_view(language, token),
        )

    @group.command(name="help", description=_("what I can do"))
    async def help_command(interaction: discord.Interaction) -> None:
        ctx = ctx_of(interaction)
        language = language_of(interaction, await find(interaction))
        await reply(
            interaction, ctx.renderer.render_text("discord", "help", Presentation(language))
        )
