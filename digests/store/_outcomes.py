"""Store part for what became of an outbox entry taken to send: each part recorded as
the platform accepts it, then sent, retried later or given up.

A message part is recorded only after the platform accepted it, and the subscriber's cursor
and "stories received" move only when every part of an entry was delivered.
"""

from __future__ import annotations

from datetime import datetime

from digests.models import OutboxEntry
from digests.store._admin import finish_pushes
from digests.store._base import StoreBase
from digests.timeutil import to_db


class OutcomeStore(StoreBase):
    async def mark_part_sent(
        self, entry_id: int, part: int, message_id: str, *, now: datetime
    ) -> None:
        """Record that part ``part`` was accepted; a restart resumes after it."""
        async with self._transaction() as db:
            await db.execute(
                """UPDATE outbox SET parts_sent = ? + 1,
                       message_ids = json_insert(message_ids, '$[#]', ?), updated_at = ?
                   WHERE id = ? AND parts_sent = ?""",
                (part, message_id, to_db(now), entry_id, part),
            )

    async def complete(
        self, entry: OutboxEntry, *, now: datetime, last_part: tuple[int, str] | None = None
    ) -> None:
        """Every part was delivered: mark it sent, remember its stories as received, log
        the delivery, move a digest's cursor and clear the subscriber's failure count.
        ``last_part`` (part number, message id) records the final part in the same
        transaction."""
        stamp = to_db(now)
        async with self._transaction() as db:
            if last_part is not None:
                await db.execute(
                    """UPDATE outbox SET parts_sent = ? + 1,
                           message_ids = json_insert(message_ids, '$[#]', ?)
                       WHERE id = ? AND parts_sent = ?""",
                    (last_part[0], last_part[1], entry.id, last_part[0]),
                )
            await db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, updated_at = ?, "
                "last_error = NULL WHERE id = ?",
                (stamp, stamp, entry.id),
            )
            cursor = await db.execute(
                """INSERT INTO deliveries (subscriber_id, kind, period, status, story_count,
                       parts, created_at, sent_at) VALUES (?, ?, ?, 'sent', ?, ?, ?, ?)""",
                (
                    entry.subscriber_id,
                    entry.kind,
                    entry.period,
                    len(entry.story_ids),
                    len(entry.payload_ids),
                    stamp,
                    stamp,
                ),
            )
            await db.executemany(
                """INSERT INTO sent_stories (subscriber_id, story_id, delivery_id, sent_at)
                   VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                [(entry.subscriber_id, s, cursor.lastrowid, stamp) for s in entry.story_ids],
            )
            if entry.kind == "digest" and entry.cursor is not None:
                await db.execute(
                    """UPDATE subscribers
                       SET cursor_article_id = MAX(COALESCE(cursor_article_id, 0), ?),
                           last_digest_at = ?
                       WHERE id = ?""",
                    (entry.cursor, stamp, entry.subscriber_id),
                )
            await db.execute(
                "UPDATE subscribers SET delivery_failures = 0 WHERE id = ?",
                (entry.subscriber_id,),
            )
            await finish_pushes(db, "id = ?", (entry.id,), stamp)

    async def retry_later(
        self,
        entry_id: int,
        *,
        now: datetime,
        at: datetime,
        error: str,
        count_attempt: bool = True,
        plain_fallback: bool | None = None,
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                """UPDATE outbox SET status = 'retrying', next_attempt_at = ?, last_error = ?,
                       attempts = attempts + ?, updated_at = ?,
                       plain_fallback = COALESCE(?, plain_fallback)
                   WHERE id = ?""",
                (
                    to_db(at),
                    error[:500],
                    int(count_attempt),
                    to_db(now),
                    None if plain_fallback is None else int(plain_fallback),
                    entry_id,
                ),
            )

    async def give_up(
        self, entry_id: int, *, now: datetime, error: str, status: str = "dead"
    ) -> None:
        """Dead-letter an entry (or cancel it) with the reason; it is never retried."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = ?, last_error = ?, updated_at = ? WHERE id = ?",
                (status, error[:500], to_db(now), entry_id),
            )
            await db.execute(
                """INSERT INTO deliveries (subscriber_id, kind, period, status, error, created_at)
                   SELECT subscriber_id, kind, period, 'failed', ?, ? FROM outbox WHERE id = ?""",
                (error[:500], to_db(now), entry_id),
            )
            await finish_pushes(db, "id = ?", (entry_id,), to_db(now))

    async def note_delivery_failure(self, subscriber_id: int) -> int:
        """Count one more consecutive refusal for a subscriber; return the count."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE subscribers SET delivery_failures = delivery_failures + 1 WHERE id = ?",
                (subscriber_id,),
            )
            async with db.execute(
                "SELECT delivery_failures FROM subscribers WHERE id = ?", (subscriber_id,)
            ) as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0
