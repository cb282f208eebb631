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


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 as a CMS writes it (``Z`` suffix allowed); naive means UTC.

    Raises ValueError with the offending text when it is not a date.
    """
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return ensure_utc(datetime.fromisoformat(cleaned))
    except ValueError:
        raise ValueError(f"not an ISO 8601 date: {text!r}") from None


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``15m``, ``1h30m`` or ``2d`` into a timedelta.

    Raises ValueError naming the text when it is not such a duration or is zero.
    """
    raw = text.strip().lower()
    total = 0
    number = ""
    for char in raw:
        if char.isdigit():
            number += char
        elif char in _UNITS and number:
            total += int(number) * _UNITS[char]
            number = ""
        else:
            raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 1h30m, 2d)")
    if number or total <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 1h30m, 2d)")
    return timedelta(seconds=total)


def format_duration(delta: timedelta) -> str:
    """Format a duration the way :func:`parse_duration` reads it (``1h30m``)."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
