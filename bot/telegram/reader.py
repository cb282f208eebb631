"""The reader's commands on Telegram: /start, /help, /categories, /mysubs, /digest,
/forget, the commands that change a subscription (``digests.actions.CHANGES``) and the
answer to an unknown command. Each parses what arrived, checks who may act, calls the
core's actions and replies; in groups only the chat's administrators change anything."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import ChatMigrated

from bot.telegram import migration, subscribe_links
from bot.telegram.actors import actor_shown_in
from bot.telegram.context import (
    PLATFORM,
    BotContext,
    DigestContext,
    actor_of,
    audit_refused,
    draft,
    find,
    forget_key,
    group_refusal,
    language_of,
    may_change,
    reply,
)
from bot.telegram.flood import once_a_minute, refusal_key
from bot.telegram.keyboards import category_keyboard, forget_buttons
from bot.telegram.sender import link_preview
from bot.telegram.spelling import SPELLING
from digests import actions
from digests.compose import send_digest_now
from digests.i18n import t
from digests.models import Subscriber
from digests.outgoing import Destination, OutgoingMessage
from digests.render import Presentation
from digests.render.split import TELEGRAM_LIMIT, Block, pack, utf16_length

Handler = Callable[[Update, DigestContext], Awaitable[None]]


async def start(update: Update, context: DigestContext) -> None:
    """The welcome and the picker; with a payload (a subscribe link's
    ``?start=``/``?startgroup=``), the link's subscription (``subscribe_links``)."""
    payload = " ".join(context.args or [])
    if payload:
        await subscribe_links.start_link(update, context, payload)
        return
    ctx = context.digest
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    text = ctx.renderer.render_text(PLATFORM, "welcome", Presentation(language))
    toggles = await actions.category_toggles(ctx.store, subscriber)
    await reply(
        context.digest,
        update,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=category_keyboard(toggles),
    )


async def help_command(update: Update, context: DigestContext) -> None:
    ctx = context.digest
    language = language_of(ctx, update, await find(ctx, update))
    await reply(
        context.digest,
        update,
        ctx.renderer.render_text(PLATFORM, "help", Presentation(language)),
        parse_mode=ParseMode.HTML,
    )


async def categories(update: Update, context: DigestContext) -> None:
    ctx = context.digest
    subscriber = await find(ctx, update)
    language = language_of(ctx, update, subscriber)
    toggles = await actions.category_toggles(ctx.store, subscriber)
    await reply(
        context.digest,
        update,
        t(language, "Tap to subscribe or unsubscribe:"),
        reply_markup=category_keyboard(toggles),
    )


async def _no_subscriptions(ctx: BotContext, update: Update, subscriber: Subscriber | None) -> None:
    language = language_of(ctx, update, subscriber)
    await reply(ctx, update, actions.no_subscriptions(language, SPELLING))


async def mysubs(update: Update, context: DigestContext) -> None:
    ctx = context.digest
    subscriber = await find(ctx, update)
    if subscriber is None:
        await _no_subscriptions(ctx, update, None)
        return
    shown = actor_shown_in(subscriber.language)
    described = await actions.describe(ctx.store, subscriber, spelling=SPELLING, actor_shown=shown)
    await reply_long(ctx, update, described)


