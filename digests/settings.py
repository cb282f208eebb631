"""Settings read once at start-up from the environment (and an optional .env).

``load_settings`` is the only reader of the environment; everything else receives a
``Settings`` value. A bad value raises ``SettingsError`` naming the variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digests import __version__
from digests.errors import InputError
from digests.i18n import SUPPORTED_LANGUAGES
from digests.timeutil import check_feed_interval, parse_duration


class SettingsError(InputError, ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class DigestLimits:
    """What a digest may hold; the knobs of assembly."""

    per_category: int = 5
    overall: int = 15
    first_lookback: timedelta = timedelta(hours=24)
    max_age: timedelta = timedelta(hours=72)
    send_empty: bool = False


@dataclass(frozen=True)
class FetchLimits:
    """How the fetcher treats other people's servers."""

    timeout_s: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    default_interval: timedelta = timedelta(minutes=30)
    max_errors: int = 10
    concurrency: int = 20
    user_agent: str = (
        f"digestbot/{__version__} (+https://github.com/digestbot/digestbot; news digests)"
    )


@dataclass(frozen=True)
class DeliveryLimits:
    """How the delivery worker paces, retries and gives up."""

    telegram_max_rate: float = 30.0
    discord_max_rate: float = 50.0
    max_attempts: int = 5
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    forbidden_limit: int = 3
    concurrency: int = 32
    catchup: timedelta = timedelta(hours=6)
    dispatch_interval: timedelta = timedelta(seconds=30)
    retention: timedelta = timedelta(days=90)
    delivery_retention: timedelta = timedelta(days=30)
    audit_retention: timedelta = timedelta(days=365)


@dataclass(frozen=True)
class Settings:
    """Everything the application is configured with."""

    database_path: Path = Path("digestbot.db")
    feeds_file: Path = Path("feeds.toml")
    templates_dir: Path | None = None
    default_language: str = "en"
    default_timezone: str = "UTC"
    default_digest_time: str = "08:00"
    story_window: timedelta = timedelta(hours=48)
    digest: DigestLimits = field(default_factory=DigestLimits)
    fetch: FetchLimits = field(default_factory=FetchLimits)
    delivery: DeliveryLimits = field(default_factory=DeliveryLimits)
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_admin_ids: frozenset[int] = frozenset()
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_bind: str = "127.0.0.1:8443"
    discord_api_base_url: str = "https://discord.com/api/v10"
    api_token: str | None = None
    api_bind: str = "127.0.0.1:8080"
    admin_log_chat: str | None = None
    discord_bot_token: str | None = None
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_admin_ids: frozenset[int] = frozenset()
    # Servers that get the slash commands at once (development); empty → global sync.
    discord_guild_ids: frozenset[int] = frozenset()
    # None → one connection, unless Discord says the bot needs shards (AutoSharded).
    discord_shard_count: int | None = None
    log_level: str = "INFO"


def database_path_from_url(url: str) -> Path:
    """Turn ``sqlite:///relative.db`` or ``sqlite:////abs/path.db`` into a path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise SettingsError(f"DATABASE_URL must look like sqlite:///path/to/file.db, got {url!r}")
    return Path(url[len(prefix) :])


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Counts and sizes beyond this are mistakes (and would overflow a timedelta or SQLite).
MAX_NUMBER = 1_000_000_000
# Hours and days settings: up to ten years, so that ``now`` minus them is still a date.
MAX_HOURS = 24 * 3650
MAX_DAYS = 3650


def _show(raw: str) -> str:
    """A setting's value for an error line: quoted, and cut when it is long."""
    return repr(raw) if len(raw) <= 40 else repr(raw[:40]) + f"… ({len(raw)} characters)"


def _int(
    env: Mapping[str, str],
    name: str,
    default: int,
    minimum: int = 0,
    maximum: int = MAX_NUMBER,
) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    # Checked before int(): Python refuses (with its own message) past 4,300 digits.
    if not re.fullmatch(r"[+-]?\d{1,18}", text):
        if re.fullmatch(r"-\d+", text):
            raise SettingsError(f"{name} must be at least {minimum}, got {_show(text)}")
        if re.fullmatch(r"\+?\d+", text):
            raise SettingsError(f"{name} must be at most {maximum}, got {_show(text)}")
        raise SettingsError(f"{name} must be a whole number, got {_show(raw)}")
    value = int(text)
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    if value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, got {value}")
    return value


