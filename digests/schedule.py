"""When each subscriber's next digest is due: pure functions of their schedule and ``now``.

A digest is due at the subscriber's local ``HH:MM`` on the days their frequency allows.
Daylight-saving rules, resolved the same way every time:
- a local time that does not exist (the clock jumps over it) is read with the offset in
  force before the jump, so 02:30 on a spring-forward night is sent at 03:30;
- a local time that occurs twice (the clock falls back) is its first occurrence;
- every local day has exactly one due instant, so a DST day yields exactly one digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from digests.models import Frequency

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Schedule:
    digest_time: str = "08:00"
    timezone: str = "UTC"
    frequency: Frequency = Frequency.DAILY
    weekly_day: int | None = None  # 0 = Monday, for weekly digests


class DueDecision(StrEnum):
    WAIT = "wait"  # not due yet
    SEND = "send"  # due, and on time or late by less than the catch-up window
    SKIP = "skip"  # missed by more than the catch-up window: its stories roll into the next


def parse_weekday(text: str) -> int:
    """``mon``/``monday``/``thứ 2``-free names in English; raises ValueError listing them."""
    lowered = text.strip().lower()
    for index, name in enumerate(WEEKDAYS):
        if len(lowered) >= 3 and name.startswith(lowered):
            return index
    raise ValueError(f"not a day of the week: {text!r} (use monday … sunday)")


def local_instant(day: date, digest_time: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``digest_time`` on local ``day`` (see the module's DST rules)."""
    hour, minute = (int(part) for part in digest_time.split(":"))
    # fold=0 gives the first of two repeated times, and for a skipped time the offset from
    # before the jump: both as the rules above say.
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def sends_on(day: date, schedule: Schedule) -> bool:
    if schedule.frequency is Frequency.WEEKDAYS:
        return day.weekday() < 5
    if schedule.frequency is Frequency.WEEKLY:
        return day.weekday() == (schedule.weekly_day if schedule.weekly_day is not None else 0)
    return True


def next_due(schedule: Schedule, after: datetime) -> datetime:
    """The first due instant strictly after ``after``."""
    zone = ZoneInfo(schedule.timezone)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(9):
        candidate_day = day + timedelta(days=offset)
        if not sends_on(candidate_day, schedule):
            continue
        due = local_instant(candidate_day, schedule.digest_time, zone)
        if due > after:
            return due
    raise AssertionError("a schedule always has a due day within a week")  # pragma: no cover


def period_of(due: datetime, schedule: Schedule) -> str:
    """The digest period a due instant belongs to: the reader's local date."""
    return due.astimezone(ZoneInfo(schedule.timezone)).date().isoformat()


def decide(due: datetime | None, now: datetime, catchup: timedelta) -> DueDecision:
    """Whether a digest due at ``due`` is sent now, skipped, or not yet due."""
    if due is None or due > now:
        return DueDecision.WAIT
    return DueDecision.SEND if now - due <= catchup else DueDecision.SKIP