def pieces(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Plain text cut into messages of at most ``limit`` UTF-16 units, between lines (as
    digests are cut between stories); a line too long on its own is cut where it must."""
    lines = [Block(line, None) for line in text.split("\n")]

    def shrink(block: Block) -> Block:
        cut = block.text
        while utf16_length(cut) > limit:
            cut = cut[: len(cut) - (utf16_length(cut) - limit) - 1] + "…"
        return Block(cut, None)

    packed = pack(lines, limit=limit, measure=utf16_length, shrink=shrink)
    return ["\n".join(b.text for b in group) for group in packed if any(b.text for b in group)]


async def reply_long(ctx: BotContext, update: Update, text: str) -> None:
    """A reply that may be longer than one message, sent in as many as it needs."""
    for piece in pieces(text):
        await reply(ctx, update, piece)


def changing(action: str) -> Handler:
    """A command that changes the chat's subscription: admins only in groups."""

    async def handler(update: Update, context: DigestContext) -> None:
        ctx = context.digest
        if not await may_change(update, context):
            await audit_refused(ctx, update, action, "command sent by a non-admin")
            if once_a_minute(context.application, refusal_key(update)):  # one per member
                language = language_of(ctx, update, await find(ctx, update))
                await reply(context.digest, update, group_refusal(language))
            return
        subscriber = await draft(ctx, update)
        args = list(context.args or [])
        now = ctx.clock.now()
        change = actions.CHANGES[action]
        text = await change(ctx.store, subscriber, args, now, SPELLING, actor_of(update))
        await reply(context.digest, update, text)

    return handler


async def digest(update: Update, context: DigestContext) -> None:
    """A preview of the digest now; the schedule's cursor does not move."""
    ctx = context.digest
    subscriber = await find(ctx, update)
    if subscriber is None or not subscriber.subscriptions:
        await _no_subscriptions(ctx, update, subscriber)
        return
    chat = update.effective_chat
    await send_preview(context, subscriber, chat_id=chat.id if chat else 0)


async def send_preview(context: DigestContext, subscriber: Subscriber, *, chat_id: int) -> None:
    """Send ``subscriber`` their digest now as a preview (the schedule's cursor does not
    move), through the application's bot: /digest, and a link reply's button."""
    ctx = context.digest
    await send_digest_now(
        ctx.store,
        ctx.renderer,
        ContextSender(context.bot, ctx, chat_id=chat_id),
        subscriber,
        now=ctx.clock.now(),
        limits=ctx.settings.digest,
        preview=True,
    )


class ContextSender:
    """Sends a /digest preview through the application's bot (paced by its rate limiter);
    a failure is the command's (logged by the error handler), not a delivery to retry. A
    chat that became a supergroup meanwhile is followed there (``migration.follow``), as
    the command's other replies are."""

    platform = PLATFORM

    def __init__(self, bot: Bot, ctx: BotContext, *, chat_id: int) -> None:
        self._bot = bot
        self._ctx = ctx
        self._asked_in = chat_id

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        chat_id = int(destination.chat_id)
        try:
            sent = await self._send(chat_id, destination, message)
        except ChatMigrated as exc:
            now = self._ctx.clock.now()
            await migration.follow(self._ctx.store, chat_id, exc.new_chat_id, now=now)
            if self._asked_in != chat_id:
                await migration.follow(self._ctx.store, self._asked_in, exc.new_chat_id, now=now)
            sent = await self._send(exc.new_chat_id, destination, message)
        return str(sent.message_id)

    async def _send(
        self, chat_id: int, destination: Destination, message: OutgoingMessage
    ) -> Message:
        return await self._bot.send_message(
            chat_id=chat_id,
            text=message.text,
            parse_mode=message.parse_mode,
            message_thread_id=int(destination.thread_id) if destination.thread_id else None,
            link_preview_options=link_preview(message),
        )


async def forget(update: Update, context: DigestContext) -> None:
    """Ask first: the yes button (``bot.telegram.buttons.forget_pressed``) deletes, with
    the token of this question (a private chat's asker or a group's admins confirm it)."""
    ctx = context.digest
    language = language_of(ctx, update, await find(ctx, update))
    if not await may_change(update, context):
        await audit_refused(ctx, update, "forget", "command sent by a non-admin")
        if once_a_minute(context.application, refusal_key(update)):  # one per member
            await reply(ctx, update, group_refusal(language))
        return
    chat = update.effective_chat
    owner = actor_of(update) if chat is not None and chat.type == ChatType.PRIVATE else None
    token = ctx.confirmations.create(await forget_key(ctx, update), owner, ctx.clock.now())
    buttons = forget_buttons(
        t(language, "Yes, delete everything"), t(language, "No, keep it"), token
    )
    await reply(
        context.digest,
        update,
        t(
            language,
            "Delete everything stored about this chat: "
            "subscriptions, schedule and delivery history?",
        ),
        reply_markup=buttons,
    )


def addressed_elsewhere(message: Message | None, username: str) -> bool:
    """A command for another bot (``/start@other_bot``): not ours to answer."""
    if message is None or not message.text or not message.text.startswith("/"):
        return False
    word = message.text.split(maxsplit=1)[0]
    _, at, addressee = word.partition("@")
    return bool(at) and addressee.lower() != username.lower()


async def unknown(update: Update, context: DigestContext) -> None:
    """A command this bot does not have; one for another bot is left alone."""
    if addressed_elsewhere(update.effective_message, context.bot.username):
        return
    ctx = context.digest
    language = language_of(ctx, update, await find(ctx, update))
    await reply(
        context.digest, update, t(language, "I don't know that command. /help lists what I can do.")
    )
