"""Chat membership and migration on Telegram: the bot was blocked, removed or added back
(``my_chat_member``), or a group became a supergroup with a new id (``migrate_to_chat_id``).
The chat's subscribers follow: deactivated, reactivated, or moved to the new id."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.constants import ChatType

from bot.telegram import migration
from bot.telegram.context import PLATFORM, DigestContext, find
from digests import actions


async def membership(update: Update, context: DigestContext) -> None:
    """The bot was blocked, removed, or added back: deactivate or reactivate the chat."""
    ctx = context.digest
    change = update.my_chat_member
    if change is None:
        return
    now = ctx.clock.now()
    status = change.new_chat_member.status
    chat_id = str(change.chat.id)
    for subscriber in await ctx.store.subscribers_of_chat(PLATFORM, chat_id):
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


async def written_again(update: Update, context: DigestContext) -> None:
    """A reader whose chat stopped because they blocked the bot writes to it again (a
    command, a message, a press): their digests resume, and they are told so."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or update.my_chat_member is not None:
        return
    ctx = context.digest
    subscriber = await find(ctx, update)
    if subscriber is None or subscriber.active:
        return
    text = await actions.reactivate(ctx.store, subscriber, now=ctx.clock.now())
    if text:
        await context.bot.send_message(chat.id, text)


async def migrated(update: Update, context: DigestContext) -> None:
    """A group became a supergroup: follow it to its new id, and remember the move so
    that updates still arriving from the old id act on the new chat. Telegram says it
    twice (``migrate_to_chat_id`` in the old chat, ``migrate_from_chat_id`` in the new)."""
    ctx = context.digest
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await migration.follow(ctx.store, old, new, now=ctx.clock.now())
