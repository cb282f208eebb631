"""The dispatcher: find the digests due now, plan and render them, put them in the outbox.

Called by the scheduler every tick with ``now``. The pool of candidate stories is built
once per tick; subscribers are walked in an order that lets identical digests share one
rendering; everything is written in one transaction whose unique keys make a second
dispatcher (or the same one after a crash) unable to enqueue a digest twice.

One subscriber whose digest cannot be made (a time zone the tz database no longer knows,
a template that fails on its stories) is logged in one line and tried again a day later;
it never holds back everybody else's digest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from digests.assemble import Pool, plan_digest
from digests.compose import RENDER_PLATFORM, already_had, load_pool, presentation_of
from digests.models import Subscriber
from digests.punctuality import start_early
from digests.render import RenderCache, sharing_order
from digests.schedule import DueDecision, Schedule, decide, next_due, period_of
from digests.settings import Settings
from digests.store import OutboxItem, Store
from digests.timeutil import to_db

log = logging.getLogger(__name__)

ENQUEUE_CHUNK = 2000
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
    schedule cannot be worked out is logged and looked at again a day later."""
    pending = await store.unscheduled_subscribers()
    for subscriber in pending:
        try:
            due = next_due(schedule_of(subscriber), now)
        except Exception as error:  # one broken row must not stop the tick
            _broken(subscriber, error)
            due = now + RETRY_BROKEN
        await store.update_subscriber(subscriber.id, now=now, next_digest_at=due)
    return len(pending)


def _digest_of(
    subscriber: Subscriber,
    pool: Pool,
    sent: dict[int, set[int]],
    cache: RenderCache,
    settings: Settings,
    now: datetime,
    report: DispatchReport,
) -> tuple[datetime, OutboxItem | None]:
    """The subscriber's next due time, and the entry to enqueue now (None: skipped as too
    late, or empty; counted in ``report``)."""
    schedule = schedule_of(subscriber)
    assert subscriber.next_digest_at is not None
    # A reader in a crowd started early keeps their own minute as the digest's due time
    # and period; their next digest is the one after that minute.
    due = next_due(schedule, max(now, subscriber.next_digest_at))
    if decide(subscriber.next_digest_at, now, settings.delivery.catchup) is DueDecision.SKIP:
        report.skipped_late += 1
        return due, None
    limits = settings.digest
    plan = plan_digest(
        subscriber, pool, sent_story_ids=sent.get(subscriber.id, set()), limits=limits
    )
    if plan.is_empty and not limits.send_empty:
        report.empty += 1
        return due, None
    platform = RENDER_PLATFORM.get(subscriber.platform, "plain")
    messages = cache.render(plan, platform, presentation_of(subscriber))
    item = OutboxItem(
        subscriber_id=subscriber.id,
        kind="digest",
        period=period_of(subscriber.next_digest_at, schedule),
        platform=subscriber.platform,
        messages=messages,
        story_ids=plan.story_ids,
        cursor=plan.cursor,
        due_at=subscriber.next_digest_at,
    )
    if subscriber.next_digest_at > now:
        report.early += 1
    return due, item


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
    report = DispatchReport(scheduled=await schedule_new_subscribers(store, now=now))
    # Crowds whose sending must start by now to reach their last reader by their minute.
    early = await start_early(store, settings, now=now) if planning else {}
    due = await store.due_subscribers(now, early=early)
    report.due = len(due)
    await store.set_meta("last_dispatch_at", to_db(now) or "")
    if not due:
        return report
    limits = settings.digest
    categories = sorted({c for s in due for c in s.categories})
    pool = await load_pool(store, categories, now=now, limits=limits)
    sent = await already_had(store, [s.id for s in due])
    items: list[OutboxItem] = []
    reschedule: list[tuple[int, datetime]] = []
    for subscriber in sorted(due, key=sharing_order):
        if len(reschedule) >= ENQUEUE_CHUNK:
            # Written in chunks: memory stays flat however many are due, and each chunk is
            # one transaction whose unique keys keep it idempotent.
            report.enqueued += await store.enqueue(items, now=now, reschedule=reschedule)
            items, reschedule = [], []
        try:
            next_at, item = _digest_of(subscriber, pool, sent, cache, settings, now, report)
        except Exception as error:  # one broken subscriber must not stop everybody's digest
            _broken(subscriber, error)
            report.failed += 1
            reschedule.append((subscriber.id, now + RETRY_BROKEN))
            continue
        reschedule.append((subscriber.id, next_at))
        if item is not None:
            items.append(item)
    report.enqueued += await store.enqueue(items, now=now, reschedule=reschedule)
    return report
