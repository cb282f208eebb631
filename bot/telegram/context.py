"""What every Telegram handler needs: the application's parts (``BotContext``), reached as
``context.digest`` through python-telegram-bot's ``ContextTypes``, and who is asking, where
(which subscriber a chat or forum topic is), in which language, and how to answer.

A leaf of ``bot.telegram``: the handler modules import it, it imports none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from telegram import CallbackQuery, Chat, ChatMember, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, ChatMigrated, TelegramError
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.telegram import migration
from bot.telegram.actors import actor_of
from digests.breaking import PendingPushes
from digests.confirm import Confirmations
from digests.i18n import normalise_language, t
from digests.models import Subscriber
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import Clock

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ADMIN_CACHE_SECONDS = 300
# Answers kept at most: (chat, user) pairs asked about in the last ADMIN_CACHE_SECONDS.
ADMIN_CACHE_SIZE = 10_000


@dataclass
class BotContext:
    """The application's parts, held in ``application.bot_data`` for every handler."""

    store: Store
    renderer: Renderer
    settings: Settings
    clock: Clock
    admin_ids: frozenset[int] = frozenset()
    # How often a breaking push's progress is shown in the admin's message.
    progress_every_s: float = 2.0
    # Telegram's answers to getChatMember, bounded and expiring on the context's clock.
    _admins: TTLCache[tuple[int, int], bool] = field(init=False, repr=False)
    # Pushes shown to an admin and waiting for their confirmation, kept in the store: a
    # press after a restart, or reaching another process, still finds its push.
    pending_pushes: PendingPushes = field(init=False, repr=False)
    # /forget's questions waiting for their confirmation.
    confirmations: Confirmations = field(default_factory=Confirmations)

    def __post_init__(self) -> None:
        self.pending_pushes = PendingPushes(self.store, PLATFORM)
        self._admins = TTLCache(
            maxsize=ADMIN_CACHE_SIZE,
            ttl=ADMIN_CACHE_SECONDS,
            timer=lambda: self.clock.now().timestamp(),
        )

    async def is_chat_admin(self, chat: Chat | int, user_id: int, bot: Any) -> bool:
        """Whether ``user_id`` administers ``chat`` (getChatMember, its answer kept for 5
        min). When Telegram cannot answer, the answer is no, and it is not kept: the next
        try asks again. A group that became a supergroup is followed and asked again."""
        chat_id = chat.id if isinstance(chat, Chat) else chat
        key = (chat_id, user_id)
        cached = self._admins.get(key)
        if cached is not None:
            return cached
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except ChatMigrated as exc:
            await migration.follow(self.store, chat_id, exc.new_chat_id, now=self.clock.now())
            if exc.new_chat_id == chat_id or await self._moved_on(exc.new_chat_id):
                return False
            return await self.is_chat_admin(exc.new_chat_id, user_id, bot)
        except TelegramError as exc:
            log.warning("cannot tell whether %s administers chat %s: %s", user_id, chat_id, exc)
            return False
        allowed = member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
        self._admins[key] = allowed
        return allowed

    async def _moved_on(self, new: int) -> bool:
        """Whether ``new`` itself is recorded as migrated (a loop: no more asking)."""
        return await migration.current_chat_id(self.store, new) != new


class DigestData:
    """``application.bot_data``: where the application keeps the BotContext (PTB makes
    this object itself, so the context is set after the application is built)."""

    def __init__(self) -> None:
        self.ctx: BotContext | None = None


class DigestContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], DigestData]):
    """The context python-telegram-bot hands every handler, with digestbot's parts."""

    @property
    def digest(self) -> BotContext:
        ctx = self.bot_data.ctx
        if ctx is None:  # pragma: no cover - build_application always sets it
            raise RuntimeError("the Telegram application was built without a BotContext")
        return ctx


CONTEXT_TYPES = ContextTypes(context=DigestContext, bot_data=DigestData)


def thread_of(message: Message | None) -> str | None:
    if message is not None and message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


async def chat_id_of(ctx: BotContext, update: Update) -> int:
    """The id of the update's chat as it is now (a group that became a supergroup has a
    new one; updates from its old id may still arrive)."""
    chat = update.effective_chat
    assert chat is not None
    return await migration.current_chat_id(ctx.store, chat)


async def forget_key(ctx: BotContext, update: Update, *, followed: bool = True) -> str:
    """The chat (and forum topic) a /forget confirmation belongs to, as ``digests.confirm``
    keys it: the chat as it is now, or with ``followed`` false the update's own chat id."""
    chat = update.effective_chat
    assert chat is not None
    chat_id = await chat_id_of(ctx, update) if followed else chat.id
    return f"{PLATFORM}:{chat_id}:{thread_of(update.effective_message) or ''}"


async def find(ctx: BotContext, update: Update) -> Subscriber | None:
    return await ctx.store.find_subscriber(
        PLATFORM, str(await chat_id_of(ctx, update)), thread_of(update.effective_message)
    )


def language_of(ctx: BotContext, update: Update, subscriber: Subscriber | None) -> str:
    if subscriber is not None:
        return subscriber.language
    user = update.effective_user
    return normalise_language(user.language_code if user else None, ctx.settings.default_language)


