"""The senders ``digestbot run`` delivers through, one per platform that can be used, and
the ADMIN_LOG_CHAT notifier that reaches one of them.

With TELEGRAM_PAID_BROADCAST the Telegram sender sends as paid broadcasts: it is the
delivery worker's, so only the outbox's digests and breaking news are paid; the notifier
sends its notes through the same bot unpaid (command replies have a bot of their own)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.console import ConsoleSender
from bot.wiring import App
from digests.outgoing import Destination, OutgoingMessage, Sender

log = logging.getLogger("digestbot.run")


def build_senders(app: App, out: TextIO) -> tuple[dict[str, Sender], list[str]]:
    """One Sender per platform that can be used, and a line saying what started."""
    senders: dict[str, Sender] = {"console": ConsoleSender(out)}
    notes = ["console"]
    telegram = app.platforms.telegram
    if telegram.bot_token:
        from bot.telegram.sender import TelegramSender  # loads python-telegram-bot only if used

        senders["telegram"] = TelegramSender.build(
            telegram.bot_token,
            telegram.api_base_url,
            pool_size=max(8, app.settings.delivery.concurrency),
            paid_broadcast=app.settings.delivery.telegram_paid_broadcast,
        )
        notes.append("telegram")
    else:
        notes.append("telegram off (no TELEGRAM_BOT_TOKEN)")
    if not app.platforms.discord.bot_token:
        notes.append("discord off (no DISCORD_BOT_TOKEN)")
    return senders, notes


def admin_notifier(
    target: str | None, senders: dict[str, Sender]
) -> Callable[[str], Awaitable[None]] | None:
    """Sends operational notes to ADMIN_LOG_CHAT (platform:chat id), if configured."""
    if not target:
        return None
    platform, chat_id = target.split(":", 1)

    async def notify(text: str) -> None:
        # Looked up when needed: Discord's sender joins once it has logged in.
        sender = senders.get(platform)
        if sender is None:
            log.warning("ADMIN_LOG_CHAT names %s, which is not running", platform)
            return
        # A note is no broadcast: the paid sender's unpaid twin, where there is one.
        unpaid = getattr(sender, "unpaid", None)
        if callable(unpaid):
            sender = unpaid()
        await sender.send(Destination(platform, chat_id), OutgoingMessage(text=text))

    return notify
