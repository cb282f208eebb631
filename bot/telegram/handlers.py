"""Telegram update handlers: parse what arrived, check who may act, call the core's reader
actions, reply. No decisions live here beyond Telegram's own rules (who is an admin)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from telegram import (
    Chat,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from digests import actions
from digests.breaking import PendingPushes
from digests.compose import send_digest_now
from digests.i18n import normalise_language, t
from digests.models import Subscriber
from digests.outgoing import Destination, OutgoingMessage
from digests.render import Presentation, Renderer
from digests.settings import Settings
from digests.stats import stats_lines
from digests.store import NotFound, Store
from digests.timeutil import Clock

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 300
# Answers kept at most: (chat, user) pairs asked about in the last ADMIN_CACHE_SECONDS.
ADMIN_CACHE_SIZE = 10_000
CALLBACK_CATEGORY = "cat:"
CALLBACK_FORGET = "forget:"
CALLBACK_PUSH = "push:"
CALLBACK_PUSH_CANCEL = "pushcancel:"
PROGRESS_EVERY_SECONDS = 2.0
PROGRESS_FOR_SECONDS = 900.0


@dataclass
class BotContext:
    """What every handler needs; stored in ``application.bot_data``."""

    store: Store
    renderer: Renderer
    settings: Settings
    clock: Clock
    admin_ids: frozenset[int] = frozenset()
    # Telegram's answers to getChatMember, bounded and expiring on the context's clock.
    _admins: TTLCache[tuple[int, int], bool] = field(init=False, repr=False)
    # Pushes shown to an admin and waiting for their confirmation.
    pending_pushes: PendingPushes = field(default_factory=PendingPushes)

    def __post_init__(self) -> None:
        self._admins = TTLCache(
            maxsize=ADMIN_CACHE_SIZE,
            ttl=ADMIN_CACHE_SECONDS,
            timer=lambda: self.clock.now().timestamp(),
        )

    async def is_chat_admin(self, chat: Chat, user_id: int, bot: Any) -> bool:
        """Whether ``user_id`` administers ``chat`` (getChatMember, its answer kept for 5
        min). When Telegram cannot answer, the answer is no, and it is not kept: the next
        try asks again."""
        key = (chat.id, user_id)
        cached = self._admins.get(key)
        if cached is not None:
            return cached
        try:
            member = await bot.get_chat_member(chat.id, user_id)
        except TelegramError as exc:
            log.warning("cannot tell whether %s administers chat %s: %s", user_id, chat.id, exc)
            return False
        allowed = member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
        self._admins[key] = allowed
        return allowed


def ctx_of(context: ContextTypes.DEFAULT_TYPE) -> BotContext:
    return context.application.bot_data["digestbot"]


def thread_of(message: Message | None) -> str | None:
    if message is not None and message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


async def find(ctx: BotContext, update: Update) -> Subscriber | None:
    chat = update.effective_chat
    assert chat is not None
    return await ctx.store.find_subscriber(
        "telegram", str(chat.id), thread_of(update.effective_message)
    )


def language_of(ctx: BotContext, update: Update, subscriber: Subscriber | None) -> str:
    if subscriber is not None:
        return subscriber.language
    user = update.effective_user
    return normalise_language(user.language_code if user else None, ctx.settings.default_language)


async def ensure(ctx: BotContext, update: Update) -> Subscriber:
    chat = update.effective_chat
    assert chat is not None
    existing = await find(ctx, update)
    if existing is not None:
        return existing
    return await ctx.store.upsert_subscriber(
        "telegram",
        str(chat.id),
        now=ctx.clock.now(),
        thread_id=thread_of(update.effective_message),
        language=language_of(ctx, update, None),
        timezone=ctx.settings.default_timezone,
        digest_time=ctx.settings.default_digest_time,
    )


async def may_change(ctx: BotContext, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Private chats: yes. Channels: only admins can post, so yes. Groups: only the chat's
    administrators (an anonymous admin posts as the group itself)."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True
    message = update.effective_message
    if (
        message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    ):
        return True
    user = update.effective_user
    return user is not None and await ctx.is_chat_admin(chat, user.id, context.bot)


async def reply(update: Update, text: str, **kwargs: Any) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, do_quote=False, **kwargs)


async def refuse(ctx: BotContext, update: Update, subscriber: Subscriber | None) -> None:
    await reply(
        update,
        t(
            language_of(ctx, update, subscriber),
            "Only this group's administrators can change its digest.",
        ),
    )


def keyboard(toggles: list[actions.Toggle]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if item.subscribed else "▫️ ") + item.name,
                callback_data=f"{CALLBACK_CATEGORY}{item.slug}",
            )
        ]
        for item in toggles
    ]
    return InlineKeyboardMarkup(rows)


def confirm_buttons(yes: str, yes_data: str, no: str, no_data: str) -> InlineKeyboardMarkup:
    """A yes/no pair of buttons for an action that needs confirming."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=yes_data),
                InlineKeyboardButton(no, callback_data=no_data),
            ]
        ]
    )


