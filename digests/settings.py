"""The core's settings, each declared once: name, type, default, bounds and help.

Every field below that comes from the environment is a ``setting(...)`` (see
``digests.envfields``): ``load_settings`` and ``.env.example`` are derived from these
declarations. ``load_settings`` is called once at start-up (by the CLI, through
``bot.settings``); everything else receives a ``Settings`` value. A bad value raises
``SettingsError`` naming the variable. The chat adapters' own settings live beside them
(``bot/telegram/settings.py``, ``bot/discord/settings.py``).
"""

# setting() and group() return dataclasses.field(...), which ruff cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from digests import __version__
from digests.cluster_settings import ClusterSettings
from digests.dburl import PostgresUrl, parse_database_url, redact_url
from digests.delivery_settings import HOUR, MAX_HOURS
from digests.delivery_settings import DeliveryLimits as DeliveryLimits
from digests.envfields import (
    Checked,
    Choice,
    Decimal,
    Duration,
    FilePath,
    Flag,
    HostPort,
    Text,
    Whole,
    group,
    load_group,
    setting,
    show,
)
from digests.envfields import SettingsError as SettingsError
from digests.envfields import bind_address as bind_address
from digests.i18n import SUPPORTED_LANGUAGES
from digests.llm_settings import LlmSettings
from digests.reach_settings import Reach
from digests.timeutil import check_feed_interval
from digests.zones import resolve_zone

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def validate_digest_time(value: str) -> str:
    """Return ``HH:MM`` normalised, or raise ValueError saying what is wrong."""
    parts = value.strip().split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if 0 <= hour < 24 and 0 <= minute < 60:
            return f"{hour:02d}:{minute:02d}"
    raise ValueError(f"not a time of day: {show(value)} (use HH:MM, e.g. 07:30)")


def _digest_time(name: str, text: str) -> str:
    try:
        return validate_digest_time(text)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _zone(name: str, text: str) -> str:
    # The same rule as a reader's /timezone: case-insensitive, old aliases followed.
    zone, suggestions = resolve_zone(text)
    if zone is None:
        maybe = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise SettingsError(f"{name}: unknown time zone {show(text)} (use an IANA name){maybe}")
    return zone


def database_path_from_url(url: str) -> Path | PostgresUrl:
    """Turn ``sqlite:///relative.db`` or ``sqlite:////abs/path.db`` into a path, and
    ``postgresql://user:pass@host:5432/db`` into a PostgresUrl (which prints without its
    password)."""
    try:
        return parse_database_url(url)
    except ValueError as exc:
        shown = show(redact_url(url)) if "://" in url else show(url)
        raise SettingsError(f"DATABASE_URL {exc}, got {shown}") from None


def _database_url(target: Path | PostgresUrl) -> str:
    return str(target) if isinstance(target, PostgresUrl) else f"sqlite:///{target}"


@dataclass(frozen=True)
class DigestLimits:
    """What a digest may hold; the knobs of assembly."""

    per_category: int = setting(
        "DIGEST_MAX_PER_CATEGORY",
        Whole(minimum=1),
        5,
        "At most this many stories per category in one digest",
        section="digests",
    )
    overall: int = setting(
        "DIGEST_MAX_STORIES",
        Whole(minimum=1),
        15,
        "At most this many stories in one digest, all categories together",
        section="digests",
    )
    first_lookback: timedelta = setting(
        "FIRST_DIGEST_LOOKBACK_HOURS",
        Whole(minimum=1, maximum=MAX_HOURS, unit=HOUR),
        timedelta(hours=24),
        "A new reader's first digest looks back this many hours",
        section="digests",
    )
    max_age: timedelta = setting(
        "DIGEST_MAX_AGE_HOURS",
        Whole(minimum=1, maximum=MAX_HOURS, unit=HOUR),
        timedelta(hours=72),
        "Articles published longer ago than this never appear, even if fetched late",
        section="digests",
    )
    send_empty: bool = setting(
        "SEND_EMPTY_DIGEST",
        Flag(),
        False,
        'Send "nothing new" when a digest would be empty (true/false)',
        section="digests",
    )


@dataclass(frozen=True)
class FetchLimits:
    """How the fetcher treats other people's servers."""

    default_interval: timedelta = setting(
        "FEED_DEFAULT_INTERVAL",
        Duration(check=check_feed_interval),
        timedelta(minutes=30),
        "Poll interval for feeds that do not set one (90s, 15m, 1h, ...)",
        section="fetching",
    )
    timeout_s: float = setting(
        "FETCH_TIMEOUT_SECONDS",
        Decimal(minimum=0.1, maximum=15),
        15.0,
        "Deadline in seconds for a whole feed response, connect to last byte",
        section="fetching",
    )
    max_bytes: int = setting(
        "FETCH_MAX_BYTES",
        Whole(minimum=1024),
        5 * 1024 * 1024,
        "Largest feed body accepted, in bytes, after decompression",
        section="fetching",
    )
    max_redirects: int = setting(
        "FETCH_MAX_REDIRECTS",
        Whole(),
        5,
        "Redirects followed before giving up",
        section="fetching",
    )
    max_errors: int = setting(
        "FEED_MAX_ERRORS",
        Whole(minimum=1),
        10,
        "A feed failing this many times in a row is disabled, with the reason shown in "
        "`feeds list`",
        section="fetching",
    )
    concurrency: int = setting(
        "FETCH_CONCURRENCY",
        Whole(minimum=1, maximum=10_000),
        20,
        "Feeds fetched at the same time",
        section="fetching",
    )
    # Not a setting: the same for every installation.
    user_agent: str = (
        f"digestbot/{__version__} (+https://github.com/digestbot/digestbot; news digests)"
    )


