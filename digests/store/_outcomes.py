"""Store part for what became of an outbox entry taken to send: each part recorded as
the platform accepts it, then sent, retried later or given up.

A message part is recorded only after the platform accepted it, and the subscriber's cursor
and "stories received" move only when every part of an entry was delivered.

An entry can vanish while it is being sent: forgetting a chat deletes its subscriber and,
with it, its outbox entries. Each write here checks for that inside its own transaction and
answers False (the entry is gone, nothing was written) instead of failing on a foreign key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import aiosqlite

from digests.models import OutboxEntry
from digests.store._admin import NOTHING_PENDING, finish_pushes
from digests.store._base import StoreBase, chunks, placeholders
from digests.store._minutes import add_sends, tally
from digests.timeutil import to_db


@dataclass(frozen=True)
class Accepted:
    """A part the platform accepted: the entry, the part's number, the platform's id for
    it and the instant. The entry's last part completes it."""

    entry: OutboxEntry
    part: int
    message_id: str
    now: datetime

    @property
    def last(self) -> bool:
        return self.part + 1 == len(self.entry.payload_ids)

    @cached_property
    def stamp(self) -> str:
        """``now`` as the store writes it, formatted once: a completed entry writes it in
        five places, and formatting cost more than the statements' own Python."""
        return to_db(self.now)


async def fetch_rows(db: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """A query's rows in one round trip: SQLite's connection answers in its own thread,
    and a cursor read and closed costs three trips (each a turn of the busy event loop
    the delivery worker shares with its sends, in the claim and in every batch of
    records). PostgreSQL's connection has the rows at once either way."""
    fetch_all = getattr(db, "execute_fetchall", None)  # aiosqlite's; not PgConnection's
    if fetch_all is not None:
        return list(await fetch_all(sql, params))
    async with db.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def vanished(db: aiosqlite.Connection, entry_id: int, stamp: str) -> bool:
    """Inside a write transaction: is this taken entry gone (its subscriber forgotten)?

    Only a forget removes an unfinished entry (cascading from its subscriber), so a missing
    row is the answer; an outbox id is never reused, while a subscriber id can be, so the
    entry is what is looked up. A row whose subscriber is gone anyway (foreign keys off) is
    removed here. A push that was waiting only for the vanished entries is finished.
    """
    return entry_id in await vanished_of(db, [entry_id], stamp)


async def vanished_of(db: aiosqlite.Connection, entry_ids: Sequence[int], stamp: str) -> set[int]:
    """Inside a write transaction: which of these taken entries are gone (``vanished``,
    for many entries in a few statements)."""
    present: set[int] = set()
    orphans: list[int] = []
    for part in chunks(sorted(set(entry_ids))):
        for row in await fetch_rows(
            db,
            f"""SELECT o.id, EXISTS (SELECT 1 FROM subscribers s WHERE s.id = o.subscriber_id)
                FROM outbox o WHERE o.id IN ({placeholders(part)})""",
            part,
        ):
            if row[1]:
                present.add(row[0])
            else:  # its subscriber is gone anyway (foreign keys off)
                orphans.append(row[0])
    gone = set(entry_ids) - present
    if orphans:
        await db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in orphans])
    if gone:
        await db.execute(
            f"""UPDATE pushes SET status = 'done', finished_at = ?
                WHERE status = 'sending' AND {NOTHING_PENDING}""",
            (stamp,),
        )
    return gone


