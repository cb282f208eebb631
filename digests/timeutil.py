"""Time helpers shared by the core: the Clock seam and UTC text for the store.

Timestamps are stored as ISO 8601 text in UTC with a fixed shape, so that comparing the text
compares the instants (SQLite has no datetime type).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time; tests pass a FakeClock."""

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; for tests and the demo."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = ensure_utc(when)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_db(value: datetime | None) -> str | None:
    """Format an instant for the store (second precision, always ``+00:00``)."""
    if value is None:
        return None
    return ensure_utc(value).replace(microsecond=0).isoformat()


def from_db(value: str | None) -> datetime | None:
    """Parse an instant written by :func:`to_db`."""
    if value is None:
        return None
    return ensure_utc(datetime.fromisoformat(value))


# The instants the store and the scheduler can still add a year to without overflowing;
# a date outside them (year 9999 with an offset, year 1) is refused where it comes in.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 as a CMS writes it (``Z`` suffix allowed); naive means UTC.

    Raises ValueError with the offending text (shortened) when it is not a date, or when
    the date lies outside EARLIEST..LATEST once in UTC.
    """
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = ensure_utc(datetime.fromisoformat(cleaned))
    except (ValueError, OverflowError):
        # OverflowError: 9999-12-31T23:00-05:00 is a valid text but past datetime.max in UTC.
        if len(cleaned) <= 64 and _looks_like_iso(cleaned):
            raise ValueError(f"date out of range: {short(text)}") from None
        raise ValueError(f"not an ISO 8601 date: {short(text)}") from None
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"date out of range: {short(text)}")
    return value


def _looks_like_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return False
    return True


def short(text: str, limit: int = 40) -> str:
    """``repr`` of a piece of user input, cut to ``limit`` characters, for one-line errors.

    ``repr`` escapes control and bidi characters, so the message cannot colour a
    terminal or reorder the line it is printed on.
    """
    if len(text) > limit:
        return repr(text[:limit]) + f"… ({len(text)} characters)"
    return repr(text)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# Poll intervals below a minute only hammer the feed's server; feeds.toml, `feeds add` and
# FEED_DEFAULT_INTERVAL all check against this one floor.
MIN_FEED_INTERVAL = timedelta(minutes=1)
# No duration the program reads is meaningful beyond ten years, and anything much longer
# overflows when added to a date.
MAX_DURATION = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``15m``, ``1h30m`` or ``2d`` into a timedelta.

    Raises ValueError naming the text when it is not such a duration, is zero, or is
    longer than MAX_DURATION.
    """
    raw = text.strip().lower()
    problem = f"not a duration: {short(text)} (use e.g. 90s, 15m, 1h30m, 2d)"
    total = 0
    number = ""
    for char in raw:
        if char in "0123456789":
            number += char
            if len(number) > 12:
                raise ValueError(f"duration too long: {short(text)} (at most 3650d)")
        elif char in _UNITS and number:
            total += int(number) * _UNITS[char]
            number = ""
        else:
            raise ValueError(problem)
    if number or total <= 0:
        raise ValueError(problem)
    if total > MAX_DURATION.total_seconds():
        raise ValueError(f"duration too long: {short(text)} (at most 3650d)")
    return timedelta(seconds=total)


def check_feed_interval(interval: timedelta) -> timedelta:
    """Return ``interval``, or raise ValueError when it is under MIN_FEED_INTERVAL."""
    if interval < MIN_FEED_INTERVAL:
        raise ValueError(
            f"interval must be at least {format_duration(MIN_FEED_INTERVAL)}, "
            f"got {format_duration(interval)}"
        )
    return interval


def format_duration(delta: timedelta) -> str:
    """Format a duration the way :func:`parse_duration` reads it (``1h30m``)."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
