"""``digestbot run``: the long-running process.

One asyncio loop: APScheduler (AsyncIOScheduler) ticks the dispatcher, the feed poller and
retention clean-up, each calling core functions with the clock's ``now``; the delivery
worker drains the outbox through the senders of the platforms that have tokens. SIGTERM or
SIGINT stops taking work, lets sends under way finish (a short grace period), puts
unsent entries back in the queue and closes the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.console import ConsoleSender
from bot.wiring import App
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.i18n import SUPPORTED_LANGUAGES
from digests.ingest.pipeline import FeedPoller, PollReport
from digests.ingest.stories import group_orphans
from digests.models import Feed
from digests.outgoing import Destination, OutgoingMessage, Sender
from digests.pacing import Pacer, discord_policy, telegram_policy
from digests.render import RenderCache
from digests.settings import SettingsError, bind_address
from digests.store import StoreError

log = logging.getLogger("digestbot.run")

# Each tick only looks for due feeds and starts each as a task of its own (FeedPoller), so it
# is cheap and never overlaps itself; a feed is polled at most this long after it is due.
POLL_TICK = timedelta(seconds=5)
RETENTION_TICK = timedelta(hours=6)
SHUTDOWN_GRACE_S = 10.0
ALL_UPDATES = ["message", "edited_message", "channel_post", "callback_query", "my_chat_member"]


def build_senders(app: App, out: TextIO) -> tuple[dict[str, Sender], list[str]]:
    """One Sender per platform that can be used, and a line saying what started."""
    senders: dict[str, Sender] = {"console": ConsoleSender(out)}
    notes = ["console"]
    settings = app.settings
    if settings.telegram_bot_token:
        from bot.telegram.sender import TelegramSender

        senders["telegram"] = TelegramSender.build(
            settings.telegram_bot_token,
            settings.telegram_api_base_url,
            pool_size=max(8, settings.delivery.concurrency),
        )
        notes.append("telegram")
    else:
        notes.append("telegram off (no TELEGRAM_BOT_TOKEN)")
    if not settings.discord_bot_token:
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
        await sender.send(Destination(platform, chat_id), OutgoingMessage(text=text))

    return notify


def _log_poll(feed: Feed, report: PollReport) -> None:
    if report.fetched or report.failed or report.skipped_items:
        log.info(
            "poll %s: %s, %d new articles, %d items left out",
            feed.url,
            "failed: " + report.failed[0][1] if report.failed else "fetched",
            report.counts.new,
            report.skipped_items,
        )


class Runner:
    """Holds the running parts so the jobs and the shutdown can reach them."""

    def __init__(self, app: App, out: TextIO) -> None:
        self.app = app
        self.out = out
        self.stop = asyncio.Event()
        self.senders, self.started = build_senders(app, out)
        delivery = app.settings.delivery
        self.pacer = Pacer(
            {
                "telegram": telegram_policy(delivery.telegram_max_rate),
                "discord": discord_policy(delivery.discord_max_rate),
            }
        )
        self.worker = DeliveryWorker(
            app.store,
            self.senders,
            self.pacer,
            app.clock,
            delivery,
            notify_admin=admin_notifier(app.settings.admin_log_chat, self.senders),
            on_deactivated=self._deactivated,
        )
        self.http = app.http_client()
        self.jobs: set[asyncio.Task[object]] = set()
        self.telegram_app: Any = None
        self.discord_client: Any = None
        self.discord_gateway: asyncio.Task[None] | None = None
        self.api_runner: Any = None

    def _guard(
        self, name: str, job: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self.stop.is_set():
                return
            task = asyncio.current_task()
            assert task is not None
            self.jobs.add(task)  # type: ignore[arg-type]
            try:
                await job()
            except Exception:  # one failing tick must not end the process
                log.exception("%s failed; it runs again at the next tick", name)
            finally:
                self.jobs.discard(task)  # type: ignore[arg-type]

        return run

    async def dispatch(self) -> None:
        # A fresh cache per tick: a story may have gained sources since the last one.
        report = await dispatch_due(
            self.app.store,
            RenderCache(self.app.renderer),
            self.app.settings,
            now=self.app.clock.now(),
        )
        if report.due or report.scheduled:
            log.info(
                "dispatch: %d due, %d enqueued, %d empty, %d skipped (too late), "
                "%d newly scheduled",
                report.due,
                report.enqueued,
                report.empty,
                report.skipped_late,
                report.scheduled,
            )
        if report.enqueued:
            self.worker.wakeup.set()

    poller: FeedPoller | None = None  # made at the first poll tick

    async def poll(self) -> None:
        """Start polling every due feed that is not being polled yet, each as a task of its
        own, and return at once: a slow feed holds neither the tick nor any other feed. The
        tasks join ``jobs``, so a shutdown lets them finish or cancels them."""
        if self.poller is None:
            self.poller = FeedPoller(
                self.app.store,
                self.http,
                self.app.settings,
                self.app.clock,
                on_done=_log_poll,
            )
        if self.stop.is_set():
            return
        for task in await self.poller.tick():
            self.jobs.add(task)  # type: ignore[arg-type]
            task.add_done_callback(self.jobs.discard)  # type: ignore[arg-type]

    async def retention(self) -> None:
        now = self.app.clock.now()
        settings = self.app.settings.delivery
        articles = await self.app.store.delete_articles_before(now - settings.retention)
        entries = await self.app.store.purge_outbox_before(now - settings.delivery_retention)
        audited = await self.app.store.purge_audit_before(now - settings.audit_retention)
        if articles or entries or audited:
            log.info(
                "retention: %d articles, %d delivered entries and %d audit entries removed",
                articles,
                entries,
                audited,
            )

    async def start_telegram(self) -> None:
        """Take commands from Telegram (long polling, or a webhook when configured)."""
        settings = self.app.settings
        if not settings.telegram_bot_token:
            return
        from bot.telegram.app import build_application, register_commands
        from bot.telegram.handlers import BotContext

        ctx = BotContext(
            self.app.store,
            self.app.renderer,
            settings,
            self.app.clock,
            admin_ids=settings.telegram_admin_ids,
        )
        application = build_application(
            ctx, settings.telegram_bot_token, settings.telegram_api_base_url, self.pacer
        )
        try:
            await application.initialize()
            await register_commands(application)
            await application.start()
            assert application.updater is not None
            if settings.telegram_webhook_url:
                host, port = bind_address(settings.telegram_webhook_bind)
                await application.updater.start_webhook(
                    listen=host,
                    port=port,
                    url_path="telegram",
                    webhook_url=settings.telegram_webhook_url,
                    secret_token=settings.telegram_webhook_secret,
                )
                mode = "webhook"
            else:
                await application.updater.start_polling(allowed_updates=ALL_UPDATES)
                mode = "long polling"
        except Exception as exc:  # Telegram down or the token refused: delivery still runs
            log.error("Telegram commands are off: %s", exc)
            self.out.write(f"telegram commands off: {exc}\n")
            with contextlib.suppress(Exception):
                await application.shutdown()
            return
        self.telegram_app = application
        self.out.write(f"telegram commands on ({mode}) as @{application.bot.username}\n")
        self.out.flush()

    async def start_discord(self) -> None:
        """Log in to Discord: delivery to Discord channels and DMs starts at once, the
        slash commands once the gateway connects (it reconnects by itself after outages)."""
        settings = self.app.settings
        if not settings.discord_bot_token:
            return
        from bot.discord.client import DigestClient, point_at
        from bot.discord.context import DiscordContext
        from bot.discord.sender import DiscordSender

        point_at(settings.discord_api_base_url, settings.discord_gateway_url)
        ctx = DiscordContext(
            self.app.store,
            self.app.renderer,
            settings,
            self.app.clock,
            admin_ids=settings.discord_admin_ids,
            on_push=self.worker.wakeup.set,
        )
        client = DigestClient(
            ctx, shard_count=settings.discord_shard_count, guild_ids=settings.discord_guild_ids
        )
        try:
            await client.login(settings.discord_bot_token)
        except Exception as exc:  # Discord down or the token refused: the rest runs on
            log.error("Discord is off: %s", exc)
            self.out.write(f"discord off: {exc}\n")
            with contextlib.suppress(Exception):
                await client.close()
            return
        self.discord_client = client
        self.senders["discord"] = DiscordSender(client.http)
        self.worker.wakeup.set()
        self.discord_gateway = asyncio.create_task(self._discord_gateway(client))
        synced = ", ".join(client.synced) or "not synced"
        self.out.write(f"discord on as {client.user} (commands: {synced})\n")
        self.out.flush()

    async def _discord_gateway(self, client: Any) -> None:
        try:
            await client.connect(reconnect=True)
        except Exception as exc:  # e.g. a privileged intent refused: delivery still runs
            log.error("Discord commands are off: %s", exc)
            self.out.write(f"discord commands off: {exc}\n")
            self.out.flush()

    async def _deactivated(self, subscriber_id: int, reason: str) -> None:
        """Delivery stopped for a subscriber: tell whoever set it up, where we can."""
        if self.discord_client is not None:
            await self.discord_client.tell_setter(subscriber_id, reason)

    async def start_api(self) -> None:
        """Serve the admin HTTP API on API_BIND when API_TOKEN is set. Raises SettingsError
        when it cannot listen there (port in use, no such host)."""
        settings = self.app.settings
        if not settings.api_token:
            return
        from aiohttp import web

        from bot.api import Api

        api = Api(
            self.app.store,
            self.app.renderer,
            settings,
            self.app.clock,
            on_push=self.worker.wakeup.set,
        )
        runner = web.AppRunner(api.app(), access_log=None)
        await runner.setup()
        host, port = bind_address(settings.api_bind, "API_BIND")
        try:
            await web.TCPSite(runner, host, port).start()
        # In use, not ours, no such host (OSError), or a name no resolver takes (UnicodeError).
        except (OSError, OverflowError, UnicodeError) as exc:
            await runner.cleanup()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise SettingsError(f"API_BIND {settings.api_bind}: cannot listen: {reason}") from None
        self.api_runner = runner
        self.out.write(f"admin API on http://{settings.api_bind}\n")
        self.out.flush()

    async def stop_discord(self) -> None:
        client = self.discord_client
        if client is None:
            return
        with contextlib.suppress(Exception):
            await client.close()
        if self.discord_gateway is not None:
            self.discord_gateway.cancel()
            await asyncio.gather(self.discord_gateway, return_exceptions=True)

    async def stop_telegram(self) -> None:
        application = self.telegram_app
        if application is None:
            return
        with contextlib.suppress(Exception):
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            await application.shutdown()

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT (or ``stop``); return the exit status. A broken set-up
        (a template that fails, a database it cannot write, an API_BIND it cannot listen on)
        raises TemplateError, StoreError or SettingsError before anything is sent."""
        store = self.app.store
        self.app.renderer.check(SUPPORTED_LANGUAGES)
        try:
            # The first write: a read-only database is found here, not at the first tick.
            requeued = await store.requeue_abandoned(now=self.app.clock.now())
            # Articles a crash or an older version left without a story reach digests again.
            await group_orphans(
                store, now=self.app.clock.now(), window=self.app.settings.story_window
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to database {store.path}: {exc}") from None
        self.out.write(f"digestbot running; adapters: {'; '.join(self.started)}\n")
        if requeued:
            self.out.write(f"{requeued} unfinished deliveries from the last run are queued again\n")
        self.out.flush()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stop.set)
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        interval = self.app.settings.delivery.dispatch_interval
        for name, job, every, first in (
            ("dispatch", self.dispatch, interval, now),
            ("poll", self.poll, POLL_TICK, now),
            ("retention", self.retention, RETENTION_TICK, now + timedelta(minutes=1)),
        ):
            scheduler.add_job(
                self._guard(name, job),
                "interval",
                seconds=every.total_seconds(),
                next_run_time=first,
                id=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(every.total_seconds()),
            )
        worker: asyncio.Task[None] | None = None
        # Everything starts inside the try: when one part fails to start (the API's port is
        # taken), what already started is stopped again and the error is the only output.
        try:
            await self.start_api()
            scheduler.start()
            worker = asyncio.create_task(self.worker.run(self.stop))
            await self.start_telegram()
            await self.start_discord()
            await self.stop.wait()
        finally:
            if worker is not None:
                self.out.write("stopping: finishing sends under way\n")
                self.out.flush()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            await self.stop_telegram()
            if self.api_runner is not None:
                await self.api_runner.cleanup()
            self.worker.stop()
            pending = [task for task in (worker, *self.jobs) if task is not None]
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S) if pending else ((), ())
            for task in late:  # abandoned sends stay 'sending' and are re-queued on start
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            # Discord's sender shares the client's HTTP session: closed after the sends.
            await self.stop_discord()
            await self.http.aclose()
            for sender in self.senders.values():
                close = getattr(sender, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        await close()
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        self.out.write("stopped\n")
        self.out.flush()
        return 0
