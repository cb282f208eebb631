"""Feed dates checked against what the feed wrote (red-team finding 12).

feedparser reads dates leniently: ``Mon, 01 Jan 0001 00:00:00 +1400`` came out as the
year 1400, ``+99:99`` as an offset of four days, ``10000-01-01T00:00:00Z`` as 2010-12-01.
A date whose numeric offset lies beyond ±14:00, whose year as written is outside 1..9999
or differs from the year parsed, or whose instant the store cannot hold, is no known date:
None, so the item is treated as undated (``normalise.resolve_published``) and kept.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

from digests.timeutil import EARLIEST, LATEST, parse_iso

# Real time zones lie between UTC-12:00 and UTC+14:00.
MAX_OFFSET_MINUTES = 14 * 60
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})\s*$")
_DIGITS = re.compile(r"\d+")


def implausible(text: str) -> bool:
    """Whether a date's text has an offset or a year no real date has (pure)."""
    cleaned = text.strip()
    offset = _OFFSET.search(cleaned)
    if offset:
        hours, minutes = int(offset.group(2)), int(offset.group(3))
        if minutes > 59 or hours * 60 + minutes > MAX_OFFSET_MINUTES:
            return True
        cleaned = cleaned[: offset.start()]
    year = written_year(cleaned)
    return year is not None and not 1 <= year <= 9999


def written_year(text: str) -> int | None:
    """The year as written: the first run of four or more digits (``20240105`` in ISO's
    basic form is year, month and day); None when no run is that long (``24``)."""
    for run in _DIGITS.findall(text):
        if len(run) == 8 and text.lstrip().startswith(run):
            return int(run[:4])
        if len(run) >= 4:
            return int(run)
    return None


def xml_date(raw: Any, parsed: Any) -> datetime | None:
    """feedparser's reading of a date (``parsed``, a struct_time), or None when it is not a
    date we can trust: see the module's docstring."""
    if not parsed:
        return None
    try:
        value = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None
    if not EARLIEST <= value <= LATEST:
        return None
    if isinstance(raw, str):
        if implausible(raw):
            return None
        year = written_year(_OFFSET.sub("", raw.strip()))
        # One year either way: the offset can move 1 January 00:30 into the year before.
        if year is not None and abs(year - value.year) > 1:
            return None
    return value


def json_date(value: Any) -> datetime | None:
    """A JSON Feed item's date; None (unknown, as for a missing date) when it is not a
    date we can hold, such as year 9999 with a negative offset or an offset of +15:00."""
    if not isinstance(value, str) or implausible(value):
        return None
    try:
        return parse_iso(value)
    except (ValueError, OverflowError):
        return None
