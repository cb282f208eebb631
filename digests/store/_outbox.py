"""Store part for the delivery outbox: queueing entries and taking them to send.

The outbox is keyed by (subscriber, kind, period) so that neither a restart nor a second
dispatcher can make two digests for one period. What happens to a taken entry (each part
recorded, then sent, retried or given up) is in ``_outcomes``; breaking pushes, which
enqueue through ``insert_entries``, are in ``_admin``.
"""

from __future__ import annotations

import hashlib
import json
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
from digests.store._base import StoreBase, chunks, placeholders
from digests.timeutil import to_db

BREAKING_PRIORITY = 10
FINAL = ("sent", "dead", "cancelled")


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


async def insert_entries(
    db: aiosqlite.Connection,
    items: Sequence[OutboxItem],
    *,
    now: datetime,
    reschedule: Sequence[tuple[int, datetime]] = (),
    push_id: int | None = None,
) -> int:
    """``OutboxStore.enqueue`` inside the caller's transaction (a breaking push enqueues
    with its push row); ``push_id`` overrides the items'."""
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
        self, *, now: datetime, limit: int, platforms: Sequence[str]
    ) -> list[OutboxEntry]:
        """Take up to ``limit`` ready entries for these platforms, highest priority first,
        and mark them as being sent."""
        if not platforms:
            return []
        async with self._transaction() as db:
            async with db.execute(
                f"""SELECT o.*, s.chat_id, s.thread_id, s.breaking_role, s.announcement
                    FROM outbox o
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
                found[row["id"]] = message_from_json(zlib.decompress(row["body"]).decode())
        return found

    async def entry_exists(self, entry_id: int) -> bool:
        """Whether a taken entry is still there: forgetting a chat deletes its entries,
        those being sent included."""
        return await self._fetchone("SELECT 1 FROM outbox WHERE id = ?", (entry_id,)) is not None

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
