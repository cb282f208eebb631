"""The dispatcher: find the digests due now, plan and render them, put them in the outbox.

Called by the scheduler every tick with ``now``. The pool of candidate stories is built
once per tick; subscribers are walked in an order that lets identical digests share one
rendering; everything is written in one transaction whose unique keys make a second
dispatcher (or the same one after a crash) unable to enqueue a digest twice.

One subscriber whose digest cannot be made (a time zone the tz database no longer knows,
a template that fails on its stories) is logged in one line and tried again a day later;
it never holds back everybody else's digest.
"""

# long module: one tick's shared work, its dispatch and the writer overlapping it, together

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from digests import i18n
from digests.assemble import Pool, plan_digest
from digests.compose import (
    RENDER_PLATFORM,
    already_had,
    first_story,
    load_pool,
    presentation_of,
)
from digests.models import Gloss, Subscriber
from digests.punctuality import start_early
from digests.render import RenderCache, sharing_sorted
from digests.schedule import DueDecision, Schedule, decide, next_due, period_of
from digests.settings import Settings
from digests.store import EncodedMessages, OutboxItem, Store
from digests.summaries.gloss import gloss_pool
from digests.timeutil import to_db

log = logging.getLogger(__name__)

ENQUEUE_CHUNK = 2000
# While a batch is written, the loop gets a turn every this many digests made.
TURN_EVERY = 50
DUE_BATCH = 10_000
# Entries of each memo of a tick (next due times, plans and renderings shared by many).
MEMO_ENTRIES = 20_000
SKIP = DueDecision.SKIP
T = TypeVar("T")
# A digest as a tick shares it: its messages (None: empty, not sent), stories and cursor.
Digest = tuple[EncodedMessages | None, tuple[int, ...], int]
# A subscriber whose digest could not be made is tried again this much later.
RETRY_BROKEN = timedelta(days=1)


@dataclass
class DispatchReport:
    due: int = 0
    enqueued: int = 0
    empty: int = 0
    skipped_late: int = 0
    scheduled: int = 0
    failed: int = 0  # subscribers whose digest could not be made (logged, tried tomorrow)
    early: int = 0  # digests of a crowd, queued before their readers' minute
    # Stories (per language) put in this tick's digests with a model summary ready, and
    # without one (the sources' own summary shown): llm_usage's cache_hits, not_ready.
    glossed: int = 0
    unglossed: int = 0


def schedule_of(subscriber: Subscriber) -> Schedule:
    return Schedule(
        subscriber.digest_time, subscriber.timezone, subscriber.frequency, subscriber.weekly_day
    )


def _broken(subscriber: Subscriber, error: Exception) -> None:
    log.error(
        "dispatch: no digest for subscriber %s (%s %s) now, tried again in a day: %s: %s",
        subscriber.id,
        subscriber.platform,
        subscriber.chat_id,
        type(error).__name__,
        str(error).splitlines()[0][:300] if str(error) else "",
    )


async def schedule_new_subscribers(store: Store, *, now: datetime) -> int:
    """Give subscribers without a due time their next one (after ``now``); one whose
    schedule cannot be worked out is logged and looked at again a day later. One whose
    schedule changed while this ran keeps its change (schedule_first); returns how many
    were scheduled."""
    scheduled = 0
    for subscriber in await store.unscheduled_subscribers():
        try:
            due = next_due(schedule_of(subscriber), now)
        except Exception as error:  # one broken row must not stop the tick
            _broken(subscriber, error)
            due = now + RETRY_BROKEN
        scheduled += await store.schedule_first(subscriber, due, now=now)
    return scheduled


