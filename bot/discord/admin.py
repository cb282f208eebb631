"""Bot-admin commands on Discord (DISCORD_ADMIN_IDS): ``/news breaking`` previews a story
and asks for a confirmation button, then follows the push in the same private message;
``/news stats``. The push itself is ``digests.breaking``, shared with Telegram, the CLI
and the HTTP API."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.discord.context import bot_admin, ctx_of, find, language_of, reply
from bot.discord.translator import _
from digests import breaking
from digests.i18n import t
from digests.stats import stats_lines
from digests.store import NotFound, PushBusy

log = logging.getLogger(__name__)

# An interaction's token lets the bot edit its answer for 15 minutes.
PROGRESS_FOR_SECONDS = 14 * 60


def add_admin_commands(group: app_commands.Group) -> None:
    from bot.discord.commands import category_choices

    @group.command(name="breaking", description=_("push a story to every subscriber now"))
    @app_commands.describe(
        category=_("the category whose subscribers get it"),
        article=_("a stored article's id or URL"),
        title=_("the title, for a URL not stored yet"),
    )
    @app_commands.autocomplete(category=category_choices)
    @bot_admin()
    async def breaking_command(
        interaction: discord.Interaction, category: str, article: str, title: str | None = None
    ) -> None:
        await preview_push(interaction, category.lower(), article.strip(), title)

    @group.command(name="stats", description=_("the bot's figures (bot admins)"))
    @bot_admin()
    async def stats(interaction: discord.Interaction) -> None:
        await reply(interaction, "\n".join(await stats_lines(ctx_of(interaction).store)))


async def preview_push(
    interaction: discord.Interaction, category: str, ref: str, title: str | None
) -> None:
    from bot.discord.buttons import PushButton

    ctx = ctx_of(interaction)
    language = language_of(interaction, await find(interaction))
    now = ctx.clock.now()
    try:
        proposal = await breaking.propose(
            ctx.store,
            ctx.renderer,
            category=category,
            reference=ref,
            title=title,
            platform="discord",
            language=language,
            now=now,
            story_window=ctx.settings.story_window,
        )
    except (breaking.BreakingError, NotFound) as exc:
        await reply(interaction, str(exc))
        return
    token = ctx.pending_pushes.add(category, proposal.article.id, interaction.user.id, now=now)
    view = discord.ui.View(timeout=None)
    view.add_item(
        PushButton(
            token,
            t(language, "Send to %(count)d subscribers", count=proposal.audience),
        )
    )
    view.add_item(PushButton("no", t(language, "Cancel")))
    await reply(
        interaction,
        t(
            language,
            "Push this to every subscriber of %(category)s on every platform?",
            category=category,
        ),
        embeds=[discord.Embed.from_dict(dict(e)) for e in proposal.shown.embeds],
        view=view,
    )


def _cancel_view(push_id: int, language: str) -> discord.ui.View:
    from bot.discord.buttons import PushCancelButton

    view = discord.ui.View(timeout=None)
    view.add_item(PushCancelButton(push_id, t(language, "Cancel the push")))
    return view


async def confirm_push(interaction: discord.Interaction, *, category: str, article_id: int) -> None:
    """The admin pressed "send": enqueue the push and follow it in the same message."""
    ctx = ctx_of(interaction)
    language = language_of(interaction, await find(interaction))
    article = await ctx.store.get_article(article_id)
    if article is None:
        await reply(interaction, t(language, "Not sent."))
        return
    try:
        report = await breaking.start_audited_push(
            ctx.store,
            ctx.renderer,
            category=category,
            article=article,
            actor=f"discord:{interaction.user.id}",
            platform="discord",
            now=ctx.clock.now(),
        )
    except PushBusy as exc:
        await reply(interaction, str(exc))
        return
    ctx.on_push()
    await interaction.response.edit_message(
        content=report.line(), view=_cancel_view(report.push_id, language)
    )
    interaction.client.in_background(  # type: ignore[attr-defined]
        follow_push(interaction, report.push_id, language)
    )


async def follow_push(interaction: discord.Interaction, push_id: int, language: str) -> None:
    """Edit the admin's message with the push's progress until it is finished."""
    ctx = ctx_of(interaction)

    async def show(report: breaking.Report) -> None:
        finished = report.status != "sending"
        await interaction.edit_original_response(
            content=report.line(), view=None if finished else _cancel_view(push_id, language)
        )

    await breaking.follow(
        ctx.store,
        push_id,
        show,
        clock=ctx.clock,
        every_s=ctx.progress_every_s,
        for_s=PROGRESS_FOR_SECONDS,
    )


async def cancel_push(interaction: discord.Interaction, push_id: int) -> None:
    ctx = ctx_of(interaction)
    now = ctx.clock.now()
    report = await breaking.cancel(ctx.store, push_id, now=now)
    await ctx.store.audit(
        actor=f"discord:{interaction.user.id}",
        platform="discord",
        action="breaking.cancel",
        target=str(push_id),
        outcome="ok",
        now=now,
    )
    await interaction.response.edit_message(content=report.line(), view=None)
