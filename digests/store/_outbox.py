"""Store part for the delivery outbox: enqueue, claim, record each part, finish.

The outbox is keyed by (subscriber, kind, period) so that neither a restart nor a second
dispatcher can make two digests for one period. A message part is recorded only after the
platform accepted it, and the subscriber's cursor and "stories received" move only when
every part of an entry was delivered.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

import aiosqlite

from digests.models import OutboxEntry
from digests.outgoing import OutgoingMessage
from digests.store._admin import PushBusy
from digests.store._base import StoreBase, chunks, placeholders
from digests.timeutil import from_db, to_db

BREAKING_PRIORITY = 10
FINAL = ("sent", "dead", "cancelled")
# SQL: the push row ``pushes`` has no entry left to send.
_NOTHING_PENDING = """NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.push_id = pushes.id
    AND outbox.status IN ('queued', 'sending', 'retrying'))"""


async def _finish_pushes(
    db: aiosqlite.Connection, of_entries: str, params: Sequence[Any], stamp: str
) -> None:
    """Mark done the pushes of these entries (``of_entries`` selects outbox rows) that have
    nothing left to send: the last entry of a push to finish closes it, whoever polls."""
    await db.execute(
        f"""UPDATE pushes SET status = 'done', finished_at = ?
            WHERE status = 'sending' AND {_NOTHING_PENDING}
              AND id IN (SELECT push_id FROM outbox WHERE {of_entries} AND push_id IS NOT NULL)""",
        (stamp, *params),
    )


@dataclass(frozen=True)
class OutboxItem:
    """What a dispatcher asks to enqueue."""

    subscriber_id: int
    kind: str
    period: str
    platform: str
    messages: Sequence[OutgoingMessage]
    story_ids: Sequence[int] = ()
    cursor: int | None = None
    priority: int = 0
    push_id: int | None = None


def message_to_json(message: OutgoingMessage) -> str:
    # Not dataclasses.asdict: it deep-copies every embed, and a dispatch encodes thousands.
    fields = {f.name: getattr(message, f.name) for f in dataclass_fields(message)}
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def message_from_json(body: str) -> OutgoingMessage:
    data = json.loads(body)
    data["embeds"] = tuple(data.get("embeds") or ())
    data["story_ids"] = tuple(data.get("story_ids") or ())
    return OutgoingMessage(**data)


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
            return await self._enqueue_in(db, items, now=now, reschedule=reschedule)

    async def enqueue_push(
        self,
        items: Sequence[OutboxItem],
        *,
        category: str,
        story_id: int,
        article_id: int,
        requested_by: str,
        now: datetime,
    ) -> tuple[int, int]:
        """Open a breaking push and enqueue its entries in one transaction; return (push
        id, entries added). A push with none added is done at once.

        A push of the category with nothing pending is finished first, so only a push
        still going out blocks this one (raises PushBusy). Because a push and its entries
        appear together, "nothing pending" never means "not enqueued yet".
        """
        stamp = to_db(now)
        try:
            async with self._transaction() as db:
                await db.execute(
                    f"""UPDATE pushes SET status = 'done', finished_at = ?
                        WHERE category = ? AND status = 'sending' AND {_NOTHING_PENDING}""",
                    (stamp, category),
                )
                cursor = await db.execute(
                    """INSERT INTO pushes (category, story_id, article_id, requested_by,
                           created_at) VALUES (?, ?, ?, ?, ?)""",
                    (category, story_id, article_id, requested_by, stamp),
                )
                push_id = int(cursor.lastrowid or 0)
                total = await self._enqueue_in(db, items, now=now, push_id=push_id)
                await db.execute(
                    "UPDATE pushes SET total = ?, status = CASE WHEN ? = 0 THEN 'done' "
                    "ELSE status END, finished_at = CASE WHEN ? = 0 THEN ? END WHERE id = ?",
                    (total, total, total, stamp, push_id),
                )
        except sqlite3.IntegrityError:
            raise PushBusy(f"a breaking push for {category} is still going out") from None
        return push_id, total

    async def _enqueue_in(
        self,
        db: aiosqlite.Connection,
        items: Sequence[OutboxItem],
        *,
        now: datetime,
        reschedule: Sequence[tuple[int, datetime]] = (),
        push_id: int | None = None,
    ) -> int:
        """``enqueue`` inside the caller's transaction; ``push_id`` overrides the items'."""
        bodies: dict[int, str] = {}  # id(message) -> JSON; shared renders are encoded once
        hashes: dict[str, str] = {}
        for item in items:
            for message in item.messages:
                if id(message) not in bodies:
                    body = message_to_json(message)
                    bodies[id(message)] = body
                    hashes[body] = hashlib.sha256(body.encode()).hexdigest()
        batch = uuid.uuid4().hex
        stamp = to_db(now)
        await db.executemany(
            "INSERT INTO payloads (hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(h, zlib.compress(body.encode(), 1)) for body, h in hashes.items()],
        )
        ids: dict[str, int] = {}
        for part in chunks(list(hashes.values())):
            async with db.execute(
                f"SELECT hash, id FROM payloads WHERE hash IN ({placeholders(part)})", part
            ) as cursor:
                ids.update({row[0]: row[1] for row in await cursor.fetchall()})
        rows = [
            (
                item.subscriber_id,
                item.kind,
                item.period,
                item.priority,
                item.platform,
                json.dumps([ids[hashes[bodies[id(m)]]] for m in item.messages]),
                json.dumps(list(item.story_ids)),
                item.cursor,
                stamp,
                batch,
                stamp,
                stamp,
                push_id if push_id is not None else item.push_id,
            )
            for item in items
        ]
        await db.executemany(
            """INSERT INTO outbox (subscriber_id, kind, period, priority, platform,
                   payload_ids, story_ids, cursor, next_attempt_at, batch, created_at,
                   updated_at, push_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (subscriber_id, kind, period) DO NOTHING""",
            rows,
        )
        await db.executemany(
            "UPDATE subscribers SET next_digest_at = ? WHERE id = ?",
            [(to_db(when), subscriber_id) for subscriber_id, when in reschedule],
        )
        async with db.execute("SELECT COUNT(*) FROM outbox WHERE batch = ?", (batch,)) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def claim(
        self, *, now: datetime, limit: int, platforms: Sequence[str]
    ) -> list[OutboxEntry]:
        """Take up to ``limit`` ready entries for these platforms, highest priority first,
        and mark them as being sent."""
        if not platforms:
            return []
        async with self._transaction() as db:
            async with db.execute(
                f"""SELECT o.*, s.chat_id, s.thread_id, s.breaking_role FROM outbox o
                    JOIN subscribers s ON s.id = o.subscriber_id
                    WHERE o.status IN ('queued', 'retrying') AND o.next_attempt_at <= ?
                      AND o.platform IN ({placeholders(platforms)})
                    ORDER BY o.priority DESC, o.id LIMIT ?""",
                (to_db(now), *platforms, limit),
            ) as cursor:
                rows = list(await cursor.fetchall())
            await db.executemany(
                "UPDATE outbox SET status = 'sending', updated_at = ? WHERE id = ?",
                [(to_db(now), row["id"]) for row in rows],
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
                found[row["id"]] = message_from_json(zlib.decompress(row["body"]).decode())
        return found

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
            await _finish_pushes(db, "id = ?", (entry.id,), stamp)

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
            await _finish_pushes(db, "id = ?", (entry_id,), to_db(now))

    async def release(self, entry_id: int, *, now: datetime) -> None:
        """Put a claimed entry back in the queue untouched (shutting down)."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'queued', updated_at = ? "
                "WHERE id = ? AND status = 'sending'",
                (to_db(now), entry_id),
            )

    async def requeue_abandoned(self, *, now: datetime) -> int:
        """Entries left 'sending' by a process that died go back to the queue (on start)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET status = 'queued', updated_at = ? WHERE status = 'sending'",
                (to_db(now),),
            )
            return cursor.rowcount

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
            await _finish_pushes(db, "subscriber_id = ?", (subscriber_id,), to_db(now))
            return changed.rowcount == 1

    async def migrate_chat(self, subscriber_id: int, new_chat_id: str, *, now: datetime) -> None:
        """A Telegram group became a supergroup: its subscriber continues under the new id.
        If the new chat already has a subscriber (set up again by hand), this one goes."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT platform, thread_id FROM subscribers WHERE id = ?", (subscriber_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return
            async with db.execute(
                "SELECT id FROM subscribers WHERE platform = ? AND chat_id = ? AND thread_id = ?",
                (row[0], new_chat_id, row[1]),
            ) as cursor:
                clash = await cursor.fetchone()
            if clash is not None:
                await db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))
                return
            await db.execute(
                "UPDATE subscribers SET chat_id = ?, updated_at = ? WHERE id = ?",
                (new_chat_id, to_db(now), subscriber_id),
            )

    async def outbox_counts(self) -> dict[str, dict[str, int]]:
        """Entries per platform and status, for ``digestbot stats``."""
        result: dict[str, dict[str, int]] = {}
        for row in await self._fetchall(
            "SELECT platform, status, COUNT(*) FROM outbox GROUP BY platform, status"
        ):
            result.setdefault(row[0], {})[row[1]] = int(row[2])
        return result

    async def inactive_by_platform(self) -> dict[str, int]:
        rows = await self._fetchall(
            "SELECT platform, COUNT(*) FROM subscribers WHERE active = 0 GROUP BY platform"
        )
        return {row[0]: int(row[1]) for row in rows}

    async def outbox_entry(self, entry_id: int) -> dict[str, Any]:
        row = await self._fetchone("SELECT * FROM outbox WHERE id = ?", (entry_id,))
        return dict(row) if row else {}

    async def purge_outbox_before(self, cutoff: datetime) -> int:
        """Retention: finished entries and delivery records older than ``cutoff``, and
        payloads nothing refers to any more."""
        async with self._transaction() as db:
            cursor = await db.execute(
                f"DELETE FROM outbox WHERE status IN ({placeholders(FINAL)}) AND updated_at < ?",
                (*FINAL, to_db(cutoff)),
            )
            await db.execute("DELETE FROM deliveries WHERE created_at < ?", (to_db(cutoff),))
            await db.execute(
                "DELETE FROM payloads WHERE id NOT IN "
                "(SELECT value FROM outbox, json_each(outbox.payload_ids))"
            )
            return cursor.rowcount

    # --- meta ---------------------------------------------------------------------------

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
