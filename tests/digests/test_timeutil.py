from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from digests.timeutil import (
    MIN_FEED_INTERVAL,
    FakeClock,
    check_feed_interval,
    format_duration,
    from_db,
    parse_duration,
    parse_iso,
    short,
    to_db,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        (" 5M ", timedelta(minutes=5)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "0m", "15x", "-5m", "1.5h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_parse_iso_accepts_z_and_offsets_and_naive_as_utc() -> None:
    assert parse_iso("2026-11-27T10:00:00Z") == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert parse_iso("2026-11-27T17:00:00+07:00") == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert parse_iso("2026-11-27T10:00:00") == datetime(2026, 11, 27, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        parse_iso("yesterday")


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:00:00-05:00",  # valid text, past datetime.max once in UTC
        "0001-01-01T00:00:00+05:00",  # before datetime.min once in UTC
        "9999-12-31T23:59:59Z",  # adding a day to it would overflow later
    ],
)
def test_parse_iso_refuses_dates_that_overflow(text: str) -> None:
    with pytest.raises(ValueError, match="date out of range"):
        parse_iso(text)


def test_parse_iso_errors_are_short_and_escaped() -> None:
    with pytest.raises(ValueError) as caught:
        parse_iso("\x1b[2J" + "x" * 5000 + "\ud800")
    message = str(caught.value)
    assert len(message) < 120 and "\x1b" not in message and "\\x1b[2J" in message
    assert "5005 characters" in message
    assert short("\u202egnp.exe") == "'\\u202egnp.exe'"


@pytest.mark.parametrize("text", ["99999999999999d", "9" * 5000 + "s", "3651d"])
def test_parse_duration_refuses_what_would_overflow(text: str) -> None:
    with pytest.raises(ValueError, match="duration too long"):
        parse_duration(text)
    assert parse_duration("3650d") == timedelta(days=3650)


def test_one_interval_floor() -> None:
    assert check_feed_interval(MIN_FEED_INTERVAL) == MIN_FEED_INTERVAL
    with pytest.raises(ValueError, match="interval must be at least 1m, got 59s"):
        check_feed_interval(timedelta(seconds=59))


def test_db_text_sorts_like_instants() -> None:
    a = datetime(2026, 1, 2, 1, 0, tzinfo=timezone(timedelta(hours=5)))  # 20:00 UTC on the 1st
    b = datetime(2026, 1, 1, 21, 0, tzinfo=UTC)
    assert a < b and a.isoformat() > b.isoformat()  # the raw texts would sort wrongly
    assert to_db(a) < to_db(b)
    assert from_db(to_db(a)) == a


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 1, 1))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2026, 1, 1, 2, tzinfo=UTC)
