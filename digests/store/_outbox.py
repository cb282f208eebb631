"""Store part for the delivery outbox: queueing entries and taking them to send.

The outbox is keyed by (subscriber, kind, period) so that neither a restart nor a second
dispatcher can make two digests for one period. What happens to a taken entry (each part
recorded, then sent, retried or given up) is in ``_outcomes``; breaking pushes, which
enqueue through ``insert_entries``, are in ``_admin``.

Several processes may send from one outbox. An entry taken to send is 'sending', held by
``claimed_by`` until ``lease_until``; its holder renews the lease while it sends. Another
process takes it over once the lease has expired (at ``lease_until``, second precision),
or at once when its holder's heartbeat row (``_processes``) is older than ``dead_after``:
the holder died, and its sends will not finish. A claim is one write transaction (BEGIN
IMMEDIATE on SQLite, the write lock and ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so
two processes claiming at once never take the same entry.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from digests.models import OutboxEntry
from digests.outgoing import OutgoingMessage
from digests.store._base import StoreBase, chunks, placeholders
from digests.store._enqueue import OutboxItem, insert_entries, message_from_json
from digests.store._outcomes import fetch_rows
from digests.store._push_counts import keep_purged_counts
from digests.timeutil import to_db

log = logging.getLogger(__name__)

BREAKING_PRIORITY = 10
FINAL = ("sent", "dead", "cancelled")

# What a claim reads: the entry and where it goes.
_CLAIMED = "o.*, s.chat_id, s.thread_id, s.breaking_role, s.announcement"


async def requeue_sending(db: aiosqlite.Connection, *, holder: str, now: datetime) -> int:
    """Inside a write transaction: put the entries ``holder`` holds 'sending' back in the
    queue untouched, their lease cleared; return how many."""
    cursor = await db.execute(
        "UPDATE outbox SET status = 'queued', claimed_by = NULL, lease_until = NULL, "
        "updated_at = ? WHERE status = 'sending' AND claimed_by = ?",
        (to_db(now), holder),
    )
    return cursor.rowcount


class OutboxStore(StoreBase):
    async def enqueue(
        self,
        items: Sequence[OutboxItem],
        *,
        now: datetime,
        reschedule: Sequence[tuple[int, datetime]] = (),
    ) -> int:
        """Add entries (an existing (subscriber, kind, period) is left alone) and set the
        subscribers' next due times, in one transaction; return how many were added."""
        async with self._transaction() as db:
            return await insert_entries(db, items, now=now, reschedule=reschedule)

    async def claim(
        self,
        *,
        now: datetime,
        limit: int,
        platforms: Sequence[str],
        holder: str = "",
        lease: timedelta = timedelta(seconds=60),
        dead_after: timedelta = timedelta(seconds=15),
    ) -> list[OutboxEntry]:
        """Take up to ``limit`` entries for these platforms, mark them 'sending', held by
        ``holder`` until ``now + lease``: first those left 'sending' by another process
        (lease expired or missing, or their holder's heartbeat older than ``dead_after``),
        then ready ones, highest priority first.

        A holder named '' (a single process without a heartbeat) is never taken to be
        dead, and neither is ``holder`` itself: its own entries still in flight are left
        to its renewals (only an expired lease of its own is taken again)."""
        if not platforms or limit <= 0:
            return []
        stamp = to_db(now)
        platform_list = placeholders(platforms)
        async with self._transaction() as db:
            # Abandoned entries are few (at most the sends in flight of the dead), and
            # looked up through the (status, lease_until) index apart from the ready ones,
            # so the usual claim keeps its own plan.
            rows = await fetch_rows(
                db,
                f"""SELECT {_CLAIMED} FROM outbox o
                    JOIN subscribers s ON s.id = o.subscriber_id
                    WHERE o.status = 'sending' AND o.platform IN ({platform_list})
                      AND (o.lease_until IS NULL OR o.lease_until <= ?
                           OR (o.claimed_by <> '' AND o.claimed_by <> ?
                               AND NOT EXISTS (SELECT 1 FROM processes p
                                               WHERE p.name = o.claimed_by
                                                 AND p.heartbeat_at >= ?)))
                    ORDER BY o.priority DESC, o.id LIMIT ?{self.dialect.skip_locked("o")}""",
                (*platforms, stamp, holder, to_db(now - dead_after), limit),
            )
            if len(rows) < limit:
                rows += await fetch_rows(
                    db,
                    f"""SELECT {_CLAIMED} FROM outbox o
                        JOIN subscribers s ON s.id = o.subscriber_id
                        WHERE o.status IN ('queued', 'retrying') AND o.next_attempt_at <= ?
                          AND o.platform IN ({platform_list})
                        ORDER BY o.priority DESC, o.due_at, o.id
                        LIMIT ?{self.dialect.skip_locked("o")}""",
                    (stamp, *platforms, limit - len(rows)),
                )
            until = to_db(now + lease)
            await db.executemany(
                "UPDATE outbox SET status = 'sending', claimed_by = ?, lease_until = ?, "
                "updated_at = ? WHERE id = ?",
                [(holder, until, stamp, row["id"]) for row in rows],
            )
        return [
            OutboxEntry(
                id=row["id"],
                subscriber_id=row["subscriber_id"],
                kind=row["kind"],
                period=row["period"],
                priority=row["priority"],
                platform=row["platform"],
                chat_id=row["chat_id"],
                thread_id=row["thread_id"] or None,
                payload_ids=tuple(json.loads(row["payload_ids"])),
                parts_sent=row["parts_sent"],
                story_ids=tuple(json.loads(row["story_ids"])),
                cursor=row["cursor"],
                attempts=row["attempts"],
                plain_fallback=bool(row["plain_fallback"]),
                breaking_role=row["breaking_role"],
                announcement=bool(row["announcement"]),
            )
            for row in rows
        ]

    async def pending_story_ids_for(self, subscriber_ids: Sequence[int]) -> dict[int, set[int]]:
        """Stories in entries not yet delivered: a digest planned while yesterday's is still
        queued must not repeat them."""
        result: dict[int, set[int]] = {}
        for part in chunks(list(subscriber_ids)):
            for row in await self._fetchall(
                f"""SELECT subscriber_id, story_ids FROM outbox
                    WHERE status NOT IN ({placeholders(FINAL)})
                      AND subscriber_id IN ({placeholders(part)})""",
                (*FINAL, *part),
            ):
                result.setdefault(row[0], set()).update(json.loads(row[1]))
        return result

    async def payload_bodies(self, payload_ids: Sequence[int]) -> dict[int, OutgoingMessage]:
        found: dict[int, OutgoingMessage] = {}
        for part in chunks(list(payload_ids)):
            for row in await self._fetchall(
                f"SELECT id, body FROM payloads WHERE id IN ({placeholders(part)})", part
            ):
                try:
                    found[row["id"]] = message_from_json(zlib.decompress(row["body"]).decode())
                except (zlib.error, ValueError, TypeError, KeyError, AttributeError) as exc:
                    # Unreadable (a torn write, a bad restore, another version's body): as
                    # a missing one, its entry alone is dead-lettered when it is delivered,
                    # which is the one line logged at ERROR.
                    log.debug("stored message body %s cannot be read (%r)", row["id"], exc)
        return found

    async def entry_exists(self, entry_id: int) -> bool:
        """Whether a taken entry is still there: forgetting a chat deletes its entries,
        those being sent included."""
        return await self._fetchone("SELECT 1 FROM outbox WHERE id = ?", (entry_id,)) is not None

    async def release(self, entry_id: int, *, now: datetime) -> None:
        """Put a claimed entry back in the queue untouched (shutting down), its lease cleared."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'queued', claimed_by = NULL, lease_until = NULL, "
                "updated_at = ? WHERE id = ? AND status = 'sending'",
                (to_db(now), entry_id),
            )

    async def renew_leases(
        self, holder: str, entry_ids: Sequence[int], *, now: datetime, lease: timedelta
    ) -> int:
        """Extend to ``now + lease`` the leases ``holder`` still has on these entries (it is
        sending them); return how many. An entry finished meanwhile, or taken over by
        another process after its lease expired, is not counted."""
        if not entry_ids:
            return 0
        renewed = 0
        async with self._transaction() as db:
            for part in chunks(sorted(entry_ids)):
                cursor = await db.execute(
                    f"""UPDATE outbox SET lease_until = ?
                        WHERE status = 'sending' AND claimed_by = ?
                          AND id IN ({placeholders(part)})""",
                    (to_db(now + lease), holder, *part),
                )
                renewed += max(cursor.rowcount, 0)
        return renewed

    async def release_held(self, holder: str, *, now: datetime) -> int:
        """Put every entry ``holder`` holds 'sending' back in the queue (a process stopping,
        or starting again under the same name after a crash); return how many."""
        async with self._transaction() as db:
            return await requeue_sending(db, holder=holder, now=now)

    async def outbox_counts(self) -> dict[str, dict[str, int]]:
        """Entries per platform and status, for ``digestbot stats``."""
        result: dict[str, dict[str, int]] = {}
        for row in await self._fetchall(
            "SELECT platform, status, COUNT(*) FROM outbox GROUP BY platform, status"
        ):
            result.setdefault(row[0], {})[row[1]] = int(row[2])
        return result

    async def outbox_entry(self, entry_id: int) -> dict[str, Any]:
        row = await self._fetchone("SELECT * FROM outbox WHERE id = ?", (entry_id,))
        return dict(row) if row else {}

    async def purge_outbox_before(self, cutoff: datetime) -> int:
        """Retention: finished entries and delivery records older than ``cutoff``, and
        payloads nothing refers to any more."""
        old = f"status IN ({placeholders(FINAL)}) AND updated_at < ?"
        async with self._transaction() as db:
            await keep_purged_counts(db, old, (*FINAL, to_db(cutoff)))
            cursor = await db.execute(f"DELETE FROM outbox WHERE {old}", (*FINAL, to_db(cutoff)))
            await db.execute("DELETE FROM deliveries WHERE created_at < ?", (to_db(cutoff),))
            await db.execute(
                "DELETE FROM payloads WHERE id NOT IN (SELECT CAST(value AS INTEGER) "
                f"FROM outbox, {self.dialect.json_list('outbox.payload_ids')})"
            )
            return cursor.rowcount