def _float(
    env: Mapping[str, str],
    name: str,
    default: float,
    minimum: float,
    maximum: float = MAX_NUMBER,
) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    # Plain decimals only: no "nan", "inf", "1e400" or digit-group underscores.
    if not re.fullmatch(r"\d{1,12}(\.\d{1,9})?|\.\d{1,9}", text):
        raise SettingsError(f"{name} must be a number such as 2.5, got {_show(raw)}")
    value = float(text)
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, got {text}")
    if value > maximum:
        raise SettingsError(f"{name} must be at most {maximum:g}, got {text}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _duration(
    env: Mapping[str, str],
    name: str,
    default: timedelta,
    check: Callable[[timedelta], timedelta] = lambda value: value,
) -> timedelta:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return check(parse_duration(raw))
    except (ValueError, OverflowError) as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "")
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        # Telegram and Discord ids fit in 64 bits: at most 20 digits.
        if not re.fullmatch(r"-?\d{1,20}", part):
            raise SettingsError(
                f"{name} must be comma-separated numeric user ids, got {_show(part)}"
            )
        ids.add(int(part))
    return frozenset(ids)


def bind_address(value: str, name: str = "bind address") -> tuple[str, int]:
    """``host:port`` or ``[IPv6]:port`` as (host, port); raise SettingsError otherwise."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.%\w-]+)\]:(\d{1,5})|([^:\[\]\s]+):(\d{1,5})", value)
    if match is None:
        raise SettingsError(f"{name} must be host:port or [IPv6 address]:port, got {_show(value)}")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name}: port must be 1-65535, got {port}")
    return host, port


def validate_digest_time(value: str) -> str:
    """Return ``HH:MM`` normalised, or raise ValueError saying what is wrong."""
    parts = value.strip().split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if 0 <= hour < 24 and 0 <= minute < 60:
            return f"{hour:02d}:{minute:02d}"
    raise ValueError(f"not a time of day: {value!r} (use HH:MM, e.g. 07:30)")


def validate_timezone(value: str) -> str:
    """Return the IANA zone name, or raise ValueError when there is no such zone."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {value!r} (use an IANA name)") from None
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping; raise SettingsError on a bad value."""
    db_url = env.get("DATABASE_URL", "").strip()
    database_path = database_path_from_url(db_url) if db_url else Path("digestbot.db")
    templates = env.get("TEMPLATES_DIR", "").strip()
    language = env.get("DEFAULT_LANGUAGE", "en").strip() or "en"
    if language not in SUPPORTED_LANGUAGES:
        raise SettingsError(
            f"DEFAULT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}, got {language!r}"
        )
    try:
        timezone = validate_timezone(env.get("DEFAULT_TIMEZONE", "UTC").strip() or "UTC")
        digest_time = validate_digest_time(env.get("DEFAULT_DIGEST_TIME", "08:00") or "08:00")
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    digest = DigestLimits(
        per_category=_int(env, "DIGEST_MAX_PER_CATEGORY", 5, minimum=1),
        overall=_int(env, "DIGEST_MAX_STORIES", 15, minimum=1),
        first_lookback=timedelta(
            hours=_int(env, "FIRST_DIGEST_LOOKBACK_HOURS", 24, minimum=1, maximum=MAX_HOURS)
        ),
        max_age=timedelta(
            hours=_int(env, "DIGEST_MAX_AGE_HOURS", 72, minimum=1, maximum=MAX_HOURS)
        ),
        send_empty=_bool(env, "SEND_EMPTY_DIGEST", False),
    )
    fetch = FetchLimits(
        timeout_s=_float(env, "FETCH_TIMEOUT_SECONDS", 15.0, minimum=0.1),
        max_bytes=_int(env, "FETCH_MAX_BYTES", 5 * 1024 * 1024, minimum=1024),
        max_redirects=_int(env, "FETCH_MAX_REDIRECTS", 5),
        default_interval=_duration(
            env, "FEED_DEFAULT_INTERVAL", timedelta(minutes=30), check=check_feed_interval
        ),
        max_errors=_int(env, "FEED_MAX_ERRORS", 10, minimum=1),
        concurrency=_int(env, "FETCH_CONCURRENCY", 20, minimum=1, maximum=10_000),
    )
    delivery = DeliveryLimits(
        telegram_max_rate=_float(env, "TELEGRAM_MAX_RATE", 30.0, minimum=0.1, maximum=100_000),
        discord_max_rate=_float(env, "DISCORD_MAX_RATE", 50.0, minimum=0.1, maximum=100_000),
        max_attempts=_int(env, "DELIVERY_MAX_ATTEMPTS", 5, minimum=1),
        forbidden_limit=_int(env, "DELIVERY_FORBIDDEN_LIMIT", 3, minimum=1),
        concurrency=_int(env, "DELIVERY_CONCURRENCY", 32, minimum=1, maximum=10_000),
        catchup=timedelta(hours=_int(env, "DIGEST_CATCHUP_HOURS", 6, maximum=MAX_HOURS)),
        dispatch_interval=timedelta(seconds=_int(env, "DISPATCH_INTERVAL_SECONDS", 30, minimum=1)),
        retention=timedelta(days=_int(env, "RETENTION_DAYS", 90, minimum=1, maximum=MAX_DAYS)),
        delivery_retention=timedelta(
            days=_int(env, "DELIVERY_RETENTION_DAYS", 30, minimum=1, maximum=MAX_DAYS)
        ),
        audit_retention=timedelta(
            days=_int(env, "AUDIT_RETENTION_DAYS", 365, minimum=1, maximum=MAX_DAYS)
        ),
    )
    if delivery.dispatch_interval > timedelta(seconds=60):
        raise SettingsError("DISPATCH_INTERVAL_SECONDS must be at most 60")
    admin_chat = env.get("ADMIN_LOG_CHAT", "").strip() or None
    # A chat id is at most 20 digits (64 bits); a Telegram channel may be its @username.
    if admin_chat and not re.fullmatch(
        r"telegram:(-?\d{1,20}|@\w{4,32})|discord:\d{1,20}|console:\S{1,64}", admin_chat
    ):
        raise SettingsError(
            f"ADMIN_LOG_CHAT must look like telegram:<chat id> or discord:<channel id>, "
            f"got {_show(admin_chat)}"
        )
    webhook_url = env.get("TELEGRAM_WEBHOOK_URL", "").strip() or None
    webhook_secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None
    if webhook_url and not webhook_url.startswith("https://"):
        raise SettingsError("TELEGRAM_WEBHOOK_URL must be an https:// URL")
    if webhook_url and not (
        webhook_secret and re.fullmatch(r"[A-Za-z0-9_-]{16,256}", webhook_secret)
    ):
        raise SettingsError(
            "TELEGRAM_WEBHOOK_SECRET must be set with the webhook URL: 16-256 characters of "
            "A-Z, a-z, 0-9, _ and -"
        )
    webhook_bind = env.get("TELEGRAM_WEBHOOK_BIND", "").strip() or "127.0.0.1:8443"
    bind_address(webhook_bind, "TELEGRAM_WEBHOOK_BIND")
    api_token = env.get("API_TOKEN", "").strip() or None
    if api_token is not None and len(api_token) < 16:
        raise SettingsError("API_TOKEN must be at least 16 characters")
    api_bind = env.get("API_BIND", "").strip() or "127.0.0.1:8080"
    bind_address(api_bind, "API_BIND")
    log_level = (env.get("LOG_LEVEL", "INFO").strip() or "INFO").upper()
    if log_level == "WARN":
        log_level = "WARNING"
    if log_level not in LOG_LEVELS:
        raise SettingsError(
            f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {_show(log_level)}"
        )
    gateway_url = (env.get("DISCORD_GATEWAY_URL") or "").strip() or "wss://gateway.discord.gg/"
    if not gateway_url.startswith(("wss://", "ws://")):
        raise SettingsError(f"DISCORD_GATEWAY_URL must be a wss:// URL, got {gateway_url!r}")
    if fetch.timeout_s > 15:
        raise SettingsError("FETCH_TIMEOUT_SECONDS must be at most 15")
    return Settings(
        database_path=database_path,
        feeds_file=Path(env.get("FEEDS_FILE", "").strip() or "feeds.toml"),
        templates_dir=Path(templates) if templates else None,
        default_language=language,
        default_timezone=timezone,
        default_digest_time=digest_time,
        story_window=timedelta(
            hours=_int(env, "STORY_WINDOW_HOURS", 48, minimum=1, maximum=MAX_HOURS)
        ),
        digest=digest,
        fetch=fetch,
        delivery=delivery,
        telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_api_base_url=(env.get("TELEGRAM_API_BASE_URL") or "").strip()
        or "https://api.telegram.org/bot",
        admin_log_chat=admin_chat,
        telegram_admin_ids=_ids(env, "TELEGRAM_ADMIN_IDS"),
        telegram_webhook_url=webhook_url,
        telegram_webhook_secret=webhook_secret,
        telegram_webhook_bind=webhook_bind,
        api_token=api_token,
        discord_api_base_url=(env.get("DISCORD_API_BASE_URL") or "").strip()
        or "https://discord.com/api/v10",
        api_bind=api_bind,
        discord_bot_token=env.get("DISCORD_BOT_TOKEN") or None,
        discord_gateway_url=gateway_url,
        discord_admin_ids=_ids(env, "DISCORD_ADMIN_IDS"),
        discord_guild_ids=_ids(env, "DISCORD_GUILD_IDS"),
        discord_shard_count=_int(env, "DISCORD_SHARD_COUNT", 0, minimum=0, maximum=100_000) or None,
        log_level=log_level,
    )
