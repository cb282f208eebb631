"""Store part for the delivery log and the record of stories each subscriber has received."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from digests.store._base import StoreBase
from digests.timeutil import to_db


class DeliveryStore(StoreBase):
    async def record_delivery(
        self,
        subscriber_id: int,
        *,
        kind: str,
        status: str,
        now: datetime,
        story_ids: Sequence[int] = (),
        parts: int = 0,
        period: str | None = None,
        error: str | None = None,
    ) -> int:
        """Log one delivery; when it was sent, remember its stories as received.

        ``kind`` is digest, breaking or preview; a preview never marks stories as received,
        because a reader asking "what would I get" has not been sent their digest.

        Returns 0, recording nothing, when the subscriber no longer exists: a forget
        confirmed while a ``/digest`` preview was being sent wins, and the preview ends
        quietly instead of failing on a foreign key.
        """
        sent = status == "sent"
        async with self._transaction() as db:
            # One statement: the subscriber is looked up and the row written together.
            cursor = await db.execute(
                """INSERT INTO deliveries (subscriber_id, kind, period, status, story_count,
                       parts, error, created_at, sent_at)
                   SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
                   WHERE EXISTS (SELECT 1 FROM subscribers WHERE id = ?)
                   RETURNING id""",
                (
                    subscriber_id,
                    kind,
                    period,
                    status,
                    len(story_ids),
                    parts,
                    error,
                    to_db(now),
                    to_db(now) if sent else None,
                    subscriber_id,
                ),
            )
            row = await cursor.fetchone()
            if row is None:
                return 0
            delivery_id = int(row[0])
            if sent and kind != "preview":
                await db.executemany(
                    """INSERT INTO sent_stories (subscriber_id, story_id, delivery_id, sent_at)
                       VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                    [(subscriber_id, s, delivery_id, to_db(now)) for s in story_ids],
                )
        return delivery_id

    async def sent_story_ids(self, subscriber_id: int) -> set[int]:
        rows = await self._fetchall(
            "SELECT story_id FROM sent_stories WHERE subscriber_id = ?", (subscriber_id,)
        )
        return {int(r[0]) for r in rows}

    async def counts(self) -> dict[str, int]:
        """Row counts for ``digestbot stats``."""
        queries = {
            "categories": "SELECT COUNT(*) FROM categories",
            "feeds": "SELECT COUNT(*) FROM feeds WHERE disabled = 0",
            "feeds_disabled": "SELECT COUNT(*) FROM feeds WHERE disabled = 1",
            "feeds_failing": "SELECT COUNT(*) FROM feeds WHERE consecutive_errors > 0",
            "articles": "SELECT COUNT(*) FROM articles",
            "stories": "SELECT COUNT(*) FROM stories",
            "subscribers": "SELECT COUNT(*) FROM subscribers WHERE active = 1 AND paused = 0",
            "subscribers_inactive": "SELECT COUNT(*) FROM subscribers "
            "WHERE active = 0 OR paused = 1",
            "deliveries_sent": "SELECT COUNT(*) FROM deliveries WHERE status = 'sent'",
            "deliveries_failed": "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'",
        }
        result = {}
        for name, sql in queries.items():
            row = await self._fetchone(sql)
            result[name] = int(row[0]) if row else 0
        return result
