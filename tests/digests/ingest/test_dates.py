"""Feed dates checked against what the feed wrote (red-team finding 12), unit by unit."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from digests.ingest.dates import implausible, json_date, written_year, xml_date


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("Mon, 01 Jan 2024 00:00:00 +1400", False),
        ("Mon, 01 Jan 2024 00:00:00 -1200", False),
        ("Mon, 01 Jan 2024 00:00:00 +1401", True),
        ("Mon, 01 Jan 2024 00:00:00 +99:99", True),
        ("Mon, 01 Jan 2024 00:00:00 +0060", True),
        ("2024-01-01T00:00:00+05:30", False),
        ("2024-01-01T00:00:00-15:00", True),
        ("10000-01-01T00:00:00Z", True),
        ("0000-01-01T00:00:00Z", True),
        ("Mon, 01 Jan 24 10:00:00 EST", False),
    ],
)
def test_implausible(text: str, bad: bool) -> None:
    assert implausible(text) is bad


def test_written_year() -> None:
    assert written_year("Mon, 01 Jan 2024 10:00") == 2024
    assert written_year("20240105T100000") == 2024
    assert written_year("Mon, 01 Jan 24 10:00") is None


def struct(*fields: int) -> time.struct_time:
    return datetime(*fields, tzinfo=UTC).timetuple()  # type: ignore[misc]


def test_xml_date_refuses_a_year_feedparser_misread() -> None:
    assert xml_date("Mon, 01 Jan 0001 00:00:00 +1400", struct(1400, 1, 1, 1)) is None
    assert xml_date("10000-01-01T00:00:00Z", struct(2010, 12, 1)) is None
    # An offset may move the first minutes of a year into the year before.
    assert xml_date("Mon, 01 Jan 2024 00:30:00 +0100", struct(2023, 12, 31, 23, 30)) == datetime(
        2023, 12, 31, 23, 30, tzinfo=UTC
    )
    assert xml_date(None, struct(2024, 5, 1)) == datetime(2024, 5, 1, tzinfo=UTC)
    assert xml_date("whatever", None) is None


def test_json_date() -> None:
    assert json_date("2024-01-01T00:00:00+15:00") is None
    assert json_date("9999-12-31T23:00:00-05:00") is None
    assert json_date("2024-01-01T10:00:00+02:00") == datetime(2024, 1, 1, 8, tzinfo=UTC)
    assert json_date(20240101) is None
