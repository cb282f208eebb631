"""The Telegram adapter's settings, declared like the core's (``digests.envfields``):
the bot token, the Bot API's address, the admins, and the optional webhook.

Loaded once at start-up with the rest (``bot.settings.load_bot_settings``); this module
imports no Telegram library, so the CLI can read it without loading one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digests.envfields import HostPort, Ids, SettingsError, Text, setting
from digests.envurls import Url

# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET = r"[A-Za-z0-9_-]{16,256}"


@dataclass(frozen=True)
class TelegramSettings:
    """How the Telegram adapter connects; unset token: the adapter does not start."""

    bot_token: str | None = setting(
        "TELEGRAM_BOT_TOKEN",
        Text(secret=True),
        None,
        "The bot's token from @BotFather",
        section="telegram",
    )
    api_base_url: str = setting(
        "TELEGRAM_API_BASE_URL",
        # The token is appended: without a path it would become the host's port.
        Url(path=True),
        "https://api.telegram.org/bot",
        "A self-hosted Bot API server (or a local fake in tests): an http(s) URL with a path, "
        "such as http://localhost:8081/bot; the token is appended to it",
        section="telegram",
    )
    admin_ids: frozenset[int] = setting(
        "TELEGRAM_ADMIN_IDS",
        Ids(),
        frozenset(),
        "Telegram user ids (comma-separated) allowed to use /stats and /breaking",
        section="telegram",
    )
    bot_username: str | None = setting(
        "TELEGRAM_BOT_USERNAME",
        Text(r"@?[A-Za-z][A-Za-z0-9_]{3,31}", must="must be a Telegram username"),
        None,
        "The bot's username, for `digestbot links` without a connection (`digestbot run` "
        "asks Telegram with getMe)",
        section="telegram",
    )
    webhook_url: str | None = setting(
        "TELEGRAM_WEBHOOK_URL",
        Text(r"(?s)https://.*", must="must be an https:// URL"),
        None,
        "Long polling by default; set an https URL to receive updates by webhook instead",
        section="telegram",
    )
    webhook_secret: str | None = setting(
        "TELEGRAM_WEBHOOK_SECRET",
        Text(secret=True),
        None,
        "With a webhook: a secret token Telegram echoes back (16-256 of A-Z a-z 0-9 _ -)",
        section="telegram",
    )
    webhook_bind: str = setting(
        "TELEGRAM_WEBHOOK_BIND",
        HostPort(),
        "127.0.0.1:8443",
        "With a webhook: where to listen, host:port or [IPv6 address]:port",
        section="telegram",
    )

    def __post_init__(self) -> None:
        # A webhook anyone could post updates to would let strangers act as readers.
        if self.webhook_url and not (
            self.webhook_secret and re.fullmatch(WEBHOOK_SECRET, self.webhook_secret)
        ):
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET must be set with the webhook URL: 16-256 characters "
                "of A-Z, a-z, 0-9, _ and -"
            )
