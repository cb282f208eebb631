"""Settings for delivery: when digests are dispatched, how fast each platform is sent to,
how failures are retried and how long records are kept."""

# setting() builds a frozen field spec (metadata only), not a shared mutable default.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from digests.envfields import Decimal, Flag, SettingsError, Whole, setting

# Hours and days settings: up to ten years, so that ``now`` minus them is still a date.
MAX_HOURS = 24 * 3650
MAX_DAYS = 3650
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Telegram's overall cap per bot, messages/s: without and with paid broadcasts.
TELEGRAM_FREE_CAP = 30.0
TELEGRAM_PAID_CAP = 1000.0


@dataclass(frozen=True)
class DeliveryLimits:
    """How the delivery worker paces, retries and gives up."""

    catchup: timedelta = setting(
        "DIGEST_CATCHUP_HOURS",
        Whole(maximum=MAX_HOURS, unit=HOUR),
        timedelta(hours=6),
        "A digest missed while the bot was down is still sent if less than this many hours "
        "late; later than that it is skipped and its stories roll into the next digest",
        section="delivery",
    )
    dispatch_interval: timedelta = setting(
        "DISPATCH_INTERVAL_SECONDS",
        Whole(minimum=1, maximum=60, unit=SECOND),
        timedelta(seconds=30),
        "How often the dispatcher looks for due digests, in seconds",
        section="delivery",
    )
    telegram_max_rate: float = setting(
        "TELEGRAM_MAX_RATE",
        Decimal(minimum=0.1, maximum=TELEGRAM_PAID_CAP),
        30.0,
        f"Telegram messages per second overall: at most {TELEGRAM_FREE_CAP:g}, or up to "
        f"{TELEGRAM_PAID_CAP:g} with TELEGRAM_PAID_BROADCAST; 0.5 is one every two seconds",
        section="delivery",
    )
    telegram_paid_broadcast: bool = setting(
        "TELEGRAM_PAID_BROADCAST",
        Flag(),
        False,
        "Send digests and breaking news as Telegram paid broadcasts (allow_paid_broadcast, "
        "paid in Telegram Stars), which lets TELEGRAM_MAX_RATE go up to "
        f"{TELEGRAM_PAID_CAP:g}; per-chat and per-group limits still hold",
        section="delivery",
    )
    max_lead: timedelta = setting(
        "DIGEST_MAX_LEAD_MINUTES",
        Whole(maximum=24 * 60, unit=MINUTE),
        timedelta(minutes=30),
        "A crowd of readers due at one minute is started up to this many minutes early, so "
        "that the last of them still gets the digest by its minute; 0 starts every digest "
        "at its time",
        section="delivery",
    )
    discord_max_rate: float = setting(
        "DISCORD_MAX_RATE",
        Decimal(minimum=0.1, maximum=100_000),
        50.0,
        "Discord requests per second overall",
        section="delivery",
    )
    max_attempts: int = setting(
        "DELIVERY_MAX_ATTEMPTS",
        Whole(minimum=1),
        5,
        "Attempts for time-outs and server errors before a message is dead-lettered",
        section="delivery",
    )
    forbidden_limit: int = setting(
        "DELIVERY_FORBIDDEN_LIMIT",
        Whole(minimum=1),
        3,
        "Refusals in a row (blocked, kicked, missing permissions) before a chat is made inactive",
        section="delivery",
    )
    concurrency: int = setting(
        "DELIVERY_CONCURRENCY",
        Whole(minimum=1, maximum=10_000),
        32,
        "Messages being sent at once per platform (entries waiting for their pace are not counted)",
        section="delivery",
    )
    retention: timedelta = setting(
        "RETENTION_DAYS",
        Whole(minimum=1, maximum=MAX_DAYS, unit=DAY),
        timedelta(days=90),
        "Articles older than this many days are deleted",
        section="delivery",
    )
    delivery_retention: timedelta = setting(
        "DELIVERY_RETENTION_DAYS",
        Whole(minimum=1, maximum=MAX_DAYS, unit=DAY),
        timedelta(days=30),
        "Delivery records older than this many days are deleted",
        section="delivery",
    )
    audit_retention: timedelta = setting(
        "AUDIT_RETENTION_DAYS",
        Whole(minimum=1, maximum=MAX_DAYS, unit=DAY),
        timedelta(days=365),
        "Admin actions and refused API attempts are kept this many days in the audit log",
        section="delivery",
    )
    # Not settings: how retries back off.
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)

    def max_rate(self, platform: str) -> float | None:
        """The messages/s a platform is paced at overall (None: a platform not paced)."""
        return {"telegram": self.telegram_max_rate, "discord": self.discord_max_rate}.get(platform)

    def __post_init__(self) -> None:
        if self.telegram_max_rate > TELEGRAM_FREE_CAP and not self.telegram_paid_broadcast:
            raise SettingsError(
                f"TELEGRAM_MAX_RATE above {TELEGRAM_FREE_CAP:g} needs "
                f"TELEGRAM_PAID_BROADCAST=true (Telegram floods a bot past "
                f"{TELEGRAM_FREE_CAP:g} messages/s otherwise), got {self.telegram_max_rate:g}"
            )