@dataclass(frozen=True)
class Settings:
    """Everything the core (and the CLI, the API and the scheduler) is configured with."""

    database_path: Path | PostgresUrl = setting(
        "DATABASE_URL",
        Checked(lambda _name, url: database_path_from_url(url), shown=_database_url),
        Path("digestbot.db"),
        "SQLite database (sqlite:///relative/path.db or sqlite:////absolute/path.db), or "
        "PostgreSQL for several processes (postgresql://user:password@host:5432/database; "
        "the password is redacted from logs)",
        section="storage",
    )
    feeds_file: Path = setting(
        "FEEDS_FILE",
        FilePath(),
        Path("feeds.toml"),
        "Categories and feeds to sync with `digestbot feeds sync`",
        section="storage",
    )
    templates_dir: Path | None = setting(
        "TEMPLATES_DIR",
        FilePath(),
        None,
        "A folder with telegram/, discord/, plain/ subfolders; any template found there "
        "replaces the bundled one of the same name (leave empty for the bundled set). The "
        "folder must exist; `digestbot run` renders every template once at start and refuses "
        "to start when one fails",
        section="storage",
    )
    default_language: str = setting(
        "DEFAULT_LANGUAGE",
        Choice(SUPPORTED_LANGUAGES),
        "en",
        f"Language for new readers when the platform does not tell us "
        f"({' or '.join(SUPPORTED_LANGUAGES)})",
        section="readers",
    )
    default_timezone: str = setting(
        "DEFAULT_TIMEZONE",
        Checked(_zone),
        "UTC",
        "IANA time zone for new readers",
        section="readers",
    )
    default_digest_time: str = setting(
        "DEFAULT_DIGEST_TIME",
        Checked(_digest_time),
        "08:00",
        "Local time of day for the digest, HH:MM",
        section="readers",
    )
    digest: DigestLimits = group(DigestLimits)
    story_window: timedelta = setting(
        "STORY_WINDOW_HOURS",
        Whole(minimum=1, maximum=MAX_HOURS, unit=HOUR),
        timedelta(hours=48),
        "Articles of different sources published within this many hours may form one story",
        section="digests",
    )
    fetch: FetchLimits = group(FetchLimits)
    delivery: DeliveryLimits = group(DeliveryLimits)
    reach: Reach = group(Reach)
    cluster: ClusterSettings = group(ClusterSettings)
    llm: LlmSettings = group(LlmSettings)
    admin_log_chat: str | None = setting(
        "ADMIN_LOG_CHAT",
        # A chat id is at most 20 digits (64 bits); a Telegram channel may be its @username.
        Text(
            r"telegram:(-?\d{1,20}|@\w{4,32})|discord:\d{1,20}|console:\S{1,64}",
            must="must look like telegram:<chat id> or discord:<channel id>",
        ),
        None,
        "Where operational notes go (chats made inactive): telegram:<chat id> or "
        "discord:<channel id>",
        section="delivery",
    )
    api_token: str | None = setting(
        "API_TOKEN",
        Text(r"(?s).{16,}", must="must be at least 16 characters", secret=True),
        None,
        "Bearer token for /api/* (at least 16 characters; a secret, redacted from logs)",
        section="api",
    )
    api_bind: str = setting(
        "API_BIND",
        HostPort(),
        "127.0.0.1:8080",
        "Where the API listens (keep it on localhost behind a reverse proxy): host:port, or "
        "[IPv6 address]:port such as [::1]:8080; `digestbot run` stops with an error when it "
        "cannot listen there",
        section="api",
    )
    console_session_hours: int = setting(
        "CONSOLE_SESSION_HOURS",
        Whole(minimum=1, maximum=720),
        12,
        "How long a web console sign-in lasts, in hours (1..720); signing out, a removed "
        "account or a changed password ends it sooner",
        section="api",
    )
    log_level: str = setting(
        "LOG_LEVEL",
        Choice(LOG_LEVELS, upper=True, aliases={"WARN": "WARNING"}),
        "INFO",
        f"{', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}. Tokens are redacted from the log "
        "and from everything else digestbot prints",
        section="logging",
    )


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build the core's Settings from an environment mapping; raise SettingsError on a bad
    value. (``bot.settings.load_bot_settings`` adds the chat adapters' settings.)"""
    return load_group(Settings, env)
