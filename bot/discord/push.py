"""The breaking-push flow on Discord: a bot admin previews a story (``/news breaking``),
confirms it with a button, then follows the push in the same private message, with a
button to cancel it. The buttons live here with the steps they call, so no other module
needs them; the push itself is ``digests.breaking``, shared with Telegram, the CLI and the
HTTP API."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.discord.context import (
    allowed,
    audit_refusal,
    check_bot_admin,
    ctx_of,
    find,
    language_of,
    reply,
)
from bot.discord.timely import gone_noted
from digests import breaking
from digests.echo import excerpt
from digests.i18n import t
from digests.store import NotFound, PushBusy

Button = discord.ui.Button[Any]
# ``news:push:<token>`` sends; ``news:push:no:<token>`` drops that preview, so its "send"
# is dead after (``news:push:no`` alone: a preview's cancel from before it carried one).
PUSH_ID = r"news:push:(?P<no>no:)?(?P<token>[\w-]{1,40})"
# Any short word after the prefix, so that a forged id (``abc``, twenty digits) reaches
# the button and is answered "no such push" rather than never answered; ``push_id_of``
# then parses it strictly.
PUSH_CANCEL_ID = r"news:pushcancel:(?P<push>[\w-]{1,40})"
# How much of a refusal's reason is shown (it may quote what the admin typed).
REASON_CHARS = 300
# An interaction's token lets the bot edit its answer for 15 minutes.
PROGRESS_FOR_SECONDS = 14 * 60


class PushButton(discord.ui.DynamicItem[Button], template=PUSH_ID):
    """Confirms (or, ``cancel``, drops) the breaking push an admin previewed."""

    def __init__(self, token: str, label: str = "", *, cancel: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or token,
                style=discord.ButtonStyle.secondary if cancel else discord.ButtonStyle.danger,
                custom_id=f"news:push:no:{token}" if cancel else f"news:push:{token}",
            )
        )
        self.token = token
        # A bare ``news:push:no`` (token "no") cancels too: it names no preview.
        self.cancel = cancel or token == "no"

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PushButton:
        return cls(match["token"], cancel=bool(match["no"]))

    @gone_noted
    async def callback(self, interaction: discord.Interaction) -> None:
        if not await allowed(interaction, check_bot_admin(interaction, "breaking")):
            return
        ctx = ctx_of(interaction)
        now = ctx.clock.now()
        waiting = await ctx.pending_pushes.peek(self.token, now=now)
        if waiting is not None and waiting.admin_id != interaction.user.id:
            # Another admin's confirmation: refused, audited, and left for its admin.
            await refuse(interaction, "another admin's push confirmation")
            return
        # Taken at most once, by its admin: a cancel drops it, so a replayed or stale
        # "send" of the same preview finds nothing.
        pending = await ctx.pending_pushes.take(self.token, interaction.user.id, now=now)
        language = language_of(interaction, await find(interaction))
        if self.cancel:
            await interaction.response.edit_message(
                content=t(language, "Not sent."), embeds=[], view=None
            )
            return
        if pending is None:
            # Used (a double tap: the first press's message shows the push), cancelled or
            # expired. Said privately, so the message keeps what it shows.
            await reply(
                interaction,
                t(language, "Not sent: this confirmation was already used, cancelled or expired."),
            )
            return
        await confirm_push(interaction, category=pending.category, article_id=pending.article_id)


class PushCancelButton(discord.ui.DynamicItem[Button], template=PUSH_CANCEL_ID):
    """Stops a push that is going out."""

    def __init__(self, push_id: int | None, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "Cancel",
                style=discord.ButtonStyle.secondary,
                custom_id=f"news:pushcancel:{push_id}",
            )
        )
        self.push_id = push_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PushCancelButton:
        return cls(push_id_of(match["push"]))

    @gone_noted
    async def callback(self, interaction: discord.Interaction) -> None:
        if not await allowed(interaction, check_bot_admin(interaction, "breaking.cancel")):
            return
        if self.push_id is None:
            await no_such_push(interaction)
            return
        await cancel_push(interaction, self.push_id)


def push_id_of(text: str) -> int | None:
    """A push id as a cancel button carries it: ASCII digits that fit SQLite's integers."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


async def no_such_push(interaction: discord.Interaction) -> None:
    language = language_of(interaction, await find(interaction))
    await reply(interaction, t(language, "No such push."))


async def refuse(interaction: discord.Interaction, detail: str) -> None:
    """Tell a bot admin that this push is not theirs to confirm, and audit the press."""
    await audit_refusal(interaction, "breaking", detail)
    language = language_of(interaction, await find(interaction))
    await reply(interaction, t(language, "Only the admin who previewed this push may send it."))


async def preview_push(
    interaction: discord.Interaction, category: str, ref: str, title: str | None
) -> None:
    """Show the admin the story as readers will see it, with a button to send it."""
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
        # The reason may quote the admin's input (a 4,000-character URL): an excerpt.
        await reply(interaction, excerpt(str(exc), REASON_CHARS))
        return
    token = await ctx.pending_pushes.add(
        category, proposal.article.id, interaction.user.id, now=now
    )
    view = discord.ui.View(timeout=None)
    view.add_item(
        PushButton(
            token,
            t(language, "Send to %(count)d subscribers", count=proposal.audience),
        )
    )
    view.add_item(PushButton(token, t(language, "Cancel"), cancel=True))
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
    """Stop a push that is going out, and say so in its message (audited)."""
    ctx = ctx_of(interaction)
    now = ctx.clock.now()
    try:
        report = await breaking.cancel(ctx.store, push_id, now=now)
    except NotFound:
        await no_such_push(interaction)
        return
    await ctx.store.audit(
        actor=f"discord:{interaction.user.id}",
        platform="discord",
        action="breaking.cancel",
        target=str(push_id),
        outcome="ok",
        now=now,
    )
    await interaction.response.edit_message(content=report.line(), view=None)


DYNAMIC_ITEMS = (PushButton, PushCancelButton)