class Tick:
    """One dispatch's shared work: the pool, and what many subscribers of a tick have in
    common, worked out once each (next due times, periods, plans with their renderings:
    subscribers with the same subscriptions, cursor and received stories get the same
    digest). Bounded: a memo that fills up starts again."""

    def __init__(
        self,
        pool: Pool,
        cache: RenderCache,
        settings: Settings,
        now: datetime,
        glosses: dict[tuple[int, str], Gloss] | None = None,
    ) -> None:
        self.pool, self.cache, self.settings, self.now = pool, cache, settings, now
        # Model summaries ready for the pool's stories, by (story id, language); the pool
        # as each language's readers see it is made once (pool_for).
        self.glosses = glosses or {}
        self._pools: dict[str, Pool] = {}
        self._shown: set[tuple[int, str]] = set()
        # The categories the pool was loaded for (None: all it holds).
        self.loaded: frozenset[str] | None = None
        self.report = DispatchReport()
        self._due: dict[tuple[Schedule, datetime], datetime] = {}
        self._periods: dict[tuple[str, datetime], str] = {}
        self._when: dict[tuple[object, ...], tuple[datetime, tuple[str, date] | None]] = {}
        self._digests: dict[tuple[object, ...], Digest] = {}
        self.sent: dict[int, set[int]] = {}  # received or queued stories, by subscriber
        self._asked: set[int] = set()

    async def had(self, store: Store, subscriber_ids: list[int]) -> None:
        """Read the stories these subscribers received or have queued (once each)."""
        new = [i for i in subscriber_ids if i not in self._asked]
        if new:
            self._asked.update(new)
            since = first_story(self.pool)
            self.sent.update(await already_had(store, new, since_story=since))

    def next_due(self, schedule: Schedule, after: datetime) -> datetime:
        key = (schedule, after)
        found = self._due.get(key)
        if found is None:
            found = next_due(schedule, after)  # raises for a zone the tz database lacks
            self._due[key] = _bounded(self._due, found)
        return found

    def period_of(self, due: datetime, schedule: Schedule) -> str:
        key = (schedule.timezone, due)
        found = self._periods.get(key)
        if found is None:
            found = self._periods[key] = _bounded(self._periods, period_of(due, schedule))
        return found

    def digest(self, subscriber: Subscriber, sent: set[int] | None, day: date) -> Digest:
        """The subscriber's rendered digest (None: empty and not sent), its stories and
        the cursor after it; ``day``: the local day it is dated."""
        key = (
            subscriber.subscriptions,
            subscriber.cursor_article_id,
            frozenset(sent) if sent else None,
            subscriber.platform,
            subscriber.language,
            day,
        )
        found = self._digests.get(key)
        if found is None:
            at = max(self.now, subscriber.next_digest_at or self.now)
            made = self._make(subscriber, sent, at)
            found = self._digests[key] = _bounded(self._digests, made)
        return found

    def unloaded(self, due: list[Subscriber]) -> set[int]:
        """Those following a live category the pool was not loaded for: they subscribed
        between the dispatcher's two reads. They stay due for the next tick, rather than
        get an empty digest and wait a day."""
        loaded, live = self.loaded, self.pool.categories
        if loaded is None:
            return set()
        return {s.id for s in due if any(c in live and c not in loaded for c in s.categories)}

    def pool_for(self, language: str) -> Pool:
        """The pool with the model summaries ready for readers of ``language``."""
        if not self.glosses:
            return self.pool
        found = self._pools.get(language)
        if found is None:
            try:
                found = gloss_pool(self.pool, language, self.glosses)
            except Exception as error:  # a bad stored summary costs the gloss, not the digest
                log.error("dispatch: no model summaries in %r this tick: %r", language, error)
                found = self.pool
            self._pools[language] = found
        return found

    def _count_glosses(self, story_ids: tuple[int, ...], language: str) -> None:
        for story_id in story_ids:
            if (story_id, language) not in self._shown:
                self._shown.add((story_id, language))
                if (story_id, language) in self.glosses:
                    self.report.glossed += 1
                else:
                    self.report.unglossed += 1

    def _make(self, subscriber: Subscriber, sent: set[int] | None, at: datetime) -> Digest:
        limits = self.settings.digest
        pool = self.pool_for(subscriber.language)
        plan = plan_digest(subscriber, pool, sent_story_ids=sent or set(), limits=limits)
        if self.settings.llm.enabled:
            self._count_glosses(plan.story_ids, subscriber.language)
        if plan.is_empty and not limits.send_empty:
            return None, plan.story_ids, plan.cursor
        platform = RENDER_PLATFORM.get(subscriber.platform, "plain")
        plan = replace(plan, generated_at=at)
        messages = self.cache.render(plan, platform, presentation_of(subscriber))
        return EncodedMessages.of(messages), plan.story_ids, plan.cursor

    def digest_of(
        self, subscriber: Subscriber, sent: set[int] | None
    ) -> tuple[datetime, OutboxItem | None]:
        """The subscriber's next due time, and the entry to enqueue now (None: skipped as
        too late, or empty; counted in the report)."""
        assert subscriber.next_digest_at is not None
        # Readers with one schedule and due time share these (a crowd shares them all).
        key = (
            subscriber.digest_time,
            subscriber.timezone,
            subscriber.frequency,
            subscriber.weekly_day,
            subscriber.next_digest_at,
        )
        when = self._when.get(key)
        if when is None:
            when = self._when[key] = _bounded(self._when, self._when_of(subscriber))
        due, shown = when
        if shown is None:
            self.report.skipped_late += 1
            return due, None
        period, day = shown
        messages, story_ids, cursor = self.digest(subscriber, sent, day)
        if messages is None:
            self.report.empty += 1
            return due, None
        item = OutboxItem(
            subscriber_id=subscriber.id,
            kind="digest",
            period=period,
            platform=subscriber.platform,
            messages=messages,
            story_ids=story_ids,
            cursor=cursor,
            due_at=subscriber.next_digest_at,
        )
        if subscriber.next_digest_at > self.now:
            self.report.early += 1
        return due, item

    def _when_of(self, subscriber: Subscriber) -> tuple[datetime, tuple[str, date] | None]:
        """The next due time, and unless the digest is skipped as too late (None), its
        period and the local day its date shows."""
        schedule = schedule_of(subscriber)
        at = subscriber.next_digest_at
        assert at is not None
        # A reader in a crowd started early keeps their own minute as the digest's due time
        # and period; their next digest is the one after that minute.
        now = self.now
        due = self.next_due(schedule, max(now, at))
        if decide(at, now, self.settings.delivery.catchup) is SKIP:
            return due, None
        # An early digest is dated by its reader's minute, not by the tick that made it.
        day = i18n.local_date(max(now, at), subscriber.timezone)
        return due, (self.period_of(at, schedule), day)


