"""The callbacks of the inline buttons, one per button kind: the category picker and its
pages, a subscribe link's time zone and "digest now" buttons, the /forget confirmation,
and a bot admin's push confirmation and cancel buttons. Each is routed by its pattern
(``bot.telegram.keyboards``) and reads what it acts on from ``context.matches``; the
buttons hold no state of their own (a redraw reads the pressed message's keyboard)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from bot.telegram.admin import FOR_ADMINS, cancel_push, confirm_push
from bot.telegram.context import (
    BotContext,
    DigestContext,
    actor_of,
    answer,
    audit_refused,
    draft,
    edit_markup,
    edit_text,
    find,
    forget_key,
    group_refusal,
    is_bot_admin,
    language_of,
    may_change,
    thread_of,
    topic_unknown,
)
from bot.telegram.flood import once_a_minute
from bot.telegram.keyboards import (
    Shown,
    category_keyboard,
    page_number,
    page_of,
    push_id_of,
    shown_on,
)
from bot.telegram.reader import send_preview
from bot.telegram.spelling import SPELLING
from bot.telegram.subscribe_links import link_markup
from digests import actions
from digests.confirm import Outcome
from digests.i18n import t
from digests.models import Subscriber
from digests.zones import resolve_zone

Callback = Callable[[Update, DigestContext], Awaitable[None]]
OTHERS_PUSH = "Only the admin who previewed this push may send it."
JUST_SENT = "Today's digest was just sent here. Try again in a minute."
TOO_OLD_BUTTON = "This button is too old; send /categories again."


def always_answered(callback: Callback) -> Callback:
    """``callback``, with its press answered even when it fails (the error still goes to
    the error handler): a press never answered spins in the reader's chat. An answer that
    was already given is refused by Telegram as "too old" and dropped by ``answer``."""

    @functools.wraps(callback)
    async def wrapped(update: Update, context: DigestContext) -> None:
        try:
            await callback(update, context)
        except Exception:
            with contextlib.suppress(TelegramError):
                await answer(query_of(update))
            raise

    return wrapped


def query_of(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None  # these callbacks are routed from CallbackQueryHandlers only
    return query


def field_of(context: DigestContext, name: str) -> str:
    """A named group of the button's pattern, from the callback data."""
    assert context.matches, "routed by a CallbackQueryHandler with a pattern"
    return context.matches[0][name]


async def _allowed_to_change(update: Update, context: DigestContext, kind: str) -> bool:
    """In groups and channels only administrators press the chat's buttons; others get an
    alert, and the refusal is audited. A press in a forum whose topic cannot be known (a
    message too old for Telegram to show) changes nothing."""
    ctx = context.digest
    if await topic_unknown(ctx, update):
        language = language_of(ctx, update, None)
        await answer(query_of(update), t(language, TOO_OLD_BUTTON), alert=True)
        return False
    if await may_change(update, context):
        return True
    await audit_refused(ctx, update, kind, "button pressed by a non-admin")
    language = language_of(ctx, update, await find(ctx, update))
    await answer(query_of(update), group_refusal(language), alert=True)
    return False


async def category_pressed(update: Update, context: DigestContext) -> None:
    """Subscribe or unsubscribe the chat, and redraw the picker."""
    if not await _allowed_to_change(update, context, "subscribe"):
        return
    ctx = context.digest
    query = query_of(update)
    subscriber = await draft(ctx, update)
    slug, want, now, by = (
        field_of(context, "slug"),
        field_of(context, "want"),
        ctx.clock.now(),
        actor_of(update),
    )
    if want is None:  # a button drawn before buttons carried their state
        text = await actions.toggle(ctx.store, subscriber, slug, now=now, by=by)
    else:
        text = await actions.choose(ctx.store, subscriber, slug, want == "1", now=now, by=by)
    refreshed = await find(ctx, update)
    await answer(query, text)
    await _redraw(ctx, query, refreshed, shown_on(query.message), slug=slug)


