"""Store part for the chat commands' reads and writes done in one round trip each, so a
burst of commands costs as few trips to the database as possible.

A command reads what it needs about its chat in one statement (``chat_view``: the
subscriber, its live subscriptions and its server's admin role) and makes its change in one
transaction that also stores a chat seen for the first time (``subscribe_chat``,
``change_chat``): two trips where a command made five to seven (find, admin role, store
the draft, write, find again, record the announcement flag)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from digests.models import Subscriber, Subscription
from digests.store._base import StoreBase
from digests.store._subscribers import (
    CHAT_FIELDS,
    SCHEDULE_FIELDS,
    _subscriber,
    withdraw_early_digest,
)
from digests.store._subscriptions import record_change, require_live
from digests.timeutil import to_db


@dataclass(frozen=True)
class ChatView:
    """What a command needs to know about its chat, read at once: the subscriber (None
    for a chat never stored) and the admin role of its server (None if unset or no
    server)."""

    subscriber: Subscriber | None
    admin_role: str | None


class CommandStore(StoreBase):
    async def chat_view(self, platform: str, chat_id: str, guild_id: str | None) -> ChatView:
        """The chat (no forum topic: ``thread_id`` empty) and its server's admin role, in
        one statement: a row per live subscription (in category order), or one row."""
        rows = await self._fetchall(
            """SELECT s.*, g.admin_role AS x_admin_role, sub.category AS x_category,
                      sub.keywords AS x_keywords
               FROM (SELECT CAST(? AS TEXT) AS platform, CAST(? AS TEXT) AS chat_id,
                            CAST(? AS TEXT) AS guild_id) q
               LEFT JOIN subscribers s
                 ON s.platform = q.platform AND s.chat_id = q.chat_id AND s.thread_id = ''
               LEFT JOIN guild_settings g
                 ON g.platform = q.platform AND g.guild_id = q.guild_id
               LEFT JOIN (subscriptions sub JOIN categories c
                          ON c.slug = sub.category AND c.retired_at IS NULL)
                 ON sub.subscriber_id = s.id
               ORDER BY c.position, c.slug""",
            (platform, chat_id, guild_id),
        )
        first = rows[0]
        if first["id"] is None:
            return ChatView(None, first["x_admin_role"])
        subscriptions = tuple(
            Subscription(r["x_category"], _keywords(r["x_keywords"]))
            for r in rows
            if r["x_category"] is not None
        )
        return ChatView(_subscriber(first, subscriptions), first["x_admin_role"])

    async def subscribe_chat(
        self,
        chat: Subscriber,
        categories: Sequence[str],
        *,
        now: datetime,
        by: str | None = None,
        announcement: bool | None = None,
    ) -> int:
        """Add subscriptions to ``chat`` (a draft, id 0, is stored first) and, unless None,
        record whether it is an announcement channel: one transaction. Returns the chat's
        id. Raises NotFound when a category is not live, SubscriberGone when a stored chat
        was forgotten meanwhile (a draft is stored again: it was never forgotten)."""
        wanted = list(dict.fromkeys(categories))
        async with self._transaction() as db:
            await require_live(db, wanted)
            subscriber_id = chat.id or await self._insert_draft(db, chat)
            what = "subscribed: " + ", ".join(wanted)
            await record_change(db, subscriber_id, what=what, by=by, now=now)
            await db.executemany(
                """INSERT INTO subscriptions (subscriber_id, category, created_at)
                   VALUES (?, ?, ?) ON CONFLICT DO NOTHING""",
                [(subscriber_id, c, to_db(now)) for c in wanted],
            )
            if announcement is not None and chat.guild_id is not None:
                await db.execute(
                    "UPDATE subscribers SET announcement = ? WHERE id = ?",
                    (int(announcement), subscriber_id),
                )
        return subscriber_id

    async def change_chat(
        self,
        chat: Subscriber,
        *,
        now: datetime,
        change: str | None,
        by: str | None = None,
        **fields: object,
    ) -> int:
        """Change ``chat``'s schedule or state fields (``CHAT_FIELDS``), storing a draft
        first, and record a person's change (``change``): one transaction. A changed
        schedule is due again from now on (as ``update_subscriber``). Returns the chat's
        id; raises SubscriberGone when a stored chat was forgotten meanwhile."""
        unknown = set(fields) - CHAT_FIELDS
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
        values = dict(fields)
        if SCHEDULE_FIELDS & fields.keys():
            values["next_digest_at"] = None
        assignments = ", ".join(f"{k} = ?" for k in values)
        async with self._transaction() as db:
            subscriber_id = chat.id or await self._insert_draft(db, chat)
            if change is not None:  # a person's change names itself; the bot's does not
                await record_change(db, subscriber_id, what=change, by=by, now=now)
            await db.execute(
                f"UPDATE subscribers SET {assignments} WHERE id = ?",
                (*values.values(), subscriber_id),
            )
            if SCHEDULE_FIELDS & fields.keys():
                await withdraw_early_digest(db, subscriber_id, now=now)
        return subscriber_id

    async def _insert_draft(self, db: aiosqlite.Connection, chat: Subscriber) -> int:
        """Inside a transaction: the id of the chat a draft describes, storing it with the
        draft's defaults when it is not stored yet (another command may have just)."""
        assert chat.created_at is not None, "a draft subscriber carries created_at"
        stamp = to_db(chat.created_at)
        async with db.execute(
            """INSERT INTO subscribers (platform, chat_id, thread_id, guild_id, language,
                   timezone, digest_time, set_up_by, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (platform, chat_id, thread_id)
               DO UPDATE SET updated_at = subscribers.updated_at
               RETURNING id""",
            (
                chat.platform,
                chat.chat_id,
                chat.thread_id or "",
                chat.guild_id,
                chat.language,
                chat.timezone,
                chat.digest_time,
                chat.set_up_by,
                stamp,
                stamp,
            ),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None  # RETURNING gives the row, inserted or already there
        return int(row[0])


def _keywords(stored: str | None) -> tuple[str, ...]:
    return tuple(k for k in stored.split("\n") if k) if stored else ()
