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
from collections.abc import Callable, Sequence
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
    # The messages, or (a dispatch sharing one rendering among many) their stored form.
    messages: Sequence[OutgoingMessage] | EncodedMessages
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


# A message as stored: (hash of its JSON, the JSON compressed).
Encoded = tuple[str, bytes]


# Compression of a stored body: fastest level, an 8 KB window and a small hash table. A
# body is a few KB of JSON; zlib's defaults (32 KB window, memLevel 8) compress it no
# smaller and spend longer setting up their state than compressing (100 µs a body
# instead of 180 on this machine). zlib.decompress reads it as any other stream.
WINDOW_BITS = 13
MEMORY_LEVEL = 5


def encode(message: OutgoingMessage) -> Encoded:
    body = message_to_json(message).encode()
    packer = zlib.compressobj(1, zlib.DEFLATED, WINDOW_BITS, MEMORY_LEVEL)
    return hashlib.sha256(body).hexdigest(), packer.compress(body) + packer.flush()


class EncodedMessages(tuple[Encoded, ...]):
    """One rendering's messages as stored, shared by every entry that sends them: encoded
    (JSON, hash, compression) once however many entries and transactions of a dispatch
    carry it, and small to keep (a dispatch keeps thousands of renderings in this form)."""

    @classmethod
    def of(cls, messages: Sequence[OutgoingMessage]) -> EncodedMessages:
        return cls(encode(message) for message in messages)


def encode_bodies(items: Sequence[OutboxItem]) -> tuple[list[tuple[str, ...]], dict[str, bytes]]:
    """Each item's message hashes, and the stored body of each distinct hash."""
    by_list: dict[int, tuple[str, ...]] = {}  # id(messages): items usually share renderings
    by_message: dict[int, Encoded] = {}  # a push's entries share one message in new lists
    bodies: dict[str, bytes] = {}
    hashes: list[tuple[str, ...]] = []
    for item in items:
        found = by_list.get(id(item.messages))
        if found is None:
            if isinstance(item.messages, EncodedMessages):
                pairs = item.messages
            else:
                pairs = tuple(
                    by_message.get(id(m)) or by_message.setdefault(id(m), encode(m))
                    for m in item.messages
                )
            bodies.update(pairs)
            found = by_list[id(item.messages)] = tuple(digest for digest, _ in pairs)
        hashes.append(found)
    return hashes, bodies


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
    hashes, bodies = encode_bodies(items)
    batch = uuid.uuid4().hex
    stamp = to_db(now)
    await db.executemany(
        "INSERT INTO payloads (hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING",
        list(bodies.items()),
    )
    ids: dict[str, int] = {}
    for part in chunks(list(bodies)):
        async with db.execute(
            f"SELECT hash, id FROM payloads WHERE hash IN ({placeholders(part)})", part
        ) as cursor:
            ids.update({row[0]: row[1] for row in await cursor.fetchall()})
    # Items of one dispatch share a few values; each is written as text once.
    texts: dict[object, str] = {}

    def text(key: object, make: Callable[[], str]) -> str:
        found = texts.get(key)
        if found is None:
            found = texts[key] = make()
        return found

    rows = [
        (
            item.subscriber_id,
            item.kind,
            item.period,
            item.priority,
            item.platform,
            text(("p", found), lambda found=found: json.dumps([ids[h] for h in found])),
            text(("s", *item.story_ids), lambda item=item: json.dumps(list(item.story_ids))),
            item.cursor,
            stamp,
            batch,
            stamp,
            stamp,
            push_id if push_id is not None else item.push_id,
            stamp if item.due_at is None else text(item.due_at, lambda d=item.due_at: to_db(d)),
        )
        for item, found in zip(items, hashes, strict=True)
    ]
    await db.executemany(
        """INSERT INTO outbox (subscriber_id, kind, period, priority, platform,
               payload_ids, story_ids, cursor, next_attempt_at, batch, created_at,
               updated_at, push_id, due_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (subscriber_id, kind, period) DO NOTHING""",
        rows,
    )
    await reschedule_subscribers(db, reschedule)
    async with db.execute("SELECT COUNT(*) FROM outbox WHERE batch = ?", (batch,)) as c:
        row = await c.fetchone()
    return int(row[0]) if row else 0


async def reschedule_subscribers(
    db: aiosqlite.Connection, reschedule: Sequence[tuple[int, datetime]]
) -> None:
    """Set next due times: one UPDATE per due time and up to 500 subscribers (those due
    at one minute share their next one), not one per subscriber. A subscriber whose
    schedule changed since the dispatch read it has no due time now, and keeps none: the
    next tick works out its next one from the new schedule, not the old."""
    by_time: dict[datetime, list[int]] = {}
    for subscriber_id, when in reschedule:
        by_time.setdefault(when, []).append(subscriber_id)
    for when, subscriber_ids in by_time.items():
        for part in chunks(subscriber_ids):
            await db.execute(
                f"UPDATE subscribers SET next_digest_at = ? WHERE id IN ({placeholders(part)}) "
                "AND next_digest_at IS NOT NULL",
                (to_db(when), *part),
            )
