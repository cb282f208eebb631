"""A chat that moved to a new id (a Telegram group that became a supergroup), in one
place: the move of its subscribers and the record of old id → new id, written in the
same transaction whoever learnt of it (the delivery worker from a refused send, the bot
from the migration message or a refused reply), so that a late update from the old id
finds the chat where it is now.

A subscriber already stored under the new id (set up there before the move was known)
is merged with the old one, never dropped: the old row's subscriptions, filters and
schedule are kept, unless the new row has subscriptions of its own; then the two
subscription lists are joined (the new row's filter wins for a category in both).
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from digests.timeutil import to_db


def migration_key(platform: str, chat_id: str) -> str:
    """The ``meta`` key holding where ``chat_id`` went (platform-qualified)."""
    return f"{platform}.migrated:{chat_id}"


async def move_chat(
    db: aiosqlite.Connection, platform: str, old: str, new: str, *, now: datetime
) -> None:
    """Inside a transaction: record ``old`` → ``new`` and move every subscriber of the old
    chat (each forum topic too) there, merging with one already stored there."""
    if old == new:
        return
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (migration_key(platform, old), new),
    )
    async with db.execute(
        "SELECT id, thread_id FROM subscribers WHERE platform = ? AND chat_id = ?",
        (platform, old),
    ) as cursor:
        moving = [(int(r[0]), str(r[1])) for r in await cursor.fetchall()]
    for subscriber_id, thread_id in moving:
        await _move_one(db, platform, subscriber_id, thread_id, new, now=now)


async def _move_one(
    db: aiosqlite.Connection,
    platform: str,
    subscriber_id: int,
    thread_id: str,
    new: str,
    *,
    now: datetime,
) -> None:
    async with db.execute(
        "SELECT id FROM subscribers WHERE platform = ? AND chat_id = ? AND thread_id = ?",
        (platform, new, thread_id),
    ) as cursor:
        clash = await cursor.fetchone()
    if clash is not None:
        there = int(clash[0])
        async with db.execute(
            "SELECT 1 FROM subscriptions WHERE subscriber_id = ? LIMIT 1", (there,)
        ) as cursor:
            has_own = await cursor.fetchone() is not None
        if has_own:
            await db.execute(
                """INSERT INTO subscriptions (subscriber_id, category, keywords, created_at)
                   SELECT ?, category, keywords, created_at FROM subscriptions
                   WHERE subscriber_id = ?
                   ON CONFLICT DO NOTHING""",
                (there, subscriber_id),
            )
            await db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))
            return
        # Nothing subscribed there yet: the old chat's settings carry on in its place.
        await db.execute("DELETE FROM subscribers WHERE id = ?", (there,))
    await db.execute(
        "UPDATE subscribers SET chat_id = ?, updated_at = ? WHERE id = ?",
        (new, to_db(now), subscriber_id),
    )
