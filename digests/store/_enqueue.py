"""Putting entries in the delivery outbox: what a dispatcher or a breaking push asks to
send, its message bodies stored once per distinct rendering (``payloads``, keyed by the
hash of the body), and the subscribers' next due times, in the caller's transaction.
``OutboxStore.enqueue`` (``_outbox``) wraps it in a transaction of its own.
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

import aiosqlite

from digests.outgoing import OutgoingMessage
from digests.store._base import chunks, placeholders
from digests.timeutil import to_db


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
    # When the entry should arrive by (None: now). A crowd's digests are queued before
    # their readers' minute; the sender takes ready entries in this order.
    due_at: datetime | None = None


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
            to_db(item.due_at) if item.due_at is not None else stamp,
        )
        for item in items
    ]
    await db.executemany(
        """INSERT INTO outbox (subscriber_id, kind, period, priority, platform,
               payload_ids, story_ids, cursor, next_attempt_at, batch, created_at,
               updated_at, push_id, due_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
