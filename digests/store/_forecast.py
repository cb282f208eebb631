"""Store part for the crowd forecast (``digests.punctuality``): how many digests are due
per minute and platform ahead of ``now``, and what the outbox still holds to send.

The dispatcher asks every tick, so each query reads an index range, not the table:
subscribers through ``subscribers_due (active, paused, next_digest_at)`` over the window
only, the outbox through ``outbox_ready (status, ...)`` over the unfinished entries only,
and the recent digests through the primary key, newest first, cached for a minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from digests.store._base import StoreBase
from digests.timeutil import ensure_utc, to_db

# Statuses still to be sent: 'sending' ones are in flight (or abandoned and taken over).
UNSENT = ("queued", "retrying", "sending")
# The messages of an entry: its payload ids are a JSON list of integers ("[1, 2, 3]"), so
# one more than its commas (SQL both engines share, no JSON functions).
_PARTS = "(length(payload_ids) - length(replace(payload_ids, ',', '')) + 1)"
# Recent digests read for the messages-per-digest estimate, and how long it is kept.
RECENT_DIGESTS = 1000
PARTS_TTL = timedelta(minutes=1)
# How long a minute's split of its readers between platforms is kept (see due_per_minute).
SPLIT_TTL = timedelta(minutes=10)
LAST_SECOND = timedelta(seconds=59)


def minute_of(prefix: str) -> datetime:
    """``2026-11-27T07:00`` (the first 16 characters of a stored instant) as an instant."""
    return ensure_utc(datetime.fromisoformat(prefix + ":00+00:00"))


def share(total: int, split: dict[str, int]) -> dict[str, int]:
    """``total`` readers divided between platforms as ``split`` was (pure); every one is
    given to a platform, the largest remainders first; a split with nobody in it gives
    nothing."""
    known = sum(split.values())
    if known <= 0 or total <= 0:
        return {}
    exact = {p: total * n / known for p, n in split.items()}
    result = {p: int(v) for p, v in exact.items()}
    left = total - sum(result.values())
    for p in sorted(exact, key=lambda p: result[p] - exact[p])[:left]:
        result[p] += 1
    return {p: n for p, n in result.items() if n > 0}


def _ttl(minute: datetime) -> timedelta:
    """SPLIT_TTL, less up to half of it by the minute's last digit: minutes read together
    (the first tick's window) are not all read again together."""
    return SPLIT_TTL * (20 - minute.minute % 10) / 20


def _runs(minutes: list[datetime], stale: set[datetime]) -> list[tuple[datetime, datetime]]:
    """The stale minutes as runs of neighbours in ``minutes`` (sorted): one range query
    each, so that re-reading the newest minute does not re-read the whole window."""
    runs: list[tuple[datetime, datetime]] = []
    run: list[datetime] = []
    for minute in [*minutes, None]:
        if minute is not None and minute in stale:
            run.append(minute)
        elif run:
            runs.append((run[0], run[-1]))
            run = []
    return runs


class ForecastStore(StoreBase):
    _parts_cache: tuple[datetime, dict[str, float]] | None = None
    _split_cache: dict[datetime, tuple[datetime, dict[str, int]]] | None = None

    async def due_per_minute(
        self, *, since: datetime, until: datetime, now: datetime | None = None
    ) -> dict[str, dict[datetime, int]]:
        """Active, unpaused subscribers due from ``since`` to ``until`` (both included), per
        platform and due minute.

        The totals per due instant are read every time, from the index alone (no row is
        visited: tens of milliseconds for 160,000 readers in the window of a million). The
        index does not hold the platform, and visiting every row for it costs ten times
        more, so each minute's split between platforms is read once and kept for
        SPLIT_TTL (from ``now``), then applied to the fresh total."""
        totals: dict[datetime, int] = {}
        for instant, count in await self._fetchall(
            """SELECT next_digest_at, COUNT(*) FROM subscribers
               WHERE active = 1 AND paused = 0
                 AND next_digest_at >= ? AND next_digest_at <= ?
               GROUP BY next_digest_at""",
            (to_db(since), to_db(until)),
        ):
            minute = minute_of(str(instant)[:16])
            totals[minute] = totals.get(minute, 0) + int(count)
        splits = await self._splits(totals, now or since)
        result: dict[str, dict[datetime, int]] = {}
        for minute, total in totals.items():
            for platform, count in share(total, splits[minute]).items():
                result.setdefault(platform, {})[minute] = count
        return result

    async def _splits(
        self, totals: dict[datetime, int], now: datetime
    ) -> dict[datetime, dict[str, int]]:
        """Each minute's readers per platform, as last read (re-read when older than
        SPLIT_TTL, or when it had nobody)."""
        # Kept while fresh: the dispatcher's window and a longer one (stats) share it.
        cache = self._split_cache = {
            m: v
            for m, v in (self._split_cache or {}).items()
            if timedelta(0) <= now - v[0] < _ttl(m)
        }
        stale = sorted(m for m in totals if m not in cache or not cache[m][1])
        for first, last in _runs(sorted(totals), set(stale)):
            found: dict[datetime, dict[str, int]] = {m: {} for m in stale if first <= m <= last}
            for platform, minute, count in await self._fetchall(
                """SELECT platform, substr(next_digest_at, 1, 16), COUNT(*) FROM subscribers
                   WHERE active = 1 AND paused = 0
                     AND next_digest_at >= ? AND next_digest_at <= ?
                   GROUP BY platform, substr(next_digest_at, 1, 16)""",
                (to_db(first), to_db(last + LAST_SECOND)),
            ):
                at = minute_of(str(minute))
                if at in found:
                    found[at][str(platform)] = int(count)
            cache.update({m: (now, split) for m, split in found.items()})
        return {m: cache[m][1] for m in totals}

    async def queued_per_minute(self) -> dict[str, dict[datetime, float]]:
        """Messages still to send (parts not yet sent of unfinished entries, breaking
        pushes included), per platform and the minute they are due by.

        The parts are counted, not entries times an average: the row is read for its
        platform anyway, and a backlog of long digests (or of one-part pushes) is then
        not mistaken for an average one."""
        rows = await self._fetchall(
            f"""SELECT platform, substr(due_at, 1, 16), SUM({_PARTS} - parts_sent)
                FROM outbox WHERE status IN (?, ?, ?)
                GROUP BY platform, substr(due_at, 1, 16)""",
            UNSENT,
        )
        result: dict[str, dict[datetime, float]] = {}
        for platform, minute, parts in rows:
            if minute and len(str(minute)) == 16:
                result.setdefault(str(platform), {})[minute_of(str(minute))] = float(
                    max(int(parts or 0), 0)
                )
        return result

    async def parts_per_digest(self, *, now: datetime) -> dict[str, float]:
        """Messages per digest over the last RECENT_DIGESTS digests, per platform (a
        platform without any: absent, the caller assumes 1); kept for PARTS_TTL."""
        cached = self._parts_cache
        if cached is not None and timedelta(0) <= now - cached[0] < PARTS_TTL:
            return cached[1]
        rows = await self._fetchall(
            f"""SELECT platform, AVG({_PARTS}) FROM
                  (SELECT platform, payload_ids FROM outbox WHERE kind = 'digest'
                   ORDER BY id DESC LIMIT ?) recent
                GROUP BY platform""",
            (RECENT_DIGESTS,),
        )
        found = {str(platform): float(average) for platform, average in rows if average}
        self._parts_cache = (now, found)
        return found
