"""Read ``feeds.toml`` (categories and the feeds that fill them) and apply it to the store.

Parsing is pure and reports every problem with where it is; applying adds and updates
feeds and disables the ones that left the file, never deleting their articles, and retires
the categories that left it, keeping their subscriptions dormant.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from digests.errors import InputError
from digests.ingest.normalise import InvalidURL, canonical_url
from digests.models import Category, Feed
from digests.store import Store
from digests.terminal import unsafe_char
from digests.timeutil import check_feed_interval, format_duration, parse_duration

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")
# A feed's ranking boost; the bounds keep it a small integer SQLite can store.
MIN_PRIORITY = -100
MAX_PRIORITY = 100
MAX_NAME_CHARS = 300
MAX_DESCRIPTION_CHARS = 1000

# What each part of the file may say: a misspelt key (``intervall``) is an error, not a
# setting silently left at its default.
TOP_KEYS = frozenset({"categories", "feeds"})
CATEGORY_KEYS = frozenset({"name", "description"})
FEED_KEYS = frozenset({"url", "category", "categories", "name", "interval", "priority"})


class FeedsFileError(InputError):
    """The feeds file cannot be used; the message lists what is wrong and where."""


@dataclass(frozen=True)
class FeedSpec:
    url: str
    categories: tuple[str, ...]
    name: str | None = None
    interval: timedelta | None = None
    priority: int = 0


@dataclass(frozen=True)
class FeedsConfig:
    categories: tuple[Category, ...]
    feeds: tuple[FeedSpec, ...]


@dataclass
class SyncReport:
    categories: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    # Categories that left the file (retired) or came back, each with its subscribers.
    retired: dict[str, int] = field(default_factory=dict)
    returned: dict[str, int] = field(default_factory=dict)

    @property
    def subscribers_touched(self) -> int:
        """Subscriptions made dormant or woken up by this sync."""
        return sum(self.retired.values()) + sum(self.returned.values())


def validate_slug(slug: str) -> str:
    """Return the slug, or raise ValueError saying what a slug may contain."""
    if not SLUG.fullmatch(slug):
        raise ValueError(f"bad category slug {slug!r}: use lower-case letters, digits and dashes")
    return slug


def check_priority(value: object) -> int:
    """Return a feed priority, or raise ValueError saying the allowed range."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("priority must be a whole number")
    if not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise ValueError(f"priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}")
    return value


def check_name(name: object) -> str:
    """Return a source name readers will see, or raise ValueError: text of at most
    MAX_NAME_CHARS without control or bidi characters (they could spoof it)."""
    if not isinstance(name, str):
        raise ValueError("name must be text")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"name is too long ({len(name)} characters; at most {MAX_NAME_CHARS})")
    bad = unsafe_char(name)
    if bad:
        raise ValueError(f"name contains a control or bidi character ({bad})")
    return name


def _unknown_keys(table: dict[str, Any], allowed: frozenset[str]) -> str | None:
    unknown = sorted(set(table) - allowed)
    if not unknown:
        return None
    return f"unknown key {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"


def feed_changes(
    before: Feed,
    *,
    categories: tuple[str, ...],
    name: str | None,
    interval: timedelta,
    priority: int,
) -> list[str]:
    """What setting a known feed to these values would change, one phrase per setting
    (``interval 30m → 15m``); empty when nothing would."""
    changes = []
    if set(categories) != set(before.categories):
        changes.append(f"categories {', '.join(before.categories)} → {', '.join(categories)}")
    if name != before.name:
        changes.append(f"name {before.name or '(none)'} → {name or '(none)'}")
    if interval != before.interval:
        changes.append(f"interval {format_duration(before.interval)} → {format_duration(interval)}")
    if priority != before.priority:
        changes.append(f"priority {before.priority} → {priority}")
    return changes


def reject_credentials(url: str) -> None:
    """Feed URLs are listed and logged: a user name or password in one would leak."""
    if "@" in urlsplit(url.strip()).netloc:
        raise ValueError(f"credentials in feed URLs are not supported: {url.split('@')[-1]}")