def _bounded(memo: dict[Any, Any], value: T) -> T:
    """``value``, after emptying ``memo`` if it is full (kept small: memory stays flat)."""
    if len(memo) >= MEMO_ENTRIES:
        memo.clear()
    return value


async def dispatch_due(
    store: Store, cache: RenderCache, settings: Settings, *, now: datetime, planning: bool = True
) -> DispatchReport:
    """Enqueue every digest due at ``now``, and those of crowds that must start early
    (``digests.punctuality``; ``planning=False`` or DIGEST_MAX_LEAD_MINUTES=0 turns that
    off); reschedule each subscriber to their next one.

    A digest more than ``DIGEST_CATCHUP_HOURS`` late (the bot was down) is skipped: its
    stories stay after the cursor and roll into the next digest. An empty digest is not
    sent unless ``SEND_EMPTY_DIGEST``; its stories are not lost either.
    """
    scheduled = await schedule_new_subscribers(store, now=now)
    # Crowds whose sending must start by now to reach their last reader by their minute.
    early = await start_early(store, settings, now=now) if planning else {}
    await store.set_meta("last_dispatch_at", to_db(now) or "")
    categories = await store.due_categories(now, early=early)
    tick: Tick | None = None
    # Read in batches: memory stays flat however many are due (a million subscribers, a
    # hundred thousand of them at one minute).
    done: set[int] = set()  # a subscriber rescheduled into this tick's window is not read again
    writer = _Writer(store, now)
    try:
        async for batch in store.due_batches(now, early=early, size=DUE_BATCH):
            due = [s for s in batch if s.id not in done]
            done.update(s.id for s in due)
            if not due:
                continue
            if tick is None:
                pool = await load_pool(store, categories, now=now, limits=settings.digest)
                glosses = await _glosses(store, pool) if settings.llm.enabled else None
                tick = Tick(pool, cache, settings, now, glosses)
                tick.loaded = frozenset(categories)
                # Everybody's received stories before this tick's first entry is written:
                # the outbox queries stay as quick as on an outbox without its entries.
                await tick.had(store, await store.due_ids(now, early=early))
            late = tick.unloaded(due)
            due = [s for s in due if s.id not in late] if late else due
            tick.report.due += len(due)
            await tick.had(store, [s.id for s in due])  # those due since (usually none)
            await _dispatch_batch(tick, due, writer)
    except BaseException:
        await writer.abandon()
        raise
    report = tick.report if tick is not None else DispatchReport()
    report.enqueued = await writer.finish()
    report.scheduled = scheduled
    if report.glossed or report.unglossed:
        counts = {"cache_hits": report.glossed, "fallback:not_ready": report.unglossed}
        try:
            await store.add_llm_usage(now.date(), counts)
        except Exception as error:  # the digests are enqueued: a lost count is only a count
            log.warning("dispatch: model counters not saved: %r", error)
    return report


