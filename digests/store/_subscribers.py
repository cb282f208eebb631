"""Store part for subscribers (chats, channels, DMs) and their subscriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from digests.models import BLOCKED_REASONS, Frequency, Subscriber, Subscription
from digests.store._admin import finish_pushes
from digests.store._base import NotFound, placeholders
from digests.store._due import DueStore, due_clause
from digests.store._migrate import migration_key, move_chat
from digests.store._outbox import FINAL
from digests.store._subscriptions import SubscriptionStore, audit_forget, record_change
from digests.timeutil import from_db, to_db

SCHEDULE_FIELDS = frozenset({"timezone", "digest_time", "frequency", "weekly_day", "paused"})
# The fields a command may change with ``change_chat`` (the schedule and language; what
# pause and resume set).
CHAT_FIELDS = frozenset(
    {
        "language",
        "timezone",
        "digest_time",
        "frequency",
        "weekly_day",
        "paused",
        "active",
        "inactive_reason",
    }
)


async def withdraw_early_digest(
    db: aiosqlite.Connection, subscriber_id: int, *, now: datetime
) -> None:
    """Inside a transaction changing a schedule: a digest queued early (a crowd's) for a
    minute still ahead, none of it sent, is withdrawn, so that a pause stops it and a new
    time gets its own. Deleted, not cancelled: the next dispatch plans the period again."""
    await db.execute(
        "DELETE FROM outbox WHERE subscriber_id = ? AND kind = 'digest' "
        "AND status = 'queued' AND parts_sent = 0 AND due_at > ?",
        (subscriber_id, to_db(now)),
    )


@dataclass(frozen=True)
class ForgetReport:
    """What deleting a subscriber removed."""

    subscriptions: int
    deliveries: int
    sent_stories: int


class SubscriberStore(DueStore, SubscriptionStore):
    async def upsert_subscriber(
        self,
        platform: str,
        chat_id: str,
        *,
        now: datetime,
        thread_id: str | None = None,
        guild_id: str | None = None,
        language: str = "en",
        timezone: str = "UTC",
        digest_time: str = "08:00",
        set_up_by: str | None = None,
    ) -> Subscriber:
        """Return the subscriber for this chat (and thread), creating it with these defaults.

        The row is read back in the same transaction: another process cannot forget the
        chat between the insert and the read."""
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO subscribers (platform, chat_id, thread_id, guild_id, language,
                       timezone, digest_time, set_up_by, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, chat_id, thread_id) DO NOTHING""",
                (
                    platform,
                    chat_id,
                    thread_id or "",
                    guild_id,
                    language,
                    timezone,
                    digest_time,
                    set_up_by,
                    to_db(now),
                    to_db(now),
                ),
            )
            found = await self._select(
                "WHERE platform = ? AND chat_id = ? AND thread_id = ?",
                (platform, chat_id, thread_id or ""),
                db,
            )
        return found[0]

    async def stored(self, subscriber: Subscriber) -> Subscriber:
        """The stored subscriber for a draft (id 0: a chat never stored, drawn up by an
        adapter with its defaults), storing it now; a stored one is returned as it is.

        Actions call this only when they are about to write, so invalid input from a new
        chat stores nothing."""
        if subscriber.id:
            return subscriber
        # A draft's created_at is the adapter's clock reading when it drew the draft up.
        assert subscriber.created_at is not None, "a draft subscriber carries created_at"
        return await self.upsert_subscriber(
            subscriber.platform,
            subscriber.chat_id,
            now=subscriber.created_at,
            thread_id=subscriber.thread_id,
            guild_id=subscriber.guild_id,
            language=subscriber.language,
            timezone=subscriber.timezone,
            digest_time=subscriber.digest_time,
            set_up_by=subscriber.set_up_by,
        )

    async def find_subscriber(
        self, platform: str, chat_id: str, thread_id: str | None = None
    ) -> Subscriber | None:
        """Return the subscriber for this chat (and thread), or None when there is none."""
        found = await self._select(
            "WHERE platform = ? AND chat_id = ? AND thread_id = ?",
            (platform, chat_id, thread_id or ""),
        )
        return found[0] if found else None

    async def subscribers_of_chat(self, platform: str, chat_id: str) -> list[Subscriber]:
        """Every subscriber of a chat (the chat itself and each of its forum topics)."""
        return await self._select("WHERE platform = ? AND chat_id = ?", (platform, chat_id))

    async def subscribers_of_guild(self, platform: str, guild_id: str) -> list[Subscriber]:
        """Every subscriber (channel, thread) of one community server."""
        return await self._select("WHERE platform = ? AND guild_id = ?", (platform, guild_id))

    async def active_guilds(self, platform: str) -> set[str]:
        """The servers that have at least one active subscriber."""
        rows = await self._fetchall(
            "SELECT DISTINCT guild_id FROM subscribers "
            "WHERE platform = ? AND active = 1 AND guild_id IS NOT NULL",
            (platform,),
        )
        return {str(r[0]) for r in rows}

    async def get_subscriber(self, subscriber_id: int) -> Subscriber:
        """Return a subscriber by id; raises NotFound when it does not exist."""
        found = await self._select("WHERE id = ?", (subscriber_id,))
        if not found:
            raise NotFound(f"no subscriber {subscriber_id}")
        return found[0]

    async def list_subscribers(self, *, active_only: bool = False) -> list[Subscriber]:
        return await self._select("WHERE active = 1 AND paused = 0" if active_only else "", ())

    async def due_subscribers(
        self, now: datetime, *, early: Mapping[str, datetime] | None = None
    ) -> list[Subscriber]:
        """Active, unpaused subscribers whose next digest is due at ``now`` or earlier, and
        on each platform of ``early`` those due up to its instant (a crowd started early).
        A dispatch reads them in batches (``due_batches``)."""
        where, params = due_clause(now, early)
        return await self._select(f"WHERE {where}", params)

    async def unscheduled_subscribers(self) -> list[Subscriber]:
        """Active subscribers without a next due time yet (new, or schedule just changed)."""
        return await self._select("WHERE active = 1 AND paused = 0 AND next_digest_at IS NULL", ())

    async def update_subscriber(
        self,
        subscriber_id: int,
        *,
        now: datetime,
        change: str | None = None,
        by: str | None = None,
        **fields: object,
    ) -> None:
        """Change schedule and state fields (language, timezone, digest_time, frequency,
        weekly_day, paused, active, inactive_reason, guild_id, next_digest_at,
        breaking_role). A person's change names itself in ``change`` (and who in ``by``):
        it is recorded on the row in the same transaction, and a subscriber that no longer
        exists raises SubscriberGone."""
        allowed = CHAT_FIELDS | {"guild_id", "next_digest_at", "breaking_role"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
        values = {k: to_db(v) if isinstance(v, datetime) else v for k, v in fields.items()}
        if SCHEDULE_FIELDS & fields.keys() and "next_digest_at" not in fields:
            # A changed schedule (or a resume) is due again from now on: the dispatcher
            # computes the next time, and a digest missed while paused is not caught up.
            values["next_digest_at"] = None
        assignments = ", ".join(f"{k} = ?" for k in values)
        async with self._transaction() as db:
            if change is not None:
                await record_change(db, subscriber_id, what=change, by=by, now=now)
            await db.execute(
                f"UPDATE subscribers SET {assignments}, updated_at = ? WHERE id = ?",
                (*values.values(), to_db(now), subscriber_id),
            )
            if SCHEDULE_FIELDS & fields.keys():
                await withdraw_early_digest(db, subscriber_id, now=now)

    async def advance_cursor(
        self, subscriber_id: int, *, article_id: int, digest_at: datetime
    ) -> None:
        """Move the digest cursor forward (never back) once a whole digest was delivered."""
        later = self.dialect.greatest("COALESCE(cursor_article_id, 0)", "?")
        async with self._transaction() as db:
            await db.execute(
                f"""UPDATE subscribers
                   SET cursor_article_id = {later},
                       last_digest_at = ?
                   WHERE id = ?""",
                (article_id, to_db(digest_at), subscriber_id),
            )

    async def forget_subscriber(
        self, subscriber_id: int, *, by: str | None = None, now: datetime | None = None
    ) -> ForgetReport:
        """Delete a subscriber and everything stored about it; raises NotFound if unknown.

        A group or channel forgotten by someone (``by``, at ``now``) leaves an audit row
        naming them; a private chat leaves nothing."""
        async with self._transaction() as db:
            if by and now is not None:
                await audit_forget(db, subscriber_id, by=by, now=now)
            counts = []
            for table in ("subscriptions", "deliveries", "sent_stories"):
                row = await (
                    await db.execute(
                        f"SELECT COUNT(*) FROM {table} WHERE subscriber_id = ?", (subscriber_id,)
                    )
                ).fetchone()
                counts.append(int(row[0]) if row else 0)
            cursor = await db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))
            if cursor.rowcount == 0:
                raise NotFound(f"no subscriber {subscriber_id}")
        return ForgetReport(*counts)

    async def forget_user(self, platform: str, user_id: str) -> int:
        """Drop a person's user id from the chats they set up (the chats stay); return how
        many chats named them."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE subscribers SET set_up_by = NULL WHERE platform = ? AND set_up_by = ?",
                (platform, user_id),
            )
            return cursor.rowcount

    async def deactivate(self, subscriber_id: int, *, reason: str, now: datetime) -> bool:
        """Stop delivering to a subscriber, keeping its settings; pending entries are
        cancelled with the reason. Returns True only for the call that made an active
        subscriber inactive, so whoever is told about it is told once."""
        async with self._transaction() as db:
            changed = await db.execute(
                "UPDATE subscribers SET active = 0, inactive_reason = ?, updated_at = ? "
                "WHERE id = ? AND active = 1",
                (reason, to_db(now), subscriber_id),
            )
            await db.execute(
                f"""UPDATE outbox SET status = 'cancelled', last_error = ?, updated_at = ?
                    WHERE subscriber_id = ? AND status NOT IN ({placeholders(FINAL)})""",
                (reason, to_db(now), subscriber_id, *FINAL),
            )
            await finish_pushes(db, "subscriber_id = ?", (subscriber_id,), to_db(now))
            return changed.rowcount == 1

    async def reactivate(self, subscriber_id: int, *, now: datetime) -> bool:
        """Deliver again to a chat made inactive because delivery was refused (the reader
        blocked the bot, and now writes to it again); True only for the call that did it."""
        async with self._transaction() as db:
            changed = await db.execute(
                "UPDATE subscribers SET active = 1, inactive_reason = NULL, "
                "next_digest_at = NULL, delivery_failures = 0, updated_at = ? "
                "WHERE id = ? AND active = 0 AND ("
                + " OR ".join("substr(inactive_reason, 1, ?) = ?" for _ in BLOCKED_REASONS)
                + ")",
                # A prefix test that is case-sensitive on both engines, as actions.py's
                # startswith(BLOCKED_REASONS) is (SQLite's LIKE ignores ASCII case).
                (
                    to_db(now),
                    subscriber_id,
                    *(part for r in BLOCKED_REASONS for part in (len(r), r)),
                ),
            )
            return changed.rowcount == 1

    async def migrate_chat(self, subscriber_id: int, new_chat_id: str, *, now: datetime) -> None:
        """The subscriber's chat moved to ``new_chat_id`` (a Telegram group that became a
        supergroup): record the move and follow it (``_migrate.move_chat``), in one
        transaction."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT platform, chat_id FROM subscribers WHERE id = ?", (subscriber_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                await move_chat(db, str(row[0]), str(row[1]), new_chat_id, now=now)

    async def migrate_chat_id(self, platform: str, old: str, new: str, *, now: datetime) -> None:
        """The chat ``old`` is now ``new``: record it and move its subscribers, if any."""
        async with self._transaction() as db:
            await move_chat(db, platform, old, new, now=now)

    async def migrated_to(self, platform: str, chat_id: str) -> str | None:
        """Where the chat ``chat_id`` moved, if it did."""
        return await self.get_meta(migration_key(platform, chat_id))

    async def inactive_by_platform(self) -> dict[str, int]:
        rows = await self._fetchall(
            "SELECT platform, COUNT(*) FROM subscribers WHERE active = 0 GROUP BY platform"
        )
        return {row[0]: int(row[1]) for row in rows}

    # --- schedule status ---------------------------------------------------------------
    # ``meta`` holds the dispatcher's bookkeeping (``last_dispatch_at``) that status
    # commands show beside the next subscriber due.

    async def set_meta(self, key: str, value: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else None

    async def next_due_at(self) -> datetime | None:
        row = await self._fetchone(
            "SELECT MIN(next_digest_at) FROM subscribers WHERE active = 1 AND paused = 0"
        )
        return from_db(row[0]) if row and row[0] else None

    async def _select(
        self,
        where: str,
        params: Sequence[object],
        db: aiosqlite.Connection | None = None,
    ) -> list[Subscriber]:
        """The subscribers ``where`` selects, with their live subscriptions; inside a
        transaction pass its ``db``."""
        conn = db if db is not None else self._read_connection()
        async with conn.execute(f"SELECT * FROM subscribers {where} ORDER BY id", params) as cur:
            rows = list(await cur.fetchall())
        if not rows:
            return []
        subs: dict[int, list[Subscription]] = {r["id"]: [] for r in rows}
        # One query for every subscription of the selected subscribers (a dispatch may
        # select a hundred thousand), in category order.
        async with conn.execute(
            f"""SELECT s.subscriber_id, s.category, s.keywords FROM subscriptions s
                JOIN categories c ON c.slug = s.category
                WHERE s.subscriber_id IN (SELECT id FROM subscribers {where})
                  AND c.retired_at IS NULL
                ORDER BY c.position, c.slug""",
            params,
        ) as cur:
            found = list(await cur.fetchall())
        for s in found:
            keywords = tuple(k for k in s[2].split("\n") if k) if s[2] else ()
            subs[s[0]].append(Subscription(s[1], keywords))
        return [_subscriber(r, tuple(subs[r["id"]])) for r in rows]


def _subscriber(row: aiosqlite.Row, subscriptions: tuple[Subscription, ...]) -> Subscriber:
    return Subscriber(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        guild_id=row["guild_id"],
        thread_id=row["thread_id"] or None,
        language=row["language"],
        timezone=row["timezone"],
        digest_time=row["digest_time"],
        frequency=Frequency(row["frequency"]),
        weekly_day=row["weekly_day"],
        active=bool(row["active"]),
        paused=bool(row["paused"]),
        inactive_reason=row["inactive_reason"],
        created_at=from_db(row["created_at"]),
        cursor_article_id=row["cursor_article_id"],
        last_digest_at=from_db(row["last_digest_at"]),
        next_digest_at=from_db(row["next_digest_at"]),
        subscriptions=subscriptions,
        set_up_by=row["set_up_by"],
        breaking_role=row["breaking_role"],
        last_change=row["last_change"],
        changed_by=row["changed_by"],
        changed_at=from_db(row["changed_at"]),
    )