# --- commands -----------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    text = ctx.renderer.render_text("telegram", "welcome", Presentation(language))
    toggles = await actions.category_toggles(ctx.store, subscriber)
    await reply(update, text, parse_mode=ParseMode.HTML, reply_markup=keyboard(toggles))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    language = language_of(ctx, update, await find(ctx, update))
    await reply(
        update,
        ctx.renderer.render_text("telegram", "help", Presentation(language)),
        parse_mode=ParseMode.HTML,
    )


async def categories(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    toggles = await actions.category_toggles(ctx.store, subscriber)
    await reply(
        update,
        t(language, "Tap to subscribe or unsubscribe:"),
        reply_markup=keyboard(toggles),
    )


async def mysubs(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    subscriber = await find(ctx, update)
    if subscriber is None:
        language = language_of(ctx, update, None)
        await reply(
            update,
            t(language, "You have no subscriptions yet. Use /categories to pick some."),
        )
        return
    await reply(update, await actions.describe(ctx.store, subscriber))


def changing(action: str) -> Any:
    """A command that changes the chat's subscription: admins only in groups."""

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        ctx = ctx_of(context)
        if not await may_change(ctx, update, context):
            await refuse(ctx, update, await find(ctx, update))
            return
        subscriber = await ensure(ctx, update)
        args = list(context.args or [])
        now = ctx.clock.now()
        store = ctx.store
        text = await actions.CHANGES[action](store, subscriber, args, now)
        await reply(update, text)

    return handler


async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A preview of the digest now; the schedule's cursor does not move."""
    ctx = ctx_of(context)
    subscriber = await find(ctx, update)
    if subscriber is None or not subscriber.subscriptions:
        language = language_of(ctx, update, subscriber)
        await reply(
            update,
            t(language, "You have no subscriptions yet. Use /categories to pick some."),
        )
        return
    await send_digest_now(
        ctx.store,
        ctx.renderer,
        ContextSender(context),
        subscriber,
        now=ctx.clock.now(),
        limits=ctx.settings.digest,
        preview=True,
    )


class ContextSender:
    """Sends through the application's bot (paced by its rate limiter)."""

    platform = "telegram"

    def __init__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._bot = context.bot

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        from telegram import LinkPreviewOptions

        sent = await self._bot.send_message(
            chat_id=int(destination.chat_id),
            text=message.text,
            parse_mode=message.parse_mode,
            message_thread_id=int(destination.thread_id) if destination.thread_id else None,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return str(sent.message_id)


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    subscriber = await find(ctx, update)
    if not await may_change(ctx, update, context):
        await refuse(ctx, update, subscriber)
        return
    language = language_of(ctx, update, subscriber)
    buttons = confirm_buttons(
        t(language, "Yes, delete everything"),
        f"{CALLBACK_FORGET}yes",
        t(language, "No, keep it"),
        f"{CALLBACK_FORGET}no",
    )
    await reply(
        update,
        t(
            language,
            "Delete everything stored about this chat: "
            "subscriptions, schedule and delivery history?",
        ),
        reply_markup=buttons,
    )


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    user = update.effective_user
    if user is None or user.id not in ctx.admin_ids:
        await reply(
            update,
            t(language_of(ctx, update, None), "This command is for the bot's administrators."),
        )
        return
    await reply(update, "\n".join(await stats_lines(ctx.store)))


async def breaking_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/breaking <category> <article id or URL> [title for a new article]: preview, then a
    button to confirm. Bot admins only (TELEGRAM_ADMIN_IDS)."""
    from digests import breaking

    ctx = ctx_of(context)
    user = update.effective_user
    language = language_of(ctx, update, await find(ctx, update))
    args = list(context.args or [])
    now = ctx.clock.now()
    actor = f"telegram:{user.id if user else '?'}"
    if user is None or user.id not in ctx.admin_ids:
        await ctx.store.audit(
            actor=actor,
            platform="telegram",
            action="breaking",
            target=args[0] if args else None,
            outcome="refused",
            detail="not a bot admin",
            now=now,
        )
        await reply(update, t(language, "This command is for the bot's administrators."))
        return
    if len(args) < 2:
        await reply(
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
            platform="telegram",
            language=language,
            now=now,
            story_window=ctx.settings.story_window,
        )
    except (breaking.BreakingError, NotFound) as exc:
        await reply(update, str(exc))
        return
    await reply(update, proposal.shown.text, parse_mode=ParseMode.HTML)
    token = ctx.pending_pushes.add(category, proposal.article.id, user.id, now=now)
    buttons = confirm_buttons(
        t(language, "Send to %(count)d subscribers", count=proposal.audience),
        f"{CALLBACK_PUSH}{token}",
        t(language, "Cancel"),
        f"{CALLBACK_PUSH}no",
    )
    await reply(
        update,
        t(
            language,
            "Push this to every subscriber of %(category)s on every platform?",
            category=category,
        ),
        reply_markup=buttons,
    )


async def _push_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: str) -> None:
    from digests import breaking
    from digests.store import PushBusy

    ctx = ctx_of(context)
    query = update.callback_query
    assert query is not None
    user = update.effective_user
    language = language_of(ctx, update, await find(ctx, update))
    now = ctx.clock.now()
    actor = f"telegram:{user.id if user else '?'}"
    if user is None or user.id not in ctx.admin_ids:
        await ctx.store.audit(
            actor=actor,
            platform="telegram",
            action="breaking",
            outcome="refused",
            detail="button pressed by a non-admin",
            now=now,
        )
        await query.answer(
            t(language, "This command is for the bot's administrators."), show_alert=True
        )
        return
    if data.startswith(CALLBACK_PUSH_CANCEL):
        push_id = int(data[len(CALLBACK_PUSH_CANCEL) :])
        report = await breaking.cancel(ctx.store, push_id, now=now)
        await ctx.store.audit(
            actor=actor,
            platform="telegram",
            action="breaking.cancel",
            target=str(push_id),
            outcome="ok",
            now=now,
        )
        await query.answer()
        await query.edit_message_text(report.line())
        return
    token = data[len(CALLBACK_PUSH) :]
    pending = ctx.pending_pushes.take(token, user.id, now=now)
    if pending is None:
        await query.answer()
        await query.edit_message_text(t(language, "Not sent."))
        return
    article = await ctx.store.get_article(pending.article_id)
    assert article is not None
    try:
        report = await breaking.start_audited_push(
            ctx.store,
            ctx.renderer,
            category=pending.category,
            article=article,
            actor=actor,
            platform="telegram",
            now=now,
        )
    except PushBusy as exc:
        await query.answer(str(exc), show_alert=True)
        return
    await query.answer()
    cancel_button = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(language, "Cancel the push"),
                    callback_data=f"{CALLBACK_PUSH_CANCEL}{report.push_id}",
                )
            ]
        ]
    )
    await query.edit_message_text(report.line(), reply_markup=cancel_button)
    message = query.message
    if message is not None:
        context.application.create_task(
            _follow_push(
                ctx, context, message.chat_id, message.message_id, report.push_id, cancel_button
            )
        )


async def _follow_push(
    ctx: BotContext,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    message_id: int,
    push_id: int,
    buttons: InlineKeyboardMarkup,
) -> None:
    """Edit the admin's message with the push's progress until it is finished."""
    from digests import breaking

    async def show(report: breaking.Report) -> None:
        await context.bot.edit_message_text(
            report.line(),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=None if report.status != "sending" else buttons,
        )

    await breaking.follow(
        ctx.store,
        push_id,
        show,
        clock=ctx.clock,
        every_s=PROGRESS_EVERY_SECONDS,
        for_s=PROGRESS_FOR_SECONDS,
    )


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    language = language_of(ctx, update, await find(ctx, update))
    await reply(update, t(language, "I don't know that command. /help lists what I can do."))


# --- buttons and membership ---------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = ctx_of(context)
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    if data.startswith((CALLBACK_PUSH, CALLBACK_PUSH_CANCEL)):
        await _push_button(update, context, data)
        return
    if not await may_change(ctx, update, context):
        await query.answer(
            t(language, "Only this group's administrators can change its digest."),
            show_alert=True,
        )
        return
    if data.startswith(CALLBACK_CATEGORY):
        subscriber = await ensure(ctx, update)
        text = await actions.toggle(
            ctx.store, subscriber, data[len(CALLBACK_CATEGORY) :], now=ctx.clock.now()
        )
        refreshed = await ctx.store.get_subscriber(subscriber.id)
        await query.answer(text)
        await query.edit_message_reply_markup(
            keyboard(await actions.category_toggles(ctx.store, refreshed))
        )
    elif data == f"{CALLBACK_FORGET}yes":
        if subscriber is None:
            text = t(language, "There was nothing stored about this chat.")
        else:
            text = await actions.forget(ctx.store, subscriber)
        await query.answer()
        await query.edit_message_text(text)
    elif data == f"{CALLBACK_FORGET}no":
        await query.answer()
        await query.edit_message_text(t(language, "Nothing was deleted."))
    else:
        await query.answer()


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was blocked, removed, or added back: deactivate or reactivate the chat."""
    ctx = ctx_of(context)
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    now = ctx.clock.now()
    status = change.new_chat_member.status
    chat_id = str(change.chat.id)
    for subscriber in await ctx.store.subscribers_of_chat("telegram", chat_id):
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            reason = (
                "blocked by the user"
                if change.chat.type == ChatType.PRIVATE
                else "the bot was removed from the chat"
            )
            await ctx.store.deactivate(subscriber.id, reason=reason, now=now)
        elif status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR) and not subscriber.active:
            await ctx.store.update_subscriber(
                subscriber.id, now=now, active=True, inactive_reason=None, paused=subscriber.paused
            )


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: follow it to its new id."""
    ctx = ctx_of(context)
    message = update.effective_message
    if message is None or not message.migrate_to_chat_id:
        return
    for subscriber in await ctx.store.subscribers_of_chat("telegram", str(message.chat.id)):
        await ctx.store.migrate_chat(
            subscriber.id, str(message.migrate_to_chat_id), now=ctx.clock.now()
        )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling a Telegram update: %s", context.error, exc_info=context.error)
