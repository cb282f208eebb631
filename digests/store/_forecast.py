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


def minute_of(prefix: str) -> datetime:
    """``2026-11-27T07:00`` (the first 16 characters of a stored instant) as an instant."""
    return ensure_utc(datetime.fromisoformat(prefix + ":00+00:00"))


class ForecastStore(StoreBase):
    _parts_cache: tuple[datetime, dict[str, float]] | None = None

    async def due_per_minute(
        self, *, since: datetime, until: datetime
    ) -> dict[str, dict[datetime, int]]:
        """Active, unpaused subscribers due from ``since`` to ``until`` (both included), per
        platform and due minute."""
        rows = await self._fetchall(
            """SELECT platform, substr(next_digest_at, 1, 16), COUNT(*) FROM subscribers
               WHERE active = 1 AND paused = 0
                 AND next_digest_at >= ? AND next_digest_at <= ?
               GROUP BY platform, substr(next_digest_at, 1, 16)""",
            (to_db(since), to_db(until)),
        )
        result: dict[str, dict[datetime, int]] = {}
        for platform, minute, count in rows:
            result.setdefault(str(platform), {})[minute_of(str(minute))] = int(count)
        return result

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
