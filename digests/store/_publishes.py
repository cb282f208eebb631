"""Store part for Discord announcement channels: which subscribed channels are ones, and
the per-channel record of publishes that keeps Discord's hourly limit across restarts.

A publish is reserved before it is asked of Discord (``reserve_publish``: the decision and
its row in one transaction, so two senders cannot both take the last one of the hour) and
its row corrected afterwards if Discord refused it (``publish_refused``). A 429 sets a hold
(``publish_holds``) that no publish of that channel passes. Both tables go with the chat
(ON DELETE CASCADE), so ``/forget`` leaves nothing of it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digests.publishing import (
    PUBLISH_KEEP,
    PUBLISH_LIMIT,
    PUBLISH_WINDOW,
    PublishVerdict,
    decide_publish,
)
from digests.store._base import StoreBase
from digests.timeutil import from_db, to_db

# The outcomes of a publish that Discord counted (or may have counted: a time-out).
COUNTED = ("published", "failed")


@dataclass(frozen=True)
class Reservation:
    """A publish decided on: ``row_id`` is its row when it may go out."""

    subscriber_id: int
    verdict: PublishVerdict
    row_id: int | None = None


class PublishStore(StoreBase):
    async def set_announcement(self, platform: str, chat_id: str, announcement: bool) -> bool:
        """Record whether a channel is an announcement channel; True if that changed. A
        DM (no server) is never one: nothing can be published from it."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE subscribers SET announcement = ? WHERE platform = ? AND chat_id = ? "
                "AND thread_id = '' AND announcement != ? "
                "AND (guild_id IS NOT NULL OR ? = 0)",
                (int(announcement), platform, chat_id, int(announcement), int(announcement)),
            )
            return cursor.rowcount > 0

    async def announcements_of_guild(self, platform: str, guild_id: str) -> dict[str, bool]:
        """Each stored channel of a server: whether it is an announcement channel."""
        rows = await self._fetchall(
            "SELECT chat_id, announcement FROM subscribers "
            "WHERE platform = ? AND guild_id = ? AND thread_id = ''",
            (platform, guild_id),
        )
        return {str(r[0]): bool(r[1]) for r in rows}

    async def is_announcement(self, platform: str, chat_id: str) -> bool:
        row = await self._fetchone(
            "SELECT announcement FROM subscribers "
            "WHERE platform = ? AND chat_id = ? AND thread_id = ''",
            (platform, chat_id),
        )
        return bool(row and row[0])

    async def reserve_publish(
        self,
        platform: str,
        chat_id: str,
        message_id: str,
        *,
        now: datetime,
        limit: int = PUBLISH_LIMIT,
    ) -> Reservation | None:
        """Decide whether this message may be published now and record it: counted when
        it may, 'limited' when not. None when the channel is no (longer an) announcement
        channel of a stored subscriber: nothing to publish, nothing recorded."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT id FROM subscribers WHERE platform = ? AND chat_id = ? "
                "AND thread_id = '' AND announcement = 1 AND guild_id IS NOT NULL",
                (platform, chat_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            subscriber_id = int(row[0])
            await db.execute(
                "DELETE FROM publishes WHERE subscriber_id = ? AND at < ?",
                (subscriber_id, to_db(now - PUBLISH_KEEP)),
            )
            async with db.execute(
                "SELECT until FROM publish_holds WHERE subscriber_id = ?", (subscriber_id,)
            ) as cursor:
                hold = await cursor.fetchone()
            async with db.execute(
                "SELECT at FROM publishes WHERE subscriber_id = ? AND at > ? AND outcome IN (?, ?)",
                (subscriber_id, to_db(now - PUBLISH_WINDOW), *COUNTED),
            ) as cursor:
                attempts = [from_db(r[0]) for r in await cursor.fetchall()]
            verdict = decide_publish(
                [a for a in attempts if a is not None],
                from_db(hold[0]) if hold else None,
                now,
                limit=limit,
            )
            cursor = await db.execute(
                "INSERT INTO publishes (subscriber_id, message_id, at, outcome) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (
                    subscriber_id,
                    message_id,
                    to_db(now),
                    "published" if verdict.allowed else "limited",
                ),
            )
            inserted = await cursor.fetchone()
            assert inserted is not None
            return Reservation(
                subscriber_id, verdict, int(inserted[0]) if verdict.allowed else None
            )

    async def publish_refused(
        self, reservation: Reservation, *, limited: bool, hold_until: datetime | None = None
    ) -> None:
        """Discord did not publish a reserved message: 'limited' (a 429, which Discord
        did not count; with the hold it asked for) or 'failed' (counted: it may have gone
        through)."""
        if reservation.row_id is None:
            return
        async with self._transaction() as db:
            await db.execute(
                "UPDATE publishes SET outcome = ? WHERE id = ?",
                ("limited" if limited else "failed", reservation.row_id),
            )
            if hold_until is not None:
                # The subscriber may have been forgotten meanwhile: then there is no hold.
                await db.execute(
                    "INSERT INTO publish_holds (subscriber_id, until) "
                    "SELECT id, ? FROM subscribers WHERE id = ? "
                    "ON CONFLICT (subscriber_id) DO UPDATE SET until = excluded.until",
                    (to_db(hold_until), reservation.subscriber_id),
                )

    async def publishes_of(self, subscriber_id: int) -> list[tuple[str, str]]:
        """(message id, outcome) of a channel's recorded publishes, oldest first."""
        rows = await self._fetchall(
            "SELECT message_id, outcome FROM publishes WHERE subscriber_id = ? ORDER BY id",
            (subscriber_id,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def publish_hold(self, subscriber_id: int) -> datetime | None:
        row = await self._fetchone(
            "SELECT until FROM publish_holds WHERE subscriber_id = ?", (subscriber_id,)
        )
        return from_db(row[0]) if row else None
