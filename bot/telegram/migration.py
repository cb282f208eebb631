"""A Telegram group that became a supergroup has a new chat id; updates from its old id
can still arrive (queued before the change, or a press on an old message). The migration
is remembered in the store (its ``meta`` table, one row per migrated group), so that such
an update acts on, and is answered in, the chat the group is now.

A leaf: ``bot.telegram.context`` and ``bot.telegram.membership`` import it.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Chat
from telegram.constants import ChatType

from digests.store import Store

PLATFORM = "telegram"
_KEY = "telegram.migrated:"


async def current_chat_id(store: Store, chat: Chat | int) -> int:
    """The id the chat has now: a migrated (basic) group's new id, else its own."""
    if isinstance(chat, Chat):
        if chat.type != ChatType.GROUP:  # only basic groups migrate
            return chat.id
        chat = chat.id
    moved = await store.get_meta(f"{_KEY}{chat}")
    if moved is not None and moved.lstrip("-").isdigit():
        return int(moved)
    return chat


async def follow(store: Store, old: int, new: int, *, now: datetime) -> None:
    """Remember that ``old`` is now ``new`` and move the chat's subscribers there."""
    if old == new:
        return
    await store.set_meta(f"{_KEY}{old}", str(new))
    for subscriber in await store.subscribers_of_chat(PLATFORM, str(old)):
        await store.migrate_chat(subscriber.id, str(new), now=now)