def parse_feeds_text(text: str, *, source: str = "feeds.toml") -> FeedsConfig:
    """Parse the TOML text of a feeds file; raises FeedsFileError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedsFileError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively: thousands of `[`
        # exhaust the stack instead of raising TOMLDecodeError.
        raise FeedsFileError(f"{source}: not valid TOML: nested too deeply") from None
    problems: list[str] = []
    stray = _unknown_keys(data, TOP_KEYS)
    if stray:
        problems.append(stray)
    categories: list[Category] = []
    flawed: set[str] = set()
    raw_categories = data.get("categories", {})
    if not isinstance(raw_categories, dict):
        raise FeedsFileError(f"{source}: [categories] must be a table")
    for position, (slug, body) in enumerate(raw_categories.items()):
        try:
            validate_slug(slug)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if not isinstance(body, dict):
            problems.append(f"categories.{slug} must be a table")
            continue
        stray = _unknown_keys(body, CATEGORY_KEYS)
        if stray:
            problems.append(f"categories.{slug}: {stray}")
            continue
        try:
            name, description = _category_texts(slug, body)
        except ValueError as exc:
            problems.append(f"categories.{slug}: {exc}")
            flawed.add(slug)  # declared: its feeds need no "unknown category" too
            continue
        categories.append(
            Category(slug=slug, name=name, description=description, position=position)
        )
    known = {c.slug for c in categories} | flawed
    merged: dict[str, FeedSpec] = {}
    raw_feeds = data.get("feeds", [])
    if not isinstance(raw_feeds, list):
        raise FeedsFileError(f"{source}: feeds must be an array of tables ([[feeds]])")
    for number, entry in enumerate(raw_feeds, start=1):
        where = f"feed #{number}"
        try:
            spec = _feed_spec(entry, known)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        previous = merged.get(spec.url)
        if previous is not None:
            # The same URL under several categories is one feed, fetched once.
            spec = FeedSpec(
                url=spec.url,
                categories=tuple(dict.fromkeys(previous.categories + spec.categories)),
                name=previous.name or spec.name,
                interval=min((i for i in (previous.interval, spec.interval) if i), default=None),
                priority=max(previous.priority, spec.priority),
            )
        merged[spec.url] = spec
    if problems:
        raise FeedsFileError(f"{source}: " + "; ".join(problems))
    return FeedsConfig(tuple(categories), tuple(merged.values()))


def _category_texts(slug: str, body: dict[str, Any]) -> tuple[str, str]:
    """A category's name and description, shown in every digest's headers: checked like a
    feed's name, since a bidi override in one would reorder what readers see."""
    name = check_name(str(body.get("name") or slug))
    description = str(body.get("description") or "")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise ValueError(
            f"description is too long ({len(description)} characters; "
            f"at most {MAX_DESCRIPTION_CHARS})"
        )
    bad = unsafe_char(description)
    if bad:
        raise ValueError(f"description contains a control or bidi character ({bad})")
    return name, description


def _feed_spec(entry: Any, known: set[str]) -> FeedSpec:
    if not isinstance(entry, dict):
        raise ValueError("must be a table")
    stray = _unknown_keys(entry, FEED_KEYS)
    if stray:
        raise ValueError(stray)
    url = entry.get("url")
    if not isinstance(url, str):
        raise ValueError("url is missing")
    reject_credentials(url)
    try:
        url = canonical_url(url)
    except InvalidURL as exc:
        raise ValueError(str(exc)) from None
    raw = entry.get("categories", entry.get("category"))
    cats = [raw] if isinstance(raw, str) else raw
    if not cats or not all(isinstance(c, str) for c in cats):
        raise ValueError("category is missing")
    unknown = [c for c in cats if c not in known]
    if unknown:
        raise ValueError(f"unknown category {', '.join(unknown)} (declare it in [categories])")
    interval = None
    if entry.get("interval") is not None:
        interval = check_feed_interval(parse_duration(str(entry["interval"])))
    priority = check_priority(entry.get("priority", 0))
    name = entry.get("name")
    if name is not None:
        name = check_name(name)
    return FeedSpec(url, tuple(cats), str(name) if name else None, interval, priority)


def load_feeds_file(path: Path) -> FeedsConfig:
    """Read and parse a feeds file; raises FeedsFileError when unreadable or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FeedsFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FeedsFileError(f"{path} is not UTF-8 text") from None
    return parse_feeds_text(text, source=str(path))


async def apply_feeds_config(
    store: Store, config: FeedsConfig, *, now: datetime, default_interval: timedelta
) -> SyncReport:
    """Make the store match the file: categories upserted (a retired one returns),
    categories missing from the file retired, feeds added or updated, feeds missing from
    the file disabled (their articles are kept). A feed the file names becomes the
    file's, wherever it came from; feeds added otherwise (command line, import, API) and
    not named are left alone."""
    report = SyncReport(categories=len(config.categories))
    was_retired = {c.slug for c in await store.list_categories(retired=True) if c.retired_at}
    for category in config.categories:
        await store.upsert_category(category)
    back = [c.slug for c in config.categories if c.slug in was_retired]
    if back:
        counts = await store.category_subscribers(back)
        report.returned = {slug: counts.get(slug, 0) for slug in back}
    # A category that left the file leaves the bot: retired, its subscriptions kept dormant.
    report.retired = await store.retire_categories_except(
        [c.slug for c in config.categories], now=now
    )
    before = {f.url: f for f in await store.list_feeds()}
    for spec in config.feeds:
        await store.upsert_feed(
            spec.url,
            spec.categories,
            now=now,
            name=spec.name,
            interval=spec.interval or default_interval,
            priority=spec.priority,
            origin="file",
        )
        (report.updated if spec.url in before else report.added).append(spec.url)
    report.disabled = await store.disable_feeds_except([s.url for s in config.feeds])
    return report
