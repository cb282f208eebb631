"""Time zone names as readers type them: validate, follow old aliases to the current
name, and suggest close matches for typos."""

from __future__ import annotations

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


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    return tuple(sorted(n for n in available_timezones() if "/" in n or n == "UTC"))


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


def zone_choices(text: str, limit: int = 25) -> list[str]:
    """Zone names for an autocomplete box: names starting with what was typed (or with a
    part after a slash), then names containing it, then close matches for a typo."""
    cleaned = text.strip().replace(" ", "_").lower()
    if not cleaned:
        return list(COMMON_ZONES[:limit])
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
