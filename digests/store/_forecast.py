"""Store part for the crowd forecast (``digests.punctuality``): how many digests are due
per minute and platform ahead of ``now``, and what the outbox still holds to send.

The dispatcher asks every tick, so the figures it reads every time come from an index
alone, without visiting a row: the readers due per instant from ``subscribers_due
(active, paused, next_digest_at)`` over the window only, and the unfinished entries per
due instant from ``outbox_ready (status, priority, due_at, id)``. Neither index holds
the platform (nor an entry's parts), and visiting every row for them costs about ten
times more (0.8 s for 160,000 readers due in the next 90 minutes of a million; 0.3 s
for 100,000 queued entries). So each minute's split between platforms (readers, or
messages per entry) is read once, kept for up to SPLIT_TTL (QUEUED_SPLIT_TTL), and
applied to the fresh totals; re-reading is by ranges of neighbouring minutes, never the
whole window again. A minute whose readers a crowd's early start takes on one platform
only is read again at the next tick (``forget_splits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from digests.store._base import StoreBase, placeholders
from digests.timeutil import ensure_utc, to_db

# Statuses still to be sent: 'sending' ones are in flight (or abandoned and taken over).
UNSENT = ("queued", "retrying", "sending")
# The messages of an entry: its payload ids are a JSON list of integers ("[1, 2, 3]"), so
# one more than its commas (SQL both engines share, no JSON functions).
_PARTS = "(length(payload_ids) - length(replace(payload_ids, ',', '')) + 1)"
# Recent digests read for the messages-per-digest estimate, and how long it is kept.
RECENT_DIGESTS = 1000
PARTS_TTL = timedelta(minutes=1)
# How long a minute's split between platforms is kept (at most; see _ttl). The outbox's
# drifts faster (platforms drain at their own pace), so it is read again sooner.
SPLIT_TTL = timedelta(minutes=5)
QUEUED_SPLIT_TTL = timedelta(minutes=2)
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


def _ttl(minute: datetime, longest: timedelta) -> timedelta:
    """``longest``, less up to half of it by the minute's last digit: minutes read
    together (the first tick's window) are not all read again together."""
    return longest * (20 - minute.minute % 10) / 20


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


def _add(totals: dict[datetime, int], instant: str, count: int) -> None:
    """Add ``count`` to the minute of a stored instant (one that is not is ignored)."""
    if len(instant) >= 16:
        try:
            minute = minute_of(instant[:16])
        except ValueError:
            return
        totals[minute] = totals.get(minute, 0) + count


@dataclass
class _Split:
    """A minute as last read row by row: when, its total (readers or entries) then, and
    per platform its readers or messages."""

    at: datetime
    total: int
    amounts: dict[str, float]


class _Splits:
    """The splits of the minutes read lately, each kept while fresh."""

    def __init__(self, ttl: timedelta) -> None:
        self.ttl = ttl
        self.minutes: dict[datetime, _Split] = {}

    def stale(self, totals: dict[datetime, int], now: datetime) -> list[tuple[datetime, datetime]]:
        """Drop the expired splits; the runs of minutes in ``totals`` to read again."""
        self.minutes = {
            m: v for m, v in self.minutes.items() if timedelta(0) <= now - v.at < _ttl(m, self.ttl)
        }

        def moved(m: datetime) -> bool:
            then = self.minutes[m].total
            return not then or abs(totals[m] - then) > max(2, then // 20)

        missing = {m for m in totals if m not in self.minutes or moved(m)}
        return _runs(sorted(totals), missing)

    def put(
        self, now: datetime, minutes: Sequence[datetime], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Rows of (platform, minute, count, amount) read for ``minutes``."""
        found = {m: _Split(now, 0, {}) for m in minutes}
        for platform, minute, count, amount in rows:
            split = found.get(minute_of(str(minute))) if len(str(minute)) == 16 else None
            if split is not None:
                split.total += int(count)
                split.amounts[str(platform)] = float(amount or 0)
        self.minutes.update(found)

    def forget(self, until: datetime) -> None:
        self.minutes = {m: v for m, v in self.minutes.items() if m > until}


class ForecastStore(StoreBase):
    _parts_cache: tuple[datetime, dict[str, float]] | None = None
    _reader_splits: _Splits | None = None
    _queued_splits: _Splits | None = None

    async def due_per_minute(
        self, *, since: datetime, until: datetime, now: datetime | None = None
    ) -> dict[str, dict[datetime, int]]:
        """Active, unpaused subscribers due from ``since`` to ``until`` (both included), per
        platform and due minute (each minute's split between platforms kept a while)."""
        totals: dict[datetime, int] = {}
        for instant, count in await self._fetchall(
            """SELECT next_digest_at, COUNT(*) FROM subscribers
               WHERE active = 1 AND paused = 0
                 AND next_digest_at >= ? AND next_digest_at <= ?
               GROUP BY next_digest_at""",
            (to_db(since), to_db(until)),
        ):
            _add(totals, str(instant), int(count))
        splits = self._reader_splits = self._reader_splits or _Splits(SPLIT_TTL)
        for first, last in splits.stale(totals, now or since):
            rows = await self._fetchall(
                """SELECT platform, substr(next_digest_at, 1, 16), COUNT(*), COUNT(*)
                   FROM subscribers WHERE active = 1 AND paused = 0
                     AND next_digest_at >= ? AND next_digest_at <= ?
                   GROUP BY platform, substr(next_digest_at, 1, 16)""",
                (to_db(first), to_db(last + LAST_SECOND)),
            )
            splits.put(now or since, [m for m in totals if first <= m <= last], rows)
        result: dict[str, dict[datetime, int]] = {}
        for minute, total in totals.items():
            split = {p: int(n) for p, n in splits.minutes[minute].amounts.items()}
            for platform, count in share(total, split).items():
                result.setdefault(platform, {})[minute] = count
        return result

    def forget_splits(self, until: datetime) -> None:
        """The readers due up to ``until`` are being dispatched on some platforms only (a
        crowd started early): their minutes' splits are read again next time."""
        if self._reader_splits is not None:
            self._reader_splits.forget(until)

    async def queued_per_minute(self, *, now: datetime) -> dict[str, dict[datetime, float]]:
        """Messages still to send (parts not yet sent of unfinished entries, breaking
        pushes included), per platform and the minute they are due by: the entries
        counted every time, their messages per entry and platform kept a while."""
        totals: dict[datetime, int] = {}
        priorities: set[int] = set()
        for priority, due_at, count in await self._fetchall(
            """SELECT priority, due_at, COUNT(*) FROM outbox WHERE status IN (?, ?, ?)
               GROUP BY status, priority, due_at""",
            UNSENT,
        ):
            priorities.add(int(priority))
            _add(totals, str(due_at), int(count))
        splits = self._queued_splits = self._queued_splits or _Splits(QUEUED_SPLIT_TTL)
        # The priorities found let the range below use the index (status, priority,
        # due_at) instead of every unfinished entry.
        levels = sorted(priorities)
        for first, last in splits.stale(totals, now):
            rows = await self._fetchall(
                f"""SELECT platform, substr(due_at, 1, 16), COUNT(*),
                           SUM({_PARTS} - parts_sent)
                    FROM outbox WHERE status IN (?, ?, ?)
                      AND priority IN ({placeholders(levels)})
                      AND due_at >= ? AND due_at <= ?
                    GROUP BY platform, substr(due_at, 1, 16)""",
                (*UNSENT, *levels, to_db(first), to_db(last + LAST_SECOND)),
            )
            splits.put(now, [m for m in totals if first <= m <= last], rows)
        result: dict[str, dict[datetime, float]] = {}
        for minute, total in totals.items():
            split = splits.minutes[minute]
            for platform, messages in split.amounts.items():
                scaled = max(messages, 0.0) * total / split.total if split.total else 0.0
                result.setdefault(platform, {})[minute] = scaled
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
