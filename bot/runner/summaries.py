"""The summary worker's job in ``digestbot run``: when LLM_BASE_URL is set, a pass every
minute on the leader (once among the processes), and one soon after a poll of this process
stored new articles. Its own scheduler job (max_instances=1), never awaited by a dispatch:
a slow or dead model delays no digest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.wiring import App
from digests.ingest.pipeline import PollReport
from digests.models import Feed
from digests.summaries.worker import Summarizer
from digests.timeutil import Clock

TICK = timedelta(seconds=60)
# After a poll's new articles: a short wait lets the feeds polled at the same time land too.
SOON = timedelta(seconds=5)
JOB_ID = "summaries"

Guard = Callable[[str, Callable[[], Awaitable[object]]], Callable[[], Awaitable[None]]]


class SummaryJob:
    """The Summarizer (None: no model configured, the job does nothing), when it may run
    (``leading``) and whether a pass is under way."""

    def __init__(
        self, summarizer: Summarizer | None, clock: Clock, leading: Callable[[], bool]
    ) -> None:
        self.summarizer = summarizer
        self.clock = clock
        self.leading = leading
        self.running = False
        self.scheduler: Any = None

    @classmethod
    def of(cls, app: App, *, leading: Callable[[], bool]) -> SummaryJob:
        model = app.model()
        summarizer = Summarizer(app.store, model, app.settings) if model is not None else None
        return cls(summarizer, app.clock, leading)

    async def run(self) -> None:
        """One pass, on the leader only."""
        if self.summarizer is None or not self.leading():
            return
        self.running = True
        try:
            await self.summarizer.run_once(self.clock.now())
        finally:
            self.running = False

    def schedule(self, scheduler: Any, guard: Guard) -> None:
        """Add the job to ``scheduler`` (guarded like the other ticks) when a model is set."""
        if self.summarizer is None:
            return
        self.scheduler = scheduler
        scheduler.add_job(
            guard(JOB_ID, self.run),
            "interval",
            seconds=TICK.total_seconds(),
            next_run_time=datetime.now(UTC) + SOON,
            id=JOB_ID,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(TICK.total_seconds()),
        )

    def after_poll(
        self, then: Callable[[Feed, PollReport], None]
    ) -> Callable[[Feed, PollReport], None]:
        """A poll's ``on_done``: ``then``, and a pass soon when the poll stored articles."""

        def done(feed: Feed, report: PollReport) -> None:
            then(feed, report)
            if report.counts.new:
                self.soon()

        return done

    def soon(self) -> None:
        """Bring the next pass forward to SOON from now, unless this process does not lead
        or a pass is under way (the scheduler would skip it; the next tick follows)."""
        job = self.scheduler.get_job(JOB_ID) if self.scheduler is not None else None
        if job is None or self.running or not self.leading():
            return
        soon = datetime.now(UTC) + SOON
        if job.next_run_time is None or job.next_run_time > soon:
            job.modify(next_run_time=soon)
