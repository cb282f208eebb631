"""Store part for the dispatcher's reading: the subscribers due at an instant, in batches
of a few thousand (a dispatch may find a hundred thousand due among a million), the
categories they follow, and the stories they already received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from digests.models import Frequency, Subscriber, Subscription
from digests.store._base import StoreBase, chunks, placeholders
from digests.timeutil import from_db, to_db

# The columns a dispatch reads; the others (audit, set-up, status) stay at their defaults.
DUE_COLUMNS = (
    "id, platform, chat_id, guild_id, thread_id, language, timezone, digest_time, "
    "frequency, weekly_day, cursor_article_id, next_digest_at"
)

FREQUENCIES = {f.value: f for f in Frequency}
# Keyset paging: the batches after the last row read (due time, then id).
AFTER = " AND (next_digest_at > ? OR (next_digest_at = ? AND id > ?))"


def due_clause(now: datetime, early: Mapping[str, datetime] | None) -> tuple[str, list[object]]:
    """WHERE clause and parameters of the subscribers due at ``now``: active, unpaused,
    their next digest due at ``now`` or earlier, and on each platform of ``early`` up to
    its instant (a crowd started early)."""
    ahead = [(p, to_db(max(until, now))) for p, until in sorted((early or {}).items())]
    clause = "".join(" OR (platform = ? AND next_digest_at <= ?)" for _ in ahead)
    return (
        "active = 1 AND paused = 0 AND next_digest_at IS NOT NULL "
        f"AND (next_digest_at <= ?{clause})",
        [to_db(now), *(value for pair in ahead for value in pair)],
    )


class _Reading:
    """Subscribers built from ``due_batches``' rows; what many share (their category lists,
    due times, frequencies) is made once."""

    def __init__(self, live: dict[str, tuple[Any, str]]) -> None:
        self.live = live  # slug -> sort key (position, slug)
        self.lists: dict[str | None, tuple[Subscription, ...]] = {None: ()}
        self.instants: dict[str, datetime | None] = {}

    def known(self, slugs: str | None) -> bool:
        """Whether the comma-joined slugs read back as live categories (a slug with a
        comma in it would not): then they are that subscriber's subscriptions."""
        if slugs in self.lists:
            return True
        assert slugs is not None
        parts = slugs.split(",")
        if not all(p in self.live for p in parts) or len(set(parts)) != len(parts):
            return False
        ordered = sorted(parts, key=self.live.__getitem__)
        self.lists[slugs] = tuple(Subscription(slug) for slug in ordered)
        return True

    def subscribers(
        self, rows: Sequence[Any], exact: dict[int, tuple[Subscription, ...]]
    ) -> list[Subscriber]:
        instants = self.instants
        return [
            Subscriber(
                id=r[0],
                platform=r[1],
                chat_id=r[2],
                guild_id=r[3],
                thread_id=r[4] or None,
                language=r[5],
                timezone=r[6],
                digest_time=r[7],
                frequency=FREQUENCIES[r[8]],
                weekly_day=r[9],
                cursor_article_id=r[10],
                next_digest_at=(
                    instants[r[11]]
                    if r[11] in instants
                    else instants.setdefault(r[11], from_db(r[11]))
                ),
                subscriptions=exact[r[0]] if r[0] in exact else self.lists[r[12]],
            )
            for r in rows
        ]


