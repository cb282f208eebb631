"""Scheduling as tables of cases with a fixed clock: no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.models import Frequency
from digests.schedule import DueDecision, Schedule, decide, next_due, parse_weekday, period_of


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        # Plain days.
        (Schedule("08:00", "UTC"), utc(2026, 11, 27, 7, 59), utc(2026, 11, 27, 8, 0)),
        (Schedule("08:00", "UTC"), utc(2026, 11, 27, 8, 0), utc(2026, 11, 28, 8, 0)),
        (Schedule("07:30", "Asia/Ho_Chi_Minh"), utc(2026, 11, 27, 0, 0), utc(2026, 11, 27, 0, 30)),
        (Schedule("07:30", "Asia/Ho_Chi_Minh"), utc(2026, 11, 27, 0, 30), utc(2026, 11, 28, 0, 30)),
        (Schedule("23:30", "Asia/Ho_Chi_Minh"), utc(2026, 11, 27, 0, 0), utc(2026, 11, 27, 16, 30)),
        # A zone with a 30-minute offset (India, UTC+5:30) and one with 45 (Nepal).
        (Schedule("08:00", "Asia/Kolkata"), utc(2026, 11, 27, 0, 0), utc(2026, 11, 27, 2, 30)),
        (Schedule("08:00", "Asia/Kathmandu"), utc(2026, 11, 27, 0, 0), utc(2026, 11, 27, 2, 15)),
        # New York, spring forward (8 March 2026: 02:00 → 03:00).
        (Schedule("08:00", "America/New_York"), utc(2026, 3, 7, 13, 0), utc(2026, 3, 8, 12, 0)),
        (Schedule("02:30", "America/New_York"), utc(2026, 3, 8, 0, 0), utc(2026, 3, 8, 7, 30)),
        (Schedule("02:30", "America/New_York"), utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)),
        # New York, fall back (1 November 2026: 02:00 → 01:00); 01:30 happens twice.
        (Schedule("08:00", "America/New_York"), utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 13, 0)),
        (Schedule("01:30", "America/New_York"), utc(2026, 11, 1, 0, 0), utc(2026, 11, 1, 5, 30)),
        (Schedule("01:30", "America/New_York"), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),
        # London, spring forward (29 March 2026: 01:00 → 02:00).
        (Schedule("01:15", "Europe/London"), utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 15)),
        (Schedule("09:00", "Europe/London"), utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 8, 0)),
        # Weekdays: Friday's digest, then Monday's.
        (
            Schedule("08:00", "UTC", Frequency.WEEKDAYS),
            utc(2026, 11, 27, 8, 0),
            utc(2026, 11, 30, 8, 0),
        ),
        # Weekly on Wednesday (2), asked on a Friday.
        (
            Schedule("18:00", "Europe/London", Frequency.WEEKLY, 2),
            utc(2026, 11, 27, 8, 0),
            utc(2026, 12, 2, 18, 0),
        ),
        (
            Schedule("18:00", "Europe/London", Frequency.WEEKLY, 4),
            utc(2026, 11, 27, 17, 0),
            utc(2026, 11, 27, 18, 0),
        ),
    ],
)
def test_next_due(schedule: Schedule, after: datetime, expected: datetime) -> None:
    assert next_due(schedule, after) == expected


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Australia/Lord_Howe"])
@pytest.mark.parametrize("clock", ["00:30", "01:30", "02:30", "08:00", "23:59"])
def test_every_local_day_of_a_dst_year_has_exactly_one_digest(zone: str, clock: str) -> None:
    schedule = Schedule(clock, zone)
    when = utc(2026, 1, 1)
    days: list[str] = []
    while when < utc(2027, 1, 1):
        when = next_due(schedule, when)
        days.append(period_of(when, schedule))
    assert len(days) == len(set(days))  # never two digests on one local day
    assert 364 <= len(days) <= 366  # and none missed
    local = [d for d in days if d.startswith("2026-")]
    assert len(local) in (364, 365)


def test_period_is_the_local_date() -> None:
    schedule = Schedule("07:00", "Asia/Tokyo")
    assert period_of(utc(2026, 11, 26, 22, 0), schedule) == "2026-11-27"


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        (None, utc(2026, 1, 1), DueDecision.WAIT),
        (utc(2026, 1, 1, 9), utc(2026, 1, 1, 8), DueDecision.WAIT),
        (utc(2026, 1, 1, 8), utc(2026, 1, 1, 8), DueDecision.SEND),
        (utc(2026, 1, 1, 8), utc(2026, 1, 1, 13, 59), DueDecision.SEND),
        (utc(2026, 1, 1, 8), utc(2026, 1, 1, 14, 0), DueDecision.SEND),
        (utc(2026, 1, 1, 8), utc(2026, 1, 1, 14, 1), DueDecision.SKIP),
    ],
)
def test_catch_up_decision(due: datetime | None, now: datetime, expected: DueDecision) -> None:
    assert decide(due, now, timedelta(hours=6)) is expected


@pytest.mark.parametrize(("text", "day"), [("mon", 0), ("Wednesday", 2), ("sun", 6)])
def test_parse_weekday(text: str, day: int) -> None:
    assert parse_weekday(text) == day


@pytest.mark.parametrize("text", ["", "mo", "funday", "8"])
def test_parse_weekday_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a day of the week"):
        parse_weekday(text)