async def _redraw(
    ctx: BotContext,
    query: CallbackQuery,
    subscriber: Subscriber | None,
    shown: Shown,
    *,
    slug: str | None = None,
    page: int | None = None,
) -> None:
    """Redraw the pressed message's keyboard for the chat as it is now: the picker page
    showing ``slug`` (or ``page``), and a link reply's time zone and digest buttons when
    the message had them."""
    toggles = await actions.category_toggles(ctx.store, subscriber)
    page = page if page is not None else page_of(toggles, slug)
    if shown.zones is None or subscriber is None:
        markup = category_keyboard(toggles, page)
    else:
        markup = await link_markup(
            ctx, subscriber, None, zones=shown.zones, page=page, toggles=toggles
        )
    await edit_markup(ctx, query, markup)


async def page_pressed(update: Update, context: DigestContext) -> None:
    """Show another page of the picker (a group's picker is its admins' to turn)."""
    if not await _allowed_to_change(update, context, "subscribe"):
        return
    ctx = context.digest
    query = query_of(update)
    page = page_number(field_of(context, "page"))
    subscriber = await find(ctx, update)
    if page is None:
        await answer(query, t(language_of(ctx, update, subscriber), TOO_OLD_BUTTON), alert=True)
        return
    await answer(query)
    await _redraw(ctx, query, subscriber, shown_on(query.message), page=page)


async def zone_pressed(update: Update, context: DigestContext) -> None:
    """A subscribe link's time zone button: set the chat's zone, tick it."""
    if not await _allowed_to_change(update, context, "timezone"):
        return
    ctx = context.digest
    query = query_of(update)
    zone = field_of(context, "zone")
    subscriber = await draft(ctx, update)
    # A button may name a zone by an old name (a chat's zone stored before old names were
    # followed, offered as its own): set the current name, and tick it where it was.
    current, _ = resolve_zone(zone)
    if current is None:  # forged, or a zone tzdata no longer has
        await answer(query, t(subscriber.language, TOO_OLD_BUTTON), alert=True)
        return
    text = await actions.set_timezone(
        ctx.store,
        subscriber,
        [current],
        now=ctx.clock.now(),
        spelling=SPELLING,
        by=actor_of(update),
    )
    await answer(query, text)
    shown = shown_on(query.message)
    if shown.zones is not None:
        zones = dict.fromkeys(current if z == zone else z for z in shown.zones)
        shown = Shown(shown.first_slug, list(zones))
    await _redraw(ctx, query, await find(ctx, update), shown, slug=shown.first_slug)


async def digest_now_pressed(update: Update, context: DigestContext) -> None:
    """A subscribe link's "send today's digest now": the /digest preview (the schedule's
    cursor does not move); in a group only its admins may send it there."""
    if not await _allowed_to_change(update, context, "digest"):
        return
    ctx = context.digest
    query = query_of(update)
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    if subscriber is None or not subscriber.subscriptions:
        await answer(query, actions.no_subscriptions(language, SPELLING), alert=True)
        return
    chat = update.effective_chat
    # Once a minute per chat (and topic): a button pressed again and again, or by several
    # admins at once, would otherwise send the same digest again each time.
    where = ("digest now", chat.id if chat else 0, thread_of(update.effective_message))
    if not once_a_minute(context.application, where):
        await answer(query, t(language, JUST_SENT))
        return
    await answer(query, t(language, "Sending today's digest…"))
    await send_preview(context, subscriber, chat_id=chat.id if chat else 0)


