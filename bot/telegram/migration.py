"""A Telegram group that became a supergroup has a new chat id; updates from its old id
can still arrive (queued before the change, or a press on an old message). The migration
is remembered by the store (``Store.migrate_chat``/``migrate_chat_id``: one record of old id
→ new id, whoever learnt of it, the delivery worker included), so that such an update acts
on, and is answered in, the chat the group is now.

A leaf: ``bot.telegram.context`` and ``bot.telegram.membership`` import it.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Chat
from telegram.constants import ChatType

from digests.store import Store

PLATFORM = "telegram"


async def current_chat_id(store: Store, chat: Chat | int) -> int:
    """The id the chat has now: a migrated (basic) group's new id, else its own."""
    if isinstance(chat, Chat):
        if chat.type != ChatType.GROUP:  # only basic groups migrate
            return chat.id
        chat = chat.id
    moved = await store.migrated_to(PLATFORM, str(chat))
    if moved is not None and moved.lstrip("-").isdigit():
        return int(moved)
    return chat


async def follow(store: Store, old: int, new: int, *, now: datetime) -> None:
    """Remember that ``old`` is now ``new`` and move the chat's subscribers there (one
    transaction)."""
    await store.migrate_chat_id(PLATFORM, str(old), str(new), now=now)
