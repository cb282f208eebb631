"""Time zone names as readers type them: validate, follow old aliases to the current
name, suggest close matches for typos, and answer an offset (``UTC+7``) with the zones at
that offset today, since ``Etc/GMT+7`` — the name it resembles — is UTC−7."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    """Old zone name → current name, from tzdata's link lines (``L Asia/Ho_Chi_Minh
    Asia/Saigon``)."""
    text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text("utf-8")
    links = {}
    for line in text.splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            # "UTC" is offered first and is the name people know; tzdata links it to Etc/UTC.
            if alias != "UTC":
                links[alias] = target
    return links


# tzdata's names that are no place to live: "Factory" has no offset of its own.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    # Names without a slash (EST5EDT, CET, UTC) are zones too, or links to one.
    return tuple(sorted(n for n in available_timezones() if n not in _NOT_ZONES))


@lru_cache(maxsize=1)
def _places() -> tuple[str, ...]:
    """Current names of zones where people live (no Etc/ zone, no old alias), the ones
    offered for an offset."""
    aliases = _aliases()
    return tuple(n for n in _names() if "/" in n and not n.startswith("Etc/") and n not in aliases)


# "UTC+7", "GMT-03:30", "+0530", "utc +7": an offset typed where a zone name belongs.
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
MAX_OFFSET_MINUTES = 14 * 60


@dataclass(frozen=True)
class OffsetMatch:
    """An offset typed as a time zone: the zones at that offset today."""

    label: str  # "UTC+07:00"
    zones: list[str]
    # The Etc/ zone at this offset ("Etc/GMT-7" for UTC+7: POSIX inverts the sign), or
    # None for an offset that is not whole hours.
    etc: str | None


def offset_zones(text: str, now: datetime, limit: int = 3) -> OffsetMatch | None:
    """When ``text`` is an offset (``UTC+7``, ``GMT+7``, ``+07:00``), the zones whose
    offset is that at ``now`` (common ones first); None when it is no offset (pure but for
    the tz database)."""
    found = _OFFSET.match(text.strip())
    if found is None:
        return None
    sign = -1 if found.group(1) in "-\u2212" else 1
    minutes = sign * (int(found.group(2)) * 60 + int(found.group(3) or 0))
    if abs(minutes) > MAX_OFFSET_MINUTES:
        return None
    wanted = timedelta(minutes=minutes)
    order = {name: i for i, name in enumerate(COMMON_ZONES)}
    at = [n for n in ("UTC", *_places()) if ZoneInfo(n).utcoffset(now) == wanted]
    # Common zones first, then where people live year-round before research stations.
    at.sort(key=lambda n: (order.get(n, len(order)), n.startswith("Antarctica/"), n))
    hours, rest = divmod(abs(minutes), 60)
    label = f"UTC{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"
    etc = None
    if not rest:
        etc = "Etc/GMT" if hours == 0 else f"Etc/GMT{'+' if minutes < 0 else '-'}{hours}"
    return OffsetMatch(label, at[:limit], etc)


def resolve_zone(text: str) -> tuple[str | None, list[str]]:
    """``(zone, suggestions)``: the current IANA name for ``text`` (case-insensitive,
    spaces as underscores, old aliases followed), or None and up to three close names."""
    cleaned = text.strip().replace(" ", "_")
    if not cleaned:
        return None, []
    by_lower = {name.lower(): name for name in _names()}
    aliases = {alias.lower(): target for alias, target in _aliases().items()}
    lowered = cleaned.lower()
    if lowered in aliases:
        return aliases[lowered], []
    if lowered in by_lower:
        name = by_lower[lowered]
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - broken tz database
            return None, []
        return name, []
    candidates = list(_names()) + list(_aliases())
    matches = process.extract(cleaned, candidates, scorer=fuzz.WRatio, limit=6, score_cutoff=70)
    suggestions: list[str] = []
    for name, _score, _ in matches:
        current = _aliases().get(name, name)
        if current not in suggestions:
            suggestions.append(current)
    return None, suggestions[:3]


# Offered before the reader has typed anything: where most readers are.
COMMON_ZONES = (
    "UTC",
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
)


def zone_choices(text: str, limit: int = 25, now: datetime | None = None) -> list[str]:
    """Zone names for an autocomplete box: names starting with what was typed (or with a
    part after a slash), then names containing it, then close matches for a typo. Given
    ``now``, an offset (``UTC+7``) offers the zones at that offset today, not the
    ``Etc/GMT+7`` it resembles (which is UTC−7)."""
    cleaned = text.strip().replace(" ", "_").lower()
    if not cleaned:
        return list(COMMON_ZONES[:limit])
    offset = offset_zones(text, now, limit) if now is not None else None
    if offset is not None:
        return offset.zones
    names = _names()
    starts = [n for n in names if n.lower().startswith(cleaned)]
    parts = [
        n
        for n in names
        if n not in starts and any(p.startswith(cleaned) for p in n.lower().split("/")[1:])
    ]
    contains = [n for n in names if cleaned in n.lower() and n not in starts and n not in parts]
    found = (starts + parts + contains)[:limit]
    if not found:
        _, found = resolve_zone(text)
    return found