async def forget_pressed(update: Update, context: DigestContext) -> None:
    """The answer to /forget's question: "yes" deletes only with the token of a /forget
    asked in this chat, still fresh, pressed by whoever may confirm it."""
    if not await _allowed_to_change(update, context, "forget"):
        return
    ctx = context.digest
    query = query_of(update)
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    # "No" takes the token too (when it is the presser's to take), so a stale or replayed
    # "yes" of a question answered "no" deletes nothing.
    outcome = await _confirmed(update, context, field_of(context, "token") or "")
    if field_of(context, "answer") != "yes":
        await answer(query)
        await edit_text(ctx, query, t(language, "Nothing was deleted."))
        return
    if outcome is not Outcome.OK:  # forged, another's, spent or too old
        await audit_refused(ctx, update, "forget", f"confirmation {outcome.value}")
    if outcome is Outcome.REFUSED:
        await answer(query, t(language, "This confirmation is not yours."), alert=True)
        return
    if outcome is Outcome.EXPIRED:
        refusal = t(language, "This confirmation has expired: send /forget again.")
        await answer(query, refusal, alert=True)
        return
    if subscriber is None:
        text = t(language, "There was nothing stored about this chat.")
    else:
        text = await actions.forget(ctx.store, subscriber, by=actor_of(update), now=ctx.clock.now())
    await answer(query, text)  # seen even where the question can no longer be edited
    await edit_text(context.digest, query, text)


async def _confirmed(update: Update, context: DigestContext, token: str) -> Outcome:
    """Whether this press confirms the /forget that made ``token``. Its chat is the chat
    as it is now or, for a question asked before the group became a supergroup, the id
    the question was asked in (the pressed message's chat)."""
    ctx = context.digest
    now = ctx.clock.now()
    asker = actor_of(update)
    outcome = ctx.confirmations.take(token, await forget_key(ctx, update), asker, True, now)
    if outcome is Outcome.REFUSED:
        asked_in = await forget_key(ctx, update, followed=False)
        outcome = ctx.confirmations.take(token, asked_in, asker, True, now)
    return outcome


async def _allowed_to_push(update: Update, context: DigestContext) -> bool:
    """Push buttons are for bot admins; anyone else's press is refused and audited."""
    ctx = context.digest
    if is_bot_admin(ctx, update):
        return True
    await _refuse_push(update, context, "button pressed by a non-admin", FOR_ADMINS)
    return False


async def _refuse_push(update: Update, context: DigestContext, detail: str, text: str) -> None:
    """Refused with an alert; audited at most once per member a minute, with a count."""
    ctx = context.digest
    await audit_refused(ctx, update, "breaking", detail)
    language = language_of(ctx, update, await find(ctx, update))
    await answer(query_of(update), t(language, text), alert=True)


async def push_pressed(update: Update, context: DigestContext) -> None:
    """Send the push the admin previewed, if the token is theirs and still fresh. Another
    admin's press is refused and audited, and leaves the push for its admin."""
    if not await _allowed_to_push(update, context):
        return
    ctx = context.digest
    query = query_of(update)
    user = update.effective_user
    assert user is not None  # a bot admin pressed it
    token, now = field_of(context, "token"), ctx.clock.now()
    waiting = await ctx.pending_pushes.peek(token, now=now)
    if waiting is not None and waiting.admin_id != user.id:
        await _refuse_push(update, context, "another admin's push confirmation", OTHERS_PUSH)
        return
    # Taken at most once, by its admin: "cancel" drops it, so a stale or replayed "send"
    # of the same preview finds nothing.
    pending = await ctx.pending_pushes.take(token, user.id, now=now)
    if pending is None or field_of(context, "no"):
        language = language_of(ctx, update, await find(ctx, update))
        await answer(query)
        await edit_text(context.digest, query, t(language, "Not sent."))
        return
    await confirm_push(update, context, query, pending)


async def push_cancel_pressed(update: Update, context: DigestContext) -> None:
    """Stop a push that is going out; a press naming no push is told so."""
    if not await _allowed_to_push(update, context):
        return
    query = query_of(update)
    push_id = push_id_of(field_of(context, "push"))
    if push_id is None:
        ctx = context.digest
        language = language_of(ctx, update, await find(ctx, update))
        await answer(query, t(language, "No such push."), alert=True)
        return
    await cancel_push(update, context, query, push_id)


async def stale_pressed(update: Update, context: DigestContext) -> None:
    """A button of no kind this bot knows (from an older version): only acknowledged."""
    await answer(query_of(update))
