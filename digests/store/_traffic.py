"""Store part for what the console's overview reads: messages the platforms accepted and
the 429s they answered, per UTC minute and platform (``send_minutes``), and the few counts
the overview and subscribers pages show.

Sends are counted in the delivery worker's own write transaction (``add_sends``: one
upsert per minute and platform of a batch, not one per message); a 429 is one upsert of
its own. Every read here is an index range or an index-only count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digests.store._base import StoreBase, chunks, placeholders
from digests.store._minutes import MINUTE_FORMAT, UPSERT, add_sends, minute_of
from digests.store._outbox import BREAKING_PRIORITY
from digests.timeutil import from_db, to_db

STATUSES = ("queued", "sending", "retrying", "sent", "dead", "cancelled")
STATES = ("active", "paused", "inactive")


@dataclass(frozen=True)
class SendMinute:
    minute: datetime
    platform: str
    sent: int
    limited: int


@dataclass(frozen=True)
class FailingFeed:
    id: int
    name: str
    url: str
    errors: int
    last_error: str
    last_error_at: datetime | None


@dataclass(frozen=True)
class Newcomer:
    """One of the newest subscribers, as the subscribers page lists them."""

    id: int
    platform: str
    chat_id: str
    language: str
    timezone: str
    state: str
    categories: tuple[str, ...]
    created_at: datetime


def state_of(active: object, paused: object) -> str:
    """A subscriber's state as the console names it (pure): inactive whatever its pause."""
    if not int(active):  # type: ignore[call-overload]
        return "inactive"
    return "paused" if int(paused) else "active"  # type: ignore[call-overload]