class DueStore(StoreBase):
    async def schedule_first(self, subscriber: Subscriber, due: datetime, *, now: datetime) -> bool:
        """Give ``subscriber``, read without a due time, its first one: ``due``, worked out
        from the schedule it was read with. Not if that schedule has changed since, or the
        row got a due time meanwhile (the reader's change would be lost for a day): then
        the next tick works it out again from what is stored. Whether it was set."""
        async with self._transaction() as db:
            cursor = await db.execute(
                """UPDATE subscribers SET next_digest_at = ?, updated_at = ?
                   WHERE id = ? AND next_digest_at IS NULL AND timezone = ?
                     AND digest_time = ? AND frequency = ? AND COALESCE(weekly_day, -1) = ?""",
                (
                    to_db(due),
                    to_db(now),
                    subscriber.id,
                    subscriber.timezone,
                    subscriber.digest_time,
                    subscriber.frequency.value,
                    -1 if subscriber.weekly_day is None else subscriber.weekly_day,
                ),
            )
            return bool(cursor.rowcount)

    async def due_batches(
        self, now: datetime, *, early: Mapping[str, datetime] | None = None, size: int = 5000
    ) -> AsyncIterator[list[Subscriber]]:
        """The subscribers ``due_subscribers`` selects, ``size`` at a time in order of due
        time and id, with their live subscriptions in category order. Only the fields a
        dispatch reads are filled (identity, schedule, language, cursor, next due time);
        ``created_at``, ``last_change`` and the like stay None. A subscriber rescheduled
        while the batches are read is not read again."""
        where, params = due_clause(now, early)
        live = {
            str(r[0]): (r[1], str(r[0]))
            for r in await self._fetchall(
                "SELECT slug, position FROM categories WHERE retired_at IS NULL"
            )
        }
        reading = _Reading(live)
        # Each subscriber's live categories in one column (keywords, rare, are read apart).
        sql = f"""SELECT {DUE_COLUMNS},
                (SELECT {self.dialect.group_concat("s.category")} FROM subscriptions s
                   JOIN categories c ON c.slug = s.category
                   WHERE s.subscriber_id = subscribers.id AND c.retired_at IS NULL),
                (SELECT COUNT(*) FROM subscriptions s
                   WHERE s.subscriber_id = subscribers.id AND s.keywords <> '')
              FROM subscribers WHERE {where}"""
        last: tuple[str, int] | None = None
        while True:
            rows = await self._fetchall(
                f"{sql}{'' if last is None else AFTER} ORDER BY next_digest_at, id LIMIT ?",
                [*params, *(() if last is None else (last[0], *last)), size],
            )
            if not rows:
                return
            last = (rows[-1][11], rows[-1][0])
            exact = [r[0] for r in rows if r[13] or not reading.known(r[12])]
            yield reading.subscribers(rows, await self._subscriptions_of(exact))
            if len(rows) < size:
                return

    async def _subscriptions_of(self, ids: Sequence[int]) -> dict[int, tuple[Subscription, ...]]:
        """Live subscriptions with their keywords, in category order."""
        found: dict[int, list[Subscription]] = {i: [] for i in ids}
        for part in chunks(list(ids)):
            for s in await self._fetchall(
                f"""SELECT s.subscriber_id, s.category, s.keywords FROM subscriptions s
                    JOIN categories c ON c.slug = s.category
                    WHERE s.subscriber_id IN ({placeholders(part)}) AND c.retired_at IS NULL
                    ORDER BY c.position, c.slug""",
                part,
            ):
                keywords = tuple(k for k in s[2].split("\n") if k) if s[2] else ()
                found[s[0]].append(Subscription(s[1], keywords))
        return {i: tuple(subs) for i, subs in found.items()}

    async def due_ids(
        self, now: datetime, *, early: Mapping[str, datetime] | None = None
    ) -> list[int]:
        """The ids of the subscribers ``due_subscribers`` selects."""
        where, params = due_clause(now, early)
        return [
            r[0] for r in await self._fetchall(f"SELECT id FROM subscribers WHERE {where}", params)
        ]

    async def due_categories(
        self, now: datetime, *, early: Mapping[str, datetime] | None = None
    ) -> list[str]:
        """The live categories that any subscriber due at ``now`` follows, sorted."""
        where, params = due_clause(now, early)
        rows = await self._fetchall(
            f"""SELECT DISTINCT s.category FROM subscriptions s
                JOIN categories c ON c.slug = s.category
                WHERE c.retired_at IS NULL
                  AND s.subscriber_id IN (SELECT id FROM subscribers WHERE {where})""",
            params,
        )
        return sorted(str(r[0]) for r in rows)

    async def sent_story_ids_for(
        self, subscriber_ids: Sequence[int], *, since_story: int = 0
    ) -> dict[int, set[int]]:
        """Stories already received, for many subscribers at once; with ``since_story``
        only those from that story id on (a dispatch asks about its pool's stories)."""
        result: dict[int, set[int]] = {}
        for part in chunks(list(subscriber_ids)):
            for row in await self._fetchall(
                f"SELECT subscriber_id, story_id FROM sent_stories WHERE subscriber_id IN "
                f"({placeholders(part)}) AND story_id >= ?",
                [*part, since_story],
            ):
                result.setdefault(row[0], set()).add(row[1])
        return result