class OutcomeStore(StoreBase):
    async def record_accepted(self, accepted: Sequence[Accepted]) -> list[bool]:
        """Record many accepted parts in one transaction (the delivery worker gathers
        them): each as ``mark_part_sent`` would, and an entry's last part completes it as
        ``complete`` with ``last_part`` would. One answer per part, in order: False when
        its entry vanished (nothing written for it)."""
        if not accepted:
            return []
        async with self._transaction() as db:
            gone = await vanished_of(
                db, [a.entry.id for a in accepted], to_db(max(a.now for a in accepted))
            )
            kept = [a for a in accepted if a.entry.id not in gone]
            if not kept:
                return [False] * len(accepted)
            await self._parts_sent(db, [(a.entry.id, a.part, a.message_id, a.stamp) for a in kept])
            # The console's messages per minute: one upsert per minute and platform.
            await add_sends(db, tally((a.now, a.entry.platform) for a in kept))
            await self._completed(db, [a for a in kept if a.last])
        return [a.entry.id not in gone for a in accepted]

    async def _parts_sent(
        self, db: aiosqlite.Connection, parts: Sequence[tuple[int, int, str, str]]
    ) -> None:
        """Inside a write transaction: record accepted parts (entry id, part number,
        message id, instant as ``to_db`` writes it); a part recorded already is not
        recorded again."""
        await db.executemany(
            f"""UPDATE outbox SET parts_sent = ? + 1,
                   message_ids = {self.dialect.json_append("message_ids")}, updated_at = ?
               WHERE id = ? AND parts_sent = ?""",
            [
                (part, message_id, stamp, entry_id, part)
                for entry_id, part, message_id, stamp in parts
            ],
        )

    async def _completed(self, db: aiosqlite.Connection, done: Sequence[Accepted]) -> None:
        """Inside a write transaction: what ``complete`` writes, for many entries."""
        done = await self._mark_sent(db, done)
        if not done:
            return
        # Ids given here: one multi-row insert instead of one round trip per row.
        first = await self._next_id(db, "deliveries")
        await db.executemany(
            """INSERT INTO deliveries (id, subscriber_id, kind, period, status, story_count,
                   parts, created_at, sent_at) VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, ?)""",
            [
                (
                    first + n,
                    a.entry.subscriber_id,
                    a.entry.kind,
                    a.entry.period,
                    len(a.entry.story_ids),
                    len(a.entry.payload_ids),
                    a.stamp,
                    a.stamp,
                )
                for n, a in enumerate(done)
            ],
        )
        # The stories as the outbox rows name them now, not as they were claimed: an
        # editor's merge renames a story in entries on their way (_rename_waiting).
        named: dict[int, list[int]] = {}
        ids = [a.entry.id for a in done if a.entry.story_ids]
        for part in chunks(ids):
            async with db.execute(
                f"SELECT id, story_ids FROM outbox WHERE id IN ({placeholders(part)})", part
            ) as cur:
                for row in await cur.fetchall():
                    named[int(row[0])] = [int(s) for s in json.loads(row[1])]
        stories = [
            (a.entry.subscriber_id, story, first + n, a.stamp)
            for n, a in enumerate(done)
            for story in named.get(a.entry.id, a.entry.story_ids)
        ]
        if stories:
            await db.executemany(
                """INSERT INTO sent_stories (subscriber_id, story_id, delivery_id, sent_at)
                   VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                stories,
            )
        cursors = [
            (a.entry.cursor, a.stamp, a.entry.subscriber_id)
            for a in done
            if a.entry.kind == "digest" and a.entry.cursor is not None
        ]
        if cursors:  # each statement is a round trip, even with no rows
            cursor_max = self.dialect.greatest("COALESCE(cursor_article_id, 0)", "?")
            await db.executemany(
                f"""UPDATE subscribers SET cursor_article_id = {cursor_max}, last_digest_at = ?
                   WHERE id = ?""",
                cursors,
            )
        await db.executemany(
            "UPDATE subscribers SET delivery_failures = 0 WHERE id = ?",
            [(a.entry.subscriber_id,) for a in done],
        )
        stamp = max(done, key=lambda a: a.now).stamp
        for part in chunks([a.entry.id for a in done]):
            await finish_pushes(db, f"id IN ({placeholders(part)})", part, stamp)

    async def _mark_sent(
        self, db: aiosqlite.Connection, done: Sequence[Accepted]
    ) -> list[Accepted]:
        """Inside a write transaction: mark these entries sent; return those this call
        changed. One completed already (a batch retried after a COMMIT whose answer was
        lost, or a second holder after a lease expiry) is left out: its delivery, stories
        and cursor were written then, and are not written twice."""
        by_stamp: dict[str, list[int]] = {}
        for a in done:
            by_stamp.setdefault(a.stamp, []).append(a.entry.id)
        changed: set[int] = set()
        for stamp, ids in by_stamp.items():  # one stamp (a second) for most batches
            for part in chunks(sorted(set(ids))):
                rows = await fetch_rows(
                    db,
                    f"""UPDATE outbox SET status = 'sent', sent_at = ?, updated_at = ?,
                           last_error = NULL
                       WHERE id IN ({placeholders(part)}) AND status <> 'sent' RETURNING id""",
                    (stamp, stamp, *part),
                )
                changed.update(int(row[0]) for row in rows)
        result = []
        for a in done:  # each entry once, even if its last part came twice in one batch
            if a.entry.id in changed:
                changed.discard(a.entry.id)
                result.append(a)
        return result

    async def mark_part_sent(
        self, entry_id: int, part: int, message_id: str, *, now: datetime, platform: str = ""
    ) -> bool:
        """Record that part ``part`` was accepted; a restart resumes after it (and, given
        its ``platform``, count it in the messages per minute). False when the entry
        vanished (its subscriber was forgotten): send no more of it."""
        async with self._transaction() as db:
            if await vanished(db, entry_id, to_db(now)):
                return False
            await self._parts_sent(db, [(entry_id, part, message_id, to_db(now))])
            if platform:
                await add_sends(db, tally([(now, platform)]))
            return True

    async def complete(
        self, entry: OutboxEntry, *, now: datetime, last_part: tuple[int, str] | None = None
    ) -> bool:
        """Every part was delivered: mark it sent, remember its stories as received, log
        the delivery, move a digest's cursor and clear the subscriber's failure count.
        ``last_part`` (part number, message id) records the final part in the same
        transaction. False, with nothing written, when the entry vanished (its subscriber
        was forgotten while the last part was on its way)."""
        async with self._transaction() as db:
            if await vanished(db, entry.id, to_db(now)):
                return False
            part, message_id = last_part or (len(entry.payload_ids) - 1, "")
            if last_part is not None:
                await self._parts_sent(db, [(entry.id, part, message_id, to_db(now))])
                await add_sends(db, tally([(now, entry.platform)]))
            await self._completed(db, [Accepted(entry, part, message_id, now)])
            return True

    async def retry_later(
        self,
        entry_id: int,
        *,
        now: datetime,
        at: datetime,
        error: str,
        count_attempt: bool = True,
        plain_fallback: bool | None = None,
    ) -> bool:
        """Put a taken entry back with its next attempt time; False when it vanished."""
        async with self._transaction() as db:
            if await vanished(db, entry_id, to_db(now)):
                return False
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
            return True

    async def give_up(
        self, entry_id: int, *, now: datetime, error: str, status: str = "dead"
    ) -> bool:
        """Dead-letter an entry (or cancel it) with the reason; it is never retried. False
        when it vanished (nothing to dead-letter)."""
        async with self._transaction() as db:
            if await vanished(db, entry_id, to_db(now)):
                return False
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
            return True

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
