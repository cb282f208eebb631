"""Telegram's side of ``digestbot run``: take commands by long polling or a webhook, and
stop again. Delivery to Telegram does not depend on it (``bot.telegram.sender``).

Among several processes on one database, ``TelegramCommands`` decides where: a webhook is
served by every process from the start (all may receive updates behind one load balancer);
long polling runs only on the leader, since Telegram allows one ``getUpdates`` consumer per
token. python-telegram-bot is loaded only once commands start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

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
    from bot.telegram.app import build_application, register_commands  # loads PTB: if used
    from bot.telegram.context import BotContext  # python-telegram-bot, only when used

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


class TelegramCommands:
    """Takes Telegram's updates where this process should (see the module's docstring)."""

    def __init__(self, app: App, pacer: Pacer, out: TextIO) -> None:
        self.app = app
        self.pacer = pacer
        self.out = out
        self.running: TelegramRunning | None = None
        self._lock = asyncio.Lock()  # starts and stops in the order they were asked for
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def webhook(self) -> bool:
        return bool(
            self.app.platforms.telegram.bot_token and self.app.platforms.telegram.webhook_url
        )

    async def start(self) -> None:
        """Take commands now (nothing without TELEGRAM_BOT_TOKEN, or while already on)."""
        if not self.app.platforms.telegram.bot_token or self.running is not None:
            return
        self.running = await start_telegram(self.app, self.pacer, self.out)

    async def learn_username(self, sender: Any) -> None:
        """The bot's username for the links this process hands out (/api/links), from
        getMe through the Telegram ``sender``'s bot: a process that does not poll never
        starts the application that would learn it. Nothing when it is known, there is no
        sender, or Telegram does not answer."""
        bot = getattr(sender, "bot", None)
        if self.app.identity.telegram_username or bot is None:
            return
        try:
            me = await bot.get_me()
        except Exception as exc:  # links wait for the leader, or TELEGRAM_BOT_USERNAME
            log.warning("could not learn the Telegram bot's username: %s", exc)
            return
        if not self.app.identity.telegram_username:
            self.app.identity.telegram_username = me.username

    async def stop(self, why: str = "") -> None:
        running, self.running = self.running, None
        if running is not None:
            await running.stop()
            if why:
                self.out.write(f"telegram commands off ({why})\n")
                self.out.flush()

    def follow(self, leading: Callable[[], bool]) -> None:
        """Start or stop long polling to match ``leading()`` (looked at once the earlier
        changes are done), in a task of its own: reaching Telegram may take a while, and
        the caller (the roles loop) must go on renewing its leases meanwhile."""
        if self.webhook:
            return
        task = asyncio.create_task(self._follow(leading))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self, leading: Callable[[], bool]) -> None:
        async with self._lock:
            if leading():
                await self.start()
            else:
                await self.stop("another process leads")

    async def close(self) -> None:
        """Wait for the changes under way, then stop taking commands."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        async with self._lock:
            await self.stop()