class TrafficStore(StoreBase):
    # --- send_minutes ------------------------------------------------------------------

    async def count_sends(self, platform: str, count: int, *, now: datetime) -> None:
        """Add ``count`` accepted messages at ``now`` (sends recorded outside the worker)."""
        async with self._transaction() as db:
            await add_sends(db, [(minute_of(now), platform, count)])

    async def count_limited(self, platform: str, *, now: datetime) -> None:
        """Count one 429 the platform answered at ``now``."""
        async with self._transaction() as db:
            await db.execute(UPSERT, (minute_of(now), platform, 0, 1))

    async def send_minutes(self, since: datetime) -> list[SendMinute]:
        """The counted minutes from ``since`` on, oldest first (a range of the key)."""
        rows = await self._fetchall(
            "SELECT minute, platform, sent, limited FROM send_minutes WHERE minute >= ? "
            "ORDER BY minute, platform",
            (minute_of(since),),
        )
        return [
            SendMinute(
                datetime.strptime(r[0], MINUTE_FORMAT).replace(tzinfo=UTC),
                r[1],
                int(r[2]),
                int(r[3]),
            )
            for r in rows
        ]

    async def limited_since(self, since: datetime) -> dict[str, int]:
        """429s per platform from ``since`` on."""
        rows = await self._fetchall(
            "SELECT platform, SUM(limited) FROM send_minutes WHERE minute >= ? GROUP BY platform",
            (minute_of(since),),
        )
        return {r[0]: int(r[1] or 0) for r in rows}

    async def purge_send_minutes_before(self, cutoff: datetime) -> int:
        """Retention: the minutes before ``cutoff`` (the chart shows 24 hours)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM send_minutes WHERE minute < ?", (minute_of(cutoff),)
            )
            return max(cursor.rowcount, 0)

    # --- the overview's counts -----------------------------------------------------------

    async def subscriber_states(self) -> dict[str, dict[str, int]]:
        """Subscribers per platform and state (active, paused, inactive). Totals per
        platform count the (platform, guild_id) index alone; the paused and inactive ones
        are ranges of the (active, paused, next_digest_at) index; active is the rest."""
        result: dict[str, dict[str, int]] = {}
        totals = await self._fetchall_aside(
            "SELECT platform, COUNT(*) FROM subscribers GROUP BY platform"
        )
        for platform, total in totals:
            result[platform] = {"active": int(total), "paused": 0, "inactive": 0}
        for state, where in (("inactive", "active = 0"), ("paused", "active = 1 AND paused = 1")):
            rows = await self._fetchall_aside(
                f"SELECT platform, COUNT(*) FROM subscribers WHERE {where} GROUP BY platform"
            )
            for platform, count in rows:
                row = result.setdefault(platform, {"active": 0, "paused": 0, "inactive": 0})
                row[state] = int(count)
                row["active"] -= int(count)
        return result

    async def outbox_between(self, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
        """Outbox entries due from ``start`` to before ``end`` per kind ('digest',
        'breaking') and status: ranges of the (status, priority, due_at) index (a digest's
        priority is 0, a push's BREAKING_PRIORITY)."""
        rows = await self._fetchall(
            f"""SELECT status, priority, COUNT(*) FROM outbox
                WHERE status IN ({placeholders(STATUSES)}) AND priority IN (0, ?)
                  AND due_at >= ? AND due_at < ?
                GROUP BY status, priority""",
            (*STATUSES, BREAKING_PRIORITY, to_db(start), to_db(end)),
        )
        result: dict[str, dict[str, int]] = {
            kind: dict.fromkeys(STATUSES, 0) for kind in ("digest", "breaking")
        }
        for status, priority, count in rows:
            result["digest" if int(priority) == 0 else "breaking"][status] = int(count)
        return result

    async def due_in_minute(self, at: datetime) -> int:
        """Active, unpaused subscribers due in ``at``'s minute (an index range)."""
        start = at.replace(second=0, microsecond=0)
        # The last minute of year 9999 has no next one: everything from it on.
        end = to_db(start + timedelta(minutes=1)) if start.year < 9999 else "9999-99"
        row = await self._fetchone(
            """SELECT COUNT(*) FROM subscribers WHERE active = 1 AND paused = 0
               AND next_digest_at >= ? AND next_digest_at < ?""",
            (to_db(start), end),
        )
        return int(row[0]) if row else 0

    async def failing_feeds(self, limit: int = 20) -> tuple[list[FailingFeed], int]:
        """Enabled feeds whose last fetches failed (``consecutive_errors`` > 0; a feed's
        ``last_error`` stays after it recovers), most errors first, and how many in all."""
        where = "FROM feeds WHERE disabled = 0 AND consecutive_errors > 0"
        row = await self._fetchone(f"SELECT COUNT(*) {where}")
        rows = await self._fetchall(
            f"""SELECT id, COALESCE(name, title, url), url, consecutive_errors, last_error,
                   last_error_at {where} ORDER BY consecutive_errors DESC, id LIMIT ?""",
            (limit,),
        )
        feeds = [
            FailingFeed(
                int(r[0]), r[1] or "", r[2], int(r[3]), r[4] or "", from_db(r[5]) if r[5] else None
            )
            for r in rows
        ]
        return feeds, int(row[0]) if row else 0

    # --- the subscribers page ------------------------------------------------------------

    async def category_states(self) -> dict[str, dict[str, int]]:
        """Subscriptions per category, active (subscriber active and unpaused) and not:
        totals count the subscriptions_category index; the others start from the paused
        and inactive subscribers (an index range) and their subscriptions (the key)."""
        result: dict[str, dict[str, int]] = {}
        for category, total in await self._fetchall_aside(
            "SELECT category, COUNT(*) FROM subscriptions GROUP BY category"
        ):
            result[category] = {"active": int(total), "inactive": 0}
        for where in ("b.active = 0", "b.active = 1 AND b.paused = 1"):
            for category, count in await self._fetchall_aside(
                f"""SELECT s.category, COUNT(*) FROM subscribers b
                    JOIN subscriptions s ON s.subscriber_id = b.id
                    WHERE {where} GROUP BY s.category"""
            ):
                row = result.setdefault(category, {"active": 0, "inactive": 0})
                row["inactive"] += int(count)
                row["active"] -= int(count)
        return result

    async def language_zone_states(
        self,
    ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        """Subscribers per language and per time zone, active and not: one walk of the
        subscribers_language_zone index. Grouped by the indexed columns themselves (an
        expression in GROUP BY would sort a million rows again: ten times slower)."""
        languages: dict[str, dict[str, int]] = {}
        zones: dict[str, dict[str, int]] = {}
        rows = await self._fetchall_aside(
            """SELECT language, timezone, active, paused, COUNT(*) FROM subscribers
               GROUP BY language, timezone, active, paused"""
        )
        for language, zone, active, paused, count in rows:
            key = "active" if int(active) and not int(paused) else "inactive"
            for table, name in ((languages, language), (zones, zone)):
                row = table.setdefault(name, {"active": 0, "inactive": 0})
                row[key] += int(count)
        return languages, zones

    async def newest_subscribers(self, limit: int = 100) -> list[Newcomer]:
        """The ``limit`` newest subscribers with their categories (the primary key)."""
        rows = await self._fetchall(
            """SELECT id, platform, chat_id, language, timezone, active, paused, created_at
               FROM subscribers ORDER BY id DESC LIMIT ?""",
            (limit,),
        )
        categories: dict[int, list[str]] = {int(r[0]): [] for r in rows}
        for part in chunks(sorted(categories)):
            for sub, category in await self._fetchall(
                f"""SELECT subscriber_id, category FROM subscriptions
                    WHERE subscriber_id IN ({placeholders(part)}) ORDER BY category""",
                part,
            ):
                categories[int(sub)].append(category)
        return [
            Newcomer(
                int(r[0]),
                r[1],
                r[2],
                r[3],
                r[4],
                state_of(r[5], r[6]),
                tuple(categories[int(r[0])]),
                from_db(r[7]),
            )
            for r in rows
        ]