async def draft(ctx: BotContext, update: Update) -> Subscriber:
    """The chat's subscriber, or an unstored draft of it (id 0) with the defaults it would be
    stored with: a change stores it (``Store.stored``) only once its input is valid."""
    existing = await find(ctx, update)
    if existing is not None:
        return existing
    return Subscriber(
        id=0,
        platform=PLATFORM,
        chat_id=str(await chat_id_of(ctx, update)),
        thread_id=thread_of(update.effective_message),
        language=language_of(ctx, update, None),
        timezone=ctx.settings.default_timezone,
        digest_time=ctx.settings.default_digest_time,
        created_at=ctx.clock.now(),
    )


async def may_change(update: Update, context: DigestContext) -> bool:
    """Private chats: yes. Groups and channels: only the chat's administrators. A message
    posted as the chat itself (a channel post, an anonymous group admin) comes from one;
    a button press always names the member who pressed it, whoever posted the message
    under which the button is (in a channel, the bot's post is the channel's own)."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if (
        update.callback_query is None
        and message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    ):
        return True
    user = update.effective_user
    if user is None:
        return False
    ctx = context.digest
    return await ctx.is_chat_admin(await chat_id_of(ctx, update), user.id, context.bot)


def group_refusal(language: str) -> str:
    return t(language, "Only this group's administrators can change its digest.")


def is_bot_admin(ctx: BotContext, update: Update) -> bool:
    """One of the bot's administrators (TELEGRAM_ADMIN_IDS)."""
    user = update.effective_user
    return user is not None and user.id in ctx.admin_ids


async def reply(ctx: BotContext, update: Update, text: str, **kwargs: Any) -> None:
    """Answer in the update's chat, or where it went if it became a supergroup meanwhile
    (Telegram's refusal says where; the move is followed, so a change this update made to
    the old chat's row goes with it)."""
    message = update.effective_message
    if message is None:
        return
    try:
        await message.reply_text(text, do_quote=False, **kwargs)
    except ChatMigrated as exc:
        await migration.follow(ctx.store, message.chat.id, exc.new_chat_id, now=ctx.clock.now())
        await message.get_bot().send_message(
            exc.new_chat_id, text, message_thread_id=message.message_thread_id, **kwargs
        )


async def audit_refused(ctx: BotContext, update: Update, action: str, detail: str) -> None:
    """Audit a refused command or press: the store keeps one row per member a minute and
    counts the refusals on it, the same mechanism as Discord's and the admin API's."""
    await ctx.store.audit_refusal(
        actor=actor_of(update),
        platform=PLATFORM,
        action=action,
        detail=detail,
        now=ctx.clock.now(),
    )


async def topic_unknown(ctx: BotContext, update: Update) -> bool:
    """A press in a forum whose message Telegram no longer shows (after 48 h it sends only
    the chat and the message id, date 0: an InaccessibleMessage, which python-telegram-bot
    parses as a Message that is not ``is_accessible``, or gives none): which topic's picker
    it was cannot be known, and guessing the general chat would change the whole group's
    digest. A supergroup is taken for a forum when Telegram says so (``is_forum``) or when
    one of its topics is stored."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or chat.type != ChatType.SUPERGROUP:
        return False
    message = query.message
    if message is not None and message.is_accessible:
        return False
    if chat.is_forum:
        return True
    stored = await ctx.store.subscribers_of_chat(PLATFORM, str(chat.id))
    return any(subscriber.thread_id for subscriber in stored)


# Telegram's answer to an edit that would change nothing (a double tap): already done.
NOT_MODIFIED = "message is not modified"
# A callback answer's text is at most this long.
ANSWER_CHARS = 200
# Its answer to a callback answered late, or twice: nothing more can be said to it.
TOO_OLD = "query is too old"


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Stop the button's spinner (with a toast, or an alert only the presser sees); an
    answer that came too late is dropped."""
    if text is not None and len(text) > ANSWER_CHARS:
        text = text[: ANSWER_CHARS - 1] + "…"
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        if TOO_OLD not in exc.message.lower():
            raise
        log.info("a button press was answered too late: %s", exc.message)


async def edit_text(ctx: BotContext, query: CallbackQuery, text: str, **kwargs: Any) -> None:
    """Change the pressed message's text; see ``_edited``."""
    await _edited(ctx, query, query.edit_message_text(text, **kwargs))


async def edit_markup(ctx: BotContext, query: CallbackQuery, markup: Any) -> None:
    """Change the pressed message's buttons; see ``_edited``."""
    await _edited(ctx, query, query.edit_message_reply_markup(markup))


async def _edited(ctx: BotContext, query: CallbackQuery, edit: Awaitable[Any]) -> None:
    """An edit to what the message already shows (a double tap) is done; a message left
    in a group that became a supergroup cannot be edited any more (the press was answered
    all the same), and the move Telegram names is followed."""
    try:
        await edit
    except ChatMigrated as exc:
        log.info("a message of a group that became a supergroup was not edited")
        if query.message is not None:
            old = query.message.chat.id
            await migration.follow(ctx.store, old, exc.new_chat_id, now=ctx.clock.now())
    except BadRequest as exc:
        if NOT_MODIFIED not in exc.message.lower():
            raise
