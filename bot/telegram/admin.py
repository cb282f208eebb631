"""Bot-admin commands on Telegram (TELEGRAM_ADMIN_IDS): /stats, and /breaking, which
previews a story and asks for a confirmation button, then follows the push in the same
message. The push itself is ``digests.breaking``, shared with Discord, the CLI and the HTTP
API; the buttons' callbacks (``bot.telegram.buttons``) call ``confirm_push`` and
``cancel_push`` here."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.telegram.context import (
    NOT_MODIFIED,
    PLATFORM,
    BotContext,
    DigestContext,
    actor_of,
    answer,
    audit_refused,
    edit_text,
    find,
    is_bot_admin,
    language_of,
    reply,
)
from bot.telegram.keyboards import push_buttons, push_cancel_button
from digests import breaking
from digests.echo import excerpt
from digests.i18n import t
from digests.stats import stats_lines
from digests.store import NotFound, PushBusy

PROGRESS_FOR_SECONDS = 900.0
# What a refusal quotes of the command (a URL of 4,000 characters would not fit).
ERROR_LENGTH = 300
FOR_ADMINS = "This command is for the bot's administrators."


async def stats(update: Update, context: DigestContext) -> None:
    ctx = context.digest
    if not is_bot_admin(ctx, update):
        await audit_refused(ctx, update, "stats", "command sent by a non-admin")
        await reply(ctx, update, t(language_of(ctx, update, None), FOR_ADMINS))
        return
    lines = await stats_lines(ctx.store, ctx.settings, now=ctx.clock.now())
    await reply(ctx, update, "\n".join(lines))


async def breaking_command(update: Update, context: DigestContext) -> None:
    """/breaking <category> <article id or URL> [title for a new article]: preview, then a
    button to confirm."""
    ctx = context.digest
    language = language_of(ctx, update, await find(ctx, update))
    args = list(context.args or [])
    now = ctx.clock.now()
    user = update.effective_user
    if user is None or not is_bot_admin(ctx, update):
        await ctx.store.audit_refusal(
            actor=actor_of(update),
            platform=PLATFORM,
            action="breaking",
            target=excerpt(args[0]) if args else None,
            detail="not a bot admin",
            now=now,
        )
        await reply(context.digest, update, t(language, FOR_ADMINS))
        return
    if len(args) < 2:
        await reply(
            context.digest,
            update,
            t(language, "Use /breaking <category> <article id or URL> [title of a new article]"),
        )
        return
    category = args[0].lower()
    try:
        proposal = await breaking.propose(
            ctx.store,
            ctx.renderer,
            category=category,
            reference=args[1],
            title=" ".join(args[2:]) or None,
            platform=PLATFORM,
            language=language,
            now=now,
            story_window=ctx.settings.story_window,
        )
    except (breaking.BreakingError, NotFound) as exc:
        # The message may quote what was typed, up to Telegram's whole message length.
        await reply(context.digest, update, excerpt(str(exc), ERROR_LENGTH))
        return
    await reply(context.digest, update, proposal.shown.text, parse_mode=ParseMode.HTML)
    token = await ctx.pending_pushes.add(category, proposal.article.id, user.id, now=now)
    buttons = push_buttons(
        t(language, "Send to %(count)d subscribers", count=proposal.audience),
        token,
        t(language, "Cancel"),
    )
    await reply(
        context.digest,
        update,
        t(
            language,
            "Push this to every subscriber of %(category)s on every platform?",
            category=excerpt(category),
        ),
        reply_markup=buttons,
    )


async def confirm_push(
    update: Update, context: DigestContext, query: CallbackQuery, pending: breaking.PendingPush
) -> None:
    """The admin pressed "send": enqueue the push and follow it in the same message."""
    ctx = context.digest
    language = language_of(ctx, update, await find(ctx, update))
    article = await ctx.store.get_article(pending.article_id)
    if article is None:  # removed by retention while the push waited
        await answer(query)
        await edit_text(context.digest, query, t(language, "Not sent."))
        return
    try:
        report = await breaking.start_audited_push(
            ctx.store,
            ctx.renderer,
            category=pending.category,
            article=article,
            actor=actor_of(update),
            platform=PLATFORM,
            now=ctx.clock.now(),
        )
    except PushBusy as exc:
        await answer(query, str(exc), alert=True)
        return
    await answer(query)
    cancel_button = push_cancel_button(t(language, "Cancel the push"), report.push_id)
    await edit_text(context.digest, query, report.line(), reply_markup=cancel_button)
    message = query.message
    if message is not None:
        context.application.create_task(
            follow_push(
                ctx, context, message.chat_id, message.message_id, report.push_id, cancel_button
            )
        )


async def cancel_push(
    update: Update, context: DigestContext, query: CallbackQuery, push_id: int
) -> None:
    ctx = context.digest
    now = ctx.clock.now()
    try:
        report = await breaking.cancel(ctx.store, push_id, now=now)
    except NotFound:  # a forged button: answered, so it stops spinning
        language = language_of(ctx, update, await find(ctx, update))
        await answer(query, t(language, "No such push."), alert=True)
        return
    await ctx.store.audit(
        actor=actor_of(update),
        platform=PLATFORM,
        action="breaking.cancel",
        target=str(push_id),
        outcome="ok",
        now=now,
    )
    await answer(query)
    # Sends under way finish after this: the following goes on until they have.
    await edit_text(context.digest, query, report.line())


async def follow_push(
    ctx: BotContext,
    context: DigestContext,
    chat_id: int,
    message_id: int,
    push_id: int,
    buttons: InlineKeyboardMarkup,
) -> None:
    """Edit the admin's message with the push's progress until it is finished."""

    async def show(report: breaking.Report) -> None:
        try:
            await context.bot.edit_message_text(
                report.line(),
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=None if report.status != "sending" else buttons,
            )
        except BadRequest as exc:  # a cancel press showed the same counts already
            if NOT_MODIFIED not in exc.message.lower():
                raise

    await breaking.follow(
        ctx.store,
        push_id,
        show,
        clock=ctx.clock,
        every_s=ctx.progress_every_s,
        for_s=PROGRESS_FOR_SECONDS,
    )
