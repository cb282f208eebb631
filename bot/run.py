"""``digestbot run``: the long-running process, one of several that may share a database.

One asyncio loop: APScheduler (AsyncIOScheduler) ticks the dispatcher, the feed poller,
retention clean-up and the summary worker (``bot.runner.summaries``), each calling core
functions with the clock's ``now``; the delivery worker drains the outbox through the
senders of the platforms that have tokens, supervised: if it ever ends, it is started
again with backoff, and /healthz answers 503 meanwhile (``bot.supervise``). Every tick logs
its failure and runs again at the next.

Among processes (``bot.cluster``): the dispatch, retention and summary ticks and Telegram
long polling run only on the 'leader'; a process sends for a platform only while it holds
'sender:<platform>'; each due feed is claimed by one process; outbox entries are claimed
with leases another process takes over once they run out. SIGTERM or SIGINT stops taking
work, lets sends under way finish (a short grace period), then ends this process's row
(``end_process``: its leases go, unsent entries back in the queue) and closes the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.cluster import LEADER, Roles, join, leave, sender_role
from bot.runner.senders import admin_notifier, build_senders
from bot.runner.summaries import SummaryJob
from bot.runner.telegram import TelegramCommands, TelegramRunning
from bot.supervise import Liveness, supervise
from bot.wiring import App
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.i18n import SUPPORTED_LANGUAGES
from digests.ingest.pipeline import FeedPoller, PollReport
from digests.ingest.stories import group_orphans
from digests.models import Feed
from digests.pacing import Pacer, discord_policy, telegram_policy
from digests.render import RenderCache
from digests.store import StoreError

if TYPE_CHECKING:  # only types: importing them at run time would load the platform libraries
    from bot.runner.discord import DiscordRunning

log = logging.getLogger("digestbot.run")

# Each tick only looks for due feeds and starts each as a task of its own (FeedPoller), so it
# is cheap and never overlaps itself; a feed is polled at most this long after it is due.
POLL_TICK = timedelta(seconds=5)
RETENTION_TICK = timedelta(hours=6)
SHUTDOWN_GRACE_S = 10.0


def _log_poll(feed: Feed, report: PollReport) -> None:
    if report.fetched or report.failed or report.skipped_items:
        log.info(
            "poll %s: %s, %d new articles, %d items left out, %d pictures left out",
            feed.url,
            "failed: " + report.failed[0][1] if report.failed else "fetched",
            report.counts.new,
            report.skipped_items,
            report.pictures_dropped,
        )


class Runner:
    """Holds the running parts so the jobs and the shutdown can reach them."""

    def __init__(self, app: App, out: TextIO) -> None:
        self.app = app
        self.out = out
        self.stop = asyncio.Event()
        self.senders, self.started = build_senders(app, out)
        delivery = app.settings.delivery
        cluster = app.settings.cluster
        self.name = cluster.name
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
            holder=self.name,
            lease=cluster.lease,
            dead_after=cluster.leader_lease,
            may_send=self._sending_platforms,
        )
        self.liveness = Liveness()
        self.roles = Roles(
            app.store,
            self.name,
            ttl=cluster.leader_lease,
            clock=app.clock,
            platforms=lambda: list(self.senders),
            in_flight=self.worker.in_flight,
            on_gain=self._gained,
            on_loss=self._lost,
            liveness=self.liveness,
        )
        self.commands = TelegramCommands(app, self.pacer, out)
        self.scheduler: AsyncIOScheduler | None = None
        self.http = app.http_client()
        self.jobs: set[asyncio.Task[object]] = set()
        self.discord: DiscordRunning | None = None
        self.api_runner: Any = None
        self.summaries = SummaryJob.of(app, leading=lambda: self.roles.holds(LEADER))

    def _guard(
        self, name: str, job: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        async def guarded() -> None:
            try:
                await job()
            except Exception:  # one failing tick must not end the process
                log.exception("%s failed; it runs again at the next tick", name)

        async def run() -> None:
            if self.stop.is_set():
                return
            task = self._track(asyncio.create_task(guarded()))
            # The scheduler cancels the job it is running when it shuts down, and logged
            # that CancelledError with a traceback: the tick goes on in its own task, which
            # the shutdown lets finish (or cancels after the grace period), quietly.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

        return run

    def _track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        """A task the shutdown lets finish (or cancels after the grace period)."""
        self.jobs.add(task)
        task.add_done_callback(self.jobs.discard)
        return task

    def _sending_platforms(self) -> set[str]:
        """The platforms whose 'sender:<platform>' role this process holds: one process
        sends for each bot token, so the platform's rate cap holds across processes."""
        return self.roles.sending_platforms()

    @property
    def telegram(self) -> TelegramRunning | None:
        """Telegram's running application, while this process takes commands."""
        return self.commands.running

    async def _gained(self, role: str) -> None:
        if role == LEADER:
            self.commands.follow(self._leading)
            # Dispatch at once rather than at the next tick: a take-over resumes promptly.
            job = self.scheduler.get_job("dispatch") if self.scheduler is not None else None
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))
            self.summaries.soon()  # and summarise soon, not a whole tick after a take-over
        elif role.startswith(sender_role("")):
            self.worker.wakeup.set()

    async def _lost(self, role: str) -> None:
        if role == LEADER:
            self.commands.follow(self._leading)

    def _leading(self) -> bool:
        return self.roles.holds(LEADER) and not self.stop.is_set()

    async def dispatch(self) -> None:
        if not self.roles.holds(LEADER):  # run once among the processes: by the leader
            return
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
                "%d failed (tried again in a day), %d newly scheduled, %d early (crowds)",
                report.due,
                report.enqueued,
                report.empty,
                report.skipped_late,
                report.failed,
                report.scheduled,
                report.early,
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
                on_done=self.summaries.after_poll(_log_poll),
                # Each due feed is claimed by one process for as long as a send's lease.
                holder=self.name,
                claim=self.app.settings.cluster.lease,
            )
        if self.stop.is_set():
            return
        for task in await self.poller.tick():
            self._track(task)

    async def retention(self) -> None:
        if not self.roles.holds(LEADER):
            return
        now = self.app.clock.now()
        settings = self.app.settings.delivery
        articles = await self.app.store.delete_articles_before(now - settings.retention)
        entries = await self.app.store.purge_outbox_before(now - settings.delivery_retention)
        audited = await self.app.store.purge_audit_before(now - settings.audit_retention)
        # The console's chart shows the last 24 hours of sends per minute; two days are kept.
        await self.app.store.purge_send_minutes_before(now - timedelta(hours=48))
        if any(removed := (articles, entries, audited)):
            log.info(
                "retention: %d articles, %d delivered entries and %d audit entries removed",
                *removed,
            )

    async def start_discord(self) -> None:
        """Log in to Discord when DISCORD_BOT_TOKEN is set: delivery to Discord channels and
        DMs starts at once, the slash commands once the gateway connects."""
        if not self.app.platforms.discord.bot_token:
            return
        from bot.runner import discord  # loads discord.py only when it is used

        running = await discord.start_discord(self.app, self.out, on_push=self.worker.wakeup.set)
        if running is None:
            return
        self.discord = running
        self.senders["discord"] = running.sender
        self.worker.wakeup.set()

    worker_starts = 0

    async def _deliver(self) -> None:
        """Run the delivery worker (``supervise`` starts it again if it ends). At a restart,
        what the ended run left 'sending' under this process's name goes back to the queue
        (others' leases are theirs)."""
        if self.worker_starts:
            requeued = await self.app.store.release_held(self.name, now=self.app.clock.now())
            log.warning("delivery worker restarted; %d unfinished entries queued again", requeued)
        self.worker_starts += 1
        await self.worker.run(self.stop)

    async def _deactivated(self, subscriber_id: int, reason: str) -> None:
        """Delivery stopped for a subscriber: tell whoever set it up, where we can."""
        if self.discord is not None:
            await self.discord.client.tell_setter(subscriber_id, reason)

    async def start_api(self) -> None:
        """Serve the admin HTTP API and the console on API_BIND when API_TOKEN is set or a
        console account exists. Raises SettingsError when it cannot listen there."""
        if not self.app.settings.api_token and not await self.app.store.count_console_users():
            return
        from bot.runner import api  # loads aiohttp's server only when the API is on

        self.api_runner = await api.start_api(
            self.app, self.out, on_push=self.worker.wakeup.set, liveness=self.liveness
        )

    async def stop_discord(self) -> None:
        if self.discord is not None:
            await self.discord.stop()

    def _announce(self, requeued: int) -> None:
        # Said once the API listens: an API_BIND it cannot use is then the only output.
        self.out.write(f"digestbot running as {self.name}; adapters: {'; '.join(self.started)}\n")
        if requeued:
            self.out.write(
                f"{requeued} unfinished deliveries from the last run of {self.name} "
                "are queued again\n"
            )
        self.out.flush()

    def _scheduler(self) -> AsyncIOScheduler:
        """The ticks (dispatch, poll, retention), each guarded: a failing tick is logged
        and runs again at the next."""
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
        self.summaries.schedule(scheduler, self._guard)  # only when LLM_BASE_URL is set
        return scheduler

    async def _drop_roles(self, roles: asyncio.Task[None] | None) -> None:
        """Stop the roles loop, which drops the roles (the leader's polling stops), unless
        a round hangs on a database that does not answer; then stop taking commands."""
        if roles is not None:
            await asyncio.wait({roles}, timeout=SHUTDOWN_GRACE_S)
            roles.cancel()
            await asyncio.gather(roles, return_exceptions=True)
        await self.commands.close()

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT (or ``stop``); return the exit status. A broken set-up
        (a template that fails, a database it cannot write, an API_BIND it cannot listen on)
        raises TemplateError, StoreError or SettingsError before anything is sent."""
        store = self.app.store
        self.app.renderer.check(SUPPORTED_LANGUAGES)
        ttl = self.app.settings.cluster.leader_lease
        try:
            # The first write: a read-only database is found here, not at the first tick.
            requeued = await join(store, self.name, now=self.app.clock.now(), ttl=ttl)
            # Articles a crash or an older version left without a story reach digests again.
            await group_orphans(
                store, now=self.app.clock.now(), window=self.app.settings.story_window
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to database {store.path}: {exc}") from None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stop.set)
        scheduler = self.scheduler = self._scheduler()
        worker: asyncio.Task[None] | None = None
        roles: asyncio.Task[None] | None = None
        # Everything starts inside the try: when one part fails to start (the API's port is
        # taken), what already started is stopped again and the error is the only output.
        try:
            await self.start_api()
            self._announce(requeued)
            scheduler.start()
            roles = asyncio.create_task(self.roles.run(self.stop))
            worker = asyncio.create_task(
                supervise("delivery worker", self._deliver, self.stop, self.liveness)
            )
            if self.commands.webhook:  # served by every process (behind one load balancer)
                await self.commands.start()
            learn = self.commands.learn_username(self.senders.get("telegram"))
            self._track(asyncio.create_task(learn))
            await self.start_discord()
            await self.stop.wait()
        finally:
            if worker is not None:
                self.out.write("stopping: finishing sends under way\n")
                self.out.flush()
            # Set here too when a start-up step failed: the supervisor must not restart
            # the worker that is being stopped.
            self.stop.set()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            await self._drop_roles(roles)
            if self.api_runner is not None:
                await self.api_runner.cleanup()
            self.worker.stop()
            pending = [task for task in (worker, *self.jobs) if task is not None]
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S) if pending else ((), ())
            for task in late:  # abandoned sends stay 'sending': end_process puts them back
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            # This process's row and leases go; what it left 'sending' is queued again.
            await leave(self.app.store, self.name, now=self.app.clock.now())
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
