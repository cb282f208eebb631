"""The callbacks of the inline buttons, one per button kind: the category picker, the
/forget confirmation, and a bot admin's push confirmation and cancel buttons. Each is routed
by its pattern (``bot.telegram.keyboards``) and reads what it acts on from
``context.matches``; the buttons hold no state of their own."""

from __future__ import annotations

from telegram import CallbackQuery, Update

from bot.telegram.admin import FOR_ADMINS, cancel_push, confirm_push
from bot.telegram.context import (
    PLATFORM,
    DigestContext,
    actor_of,
    draft,
    find,
    group_refusal,
    is_bot_admin,
    language_of,
    may_change,
)
from bot.telegram.keyboards import category_keyboard
from digests import actions
from digests.i18n import t


def query_of(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None  # these callbacks are routed from CallbackQueryHandlers only
    return query


def field_of(context: DigestContext, name: str) -> str:
    """A named group of the button's pattern, from the callback data."""
    assert context.matches, "routed by a CallbackQueryHandler with a pattern"
    return context.matches[0][name]


async def _allowed_to_change(update: Update, context: DigestContext) -> bool:
    """In groups only administrators press the chat's buttons; others get an alert."""
    if await may_change(update, context):
        return True
    ctx = context.digest
    language = language_of(ctx, update, await find(ctx, update))
    await query_of(update).answer(group_refusal(language), show_alert=True)
    return False


async def category_pressed(update: Update, context: DigestContext) -> None:
    """Subscribe or unsubscribe the chat, and redraw the picker."""
    if not await _allowed_to_change(update, context):
        return
    ctx = context.digest
    query = query_of(update)
    subscriber = await draft(ctx, update)
    text = await actions.toggle(
        ctx.store, subscriber, field_of(context, "slug"), now=ctx.clock.now(), by=actor_of(update)
    )
    refreshed = await find(ctx, update)
    await query.answer(text)
    await query.edit_message_reply_markup(
        category_keyboard(await actions.category_toggles(ctx.store, refreshed))
    )


async def forget_pressed(update: Update, context: DigestContext) -> None:
    """The answer to /forget's question."""
    if not await _allowed_to_change(update, context):
        return
    ctx = context.digest
    query = query_of(update)
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    if field_of(context, "answer") != "yes":
        text = t(language, "Nothing was deleted.")
    elif subscriber is None:
        text = t(language, "There was nothing stored about this chat.")
    else:
        text = await actions.forget(ctx.store, subscriber, by=actor_of(update))
    await query.answer()
    await query.edit_message_text(text)


async def _allowed_to_push(update: Update, context: DigestContext) -> bool:
    """Push buttons are for bot admins; anyone else's press is refused and audited."""
    ctx = context.digest
    if is_bot_admin(ctx, update):
        return True
    await ctx.store.audit(
        actor=actor_of(update),
        platform=PLATFORM,
        action="breaking",
        outcome="refused",
        detail="button pressed by a non-admin",
        now=ctx.clock.now(),
    )
    language = language_of(ctx, update, await find(ctx, update))
    await query_of(update).answer(t(language, FOR_ADMINS), show_alert=True)
    return False


async def push_pressed(update: Update, context: DigestContext) -> None:
    """Send the push the admin previewed, if the token is theirs and still fresh."""
    if not await _allowed_to_push(update, context):
        return
    ctx = context.digest
    query = query_of(update)
    user = update.effective_user
    assert user is not None  # a bot admin pressed it
    pending = ctx.pending_pushes.take(field_of(context, "token"), user.id, now=ctx.clock.now())
    if pending is None:
        language = language_of(ctx, update, await find(ctx, update))
        await query.answer()
        await query.edit_message_text(t(language, "Not sent."))
        return
    await confirm_push(update, context, query, pending)


async def push_cancel_pressed(update: Update, context: DigestContext) -> None:
    """Stop a push that is going out."""
    if not await _allowed_to_push(update, context):
        return
    await cancel_push(update, context, query_of(update), int(field_of(context, "push")))


async def stale_pressed(update: Update, context: DigestContext) -> None:
    """A button of no kind this bot knows (from an older version): only acknowledged."""
    await query_of(update).answer()
