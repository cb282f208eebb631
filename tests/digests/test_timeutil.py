from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from digests.timeutil import (
    FakeClock,
    format_duration,
    from_db,
    parse_duration,
    parse_iso,
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
