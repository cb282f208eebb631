"""Telegram's side of ``digestbot run``: take commands by long polling or a webhook, and
stop again. Delivery to Telegram does not depend on it (``bot.telegram.sender``)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any, TextIO

from bot.telegram.app import build_application, register_commands
from bot.telegram.context import BotContext
from bot.wiring import App
from digests.pacing import Pacer
from digests.settings import bind_address

log = logging.getLogger("digestbot.run")

ALL_UPDATES = ["message", "edited_message", "channel_post", "callback_query", "my_chat_member"]


@dataclass
class TelegramRunning:
    """The running python-telegram-bot application that takes commands."""

    application: Any

    async def stop(self) -> None:
        """Stop taking updates and shut the application down; errors are beside the point."""
        application = self.application
        with contextlib.suppress(Exception):
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            await application.shutdown()


async def start_telegram(app: App, pacer: Pacer, out: TextIO) -> TelegramRunning | None:
    """Take commands from Telegram (long polling, or a webhook when configured); None when
    Telegram could not be reached or refused the token (said on ``out``; delivery still
    runs)."""
    telegram = app.platforms.telegram
    ctx = BotContext(
        app.store,
        app.renderer,
        app.settings,
        app.clock,
        admin_ids=telegram.admin_ids,
    )
    application = build_application(ctx, telegram.bot_token, telegram.api_base_url, pacer)
    try:
        await application.initialize()
        await register_commands(application)
        await application.start()
        assert application.updater is not None
        if telegram.webhook_url:
            host, port = bind_address(telegram.webhook_bind)
            await application.updater.start_webhook(
                listen=host,
                port=port,
                url_path="telegram",
                webhook_url=telegram.webhook_url,
                secret_token=telegram.webhook_secret,
            )
            mode = "webhook"
        else:
            await application.updater.start_polling(allowed_updates=ALL_UPDATES)
            mode = "long polling"
    except Exception as exc:  # Telegram down or the token refused: delivery still runs
        log.error("Telegram commands are off: %s", exc)
        out.write(f"telegram commands off: {exc}\n")
        with contextlib.suppress(Exception):
            await application.shutdown()
        return None
    app.identity.telegram_username = application.bot.username
    out.write(f"telegram commands on ({mode}) as @{application.bot.username}\n")
    out.flush()
    return TelegramRunning(application)