async def _glosses(store: Store, pool: Pool) -> dict[tuple[int, str], Gloss]:
    """The model summaries ready for the pool's stories, in every language."""
    story_ids = {s.story_id for stories in pool.by_category.values() for s in stories}
    return await store.glosses(sorted(story_ids)) if story_ids else {}


class _Writer:
    """Writes a batch's entries while the dispatcher makes the next batch's: SQLite (or
    PostgreSQL) works on one batch's transactions in its own thread or server while
    this process renders, instead of each waiting for the other. One batch is written
    at a time, in order; a failed write is raised at the next batch, or at the end."""

    def __init__(self, store: Store, now: datetime) -> None:
        self._store, self._now = store, now
        self._task: asyncio.Task[int] | None = None
        self.enqueued = 0

    async def turn(self) -> None:
        """Let the write in flight take its next step (called while making digests)."""
        if self._task is not None and not self._task.done():
            await asyncio.sleep(0)

    async def write(self, made: list[tuple[int, datetime, OutboxItem | None]]) -> None:
        self.enqueued += await self._wait()
        self._task = asyncio.ensure_future(self._chunks(made))

    async def _chunks(self, made: list[tuple[int, datetime, OutboxItem | None]]) -> int:
        enqueued = 0
        for start in range(0, len(made), ENQUEUE_CHUNK):
            chunk = made[start : start + ENQUEUE_CHUNK]
            items = [item for _, _, item in chunk if item is not None]
            reschedule = [(subscriber_id, next_at) for subscriber_id, next_at, _ in chunk]
            # Each chunk is one transaction whose unique keys keep it idempotent.
            enqueued += await self._store.enqueue(items, now=self._now, reschedule=reschedule)
        return enqueued

    async def _wait(self) -> int:
        task, self._task = self._task, None
        return await task if task is not None else 0

    async def finish(self) -> int:
        """Every entry enqueued, once the last write is done."""
        self.enqueued += await self._wait()
        return self.enqueued

    async def abandon(self) -> None:
        """Wait for the write in flight (the dispatch failed: that error is the one told)."""
        with contextlib.suppress(Exception):
            await self._wait()


async def _dispatch_batch(tick: Tick, due: list[Subscriber], writer: _Writer) -> None:
    report, now = tick.report, tick.now
    sent = tick.sent  # each subscriber's, let go once used: memory stays flat
    # (subscriber id, next due time, entry or None), made in an order that puts
    # subscribers likely to share a rendering next to each other.
    made: list[tuple[int, datetime, OutboxItem | None]] = []
    for subscriber in sharing_sorted(due):
        if len(made) % TURN_EVERY == 0:
            await writer.turn()
        try:
            next_at, item = tick.digest_of(subscriber, sent.pop(subscriber.id, None))
        except Exception as error:  # one broken subscriber must not stop everybody's digest
            _broken(subscriber, error)
            report.failed += 1
            made.append((subscriber.id, now + RETRY_BROKEN, None))
            continue
        made.append((subscriber.id, next_at, item))
    # Written in order of id, a chunk's subscribers share the table's pages: each page is
    # written once per dispatch, not once per chunk that holds one of its rows (at a
    # million subscribers that was most of the pages written, twice over).
    made.sort(key=_first)
    await writer.write(made)


def _first(entry: tuple[int, datetime, OutboxItem | None]) -> int:
    return entry[0]
