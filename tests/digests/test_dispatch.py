"""Dispatching due digests into the outbox, with a fixed clock and a real database."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from digests.dispatch import dispatch_due
from digests.ingest.importer import import_records
from digests.render import RenderCache, Renderer
from digests.settings import DigestLimits, Settings
from digests.store import Store
from tests.conftest import NOW

SETTINGS = Settings()


async def seed(store: Store, *titles: str, hours_ago: float = 1) -> None:
    records = [
        (
            i,
            {
                "url": f"https://cms.example/{abs(hash(t))}",
                "title": t,
                "category": "climate",
                "source": "Desk",
                "published_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
            },
        )
        for i, t in enumerate(titles, start=1)
    ]
    await import_records(store, records, now=NOW, story_window=timedelta(hours=48))


async def reader(store: Store, chat: str, *, time: str = "08:00", tz: str = "UTC") -> int:
    sub = await store.upsert_subscriber("telegram", chat, now=NOW, digest_time=time, timezone=tz)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    return sub.id


async def test_new_subscribers_are_scheduled_then_dispatched_once(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers", "Glaciers retreat again")
    first = await reader(store, "1", time="11:00")
    later = await reader(store, "2", time="13:00")
    cache = RenderCache(Renderer())
    report = await dispatch_due(store, cache, SETTINGS, now=NOW)  # 12:00: nobody due yet
    assert report.scheduled == 2 and report.due == 0
    assert (await store.get_subscriber(first)).next_digest_at == NOW + timedelta(hours=23)
    assert (await store.get_subscriber(later)).next_digest_at == NOW + timedelta(hours=1)
    at_one = NOW + timedelta(hours=1)
    report = await dispatch_due(store, cache, SETTINGS, now=at_one)
    assert (report.due, report.enqueued) == (1, 1)
    again = await dispatch_due(store, cache, SETTINGS, now=at_one + timedelta(seconds=30))
    assert again.due == 0 and again.enqueued == 0
    counts = await store.outbox_counts()
    assert counts == {"telegram": {"queued": 1}}
    entry = await store.outbox_entry(1)
    assert entry["period"] == "2026-11-27" and entry["subscriber_id"] == later
    assert (await store.get_subscriber(later)).next_digest_at == at_one + timedelta(days=1)
    assert await store.get_meta("last_dispatch_at") == "2026-11-27T13:00:30+00:00"


async def test_a_schedule_changed_while_a_tick_works_it_out_is_not_overwritten(
    categorised_store: Store,
) -> None:
    # A tick reads the unscheduled, then a reader sets a new time (or something else gives
    # the row a due time) before the tick writes: the old schedule's time would stand for a
    # day. It once left a test's "due now" overwritten with tomorrow.
    store = categorised_store
    moved = await reader(store, "1", time="11:00")
    made_due = await reader(store, "2", time="11:00")
    read = {s.id: s for s in await store.unscheduled_subscribers()}
    await store.update_subscriber(moved, now=NOW, digest_time="13:00")
    await store.update_subscriber(made_due, now=NOW, next_digest_at=NOW)
    tomorrow = NOW + timedelta(hours=23)
    assert not await store.schedule_first(read[moved], tomorrow, now=NOW)
    assert not await store.schedule_first(read[made_due], tomorrow, now=NOW)
    assert (await store.get_subscriber(moved)).next_digest_at is None
    assert (await store.get_subscriber(made_due)).next_digest_at == NOW
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW)
    assert report.scheduled == 1
    assert (await store.get_subscriber(moved)).next_digest_at == NOW + timedelta(hours=1)


async def test_a_schedule_changed_while_a_tick_enqueues_it_keeps_no_old_due_time(
    categorised_store: Store,
) -> None:
    store = categorised_store
    kept = await reader(store, "1")
    changed = await reader(store, "2")
    for subscriber_id in (kept, changed):
        await store.update_subscriber(subscriber_id, now=NOW, next_digest_at=NOW)
    await store.update_subscriber(changed, now=NOW, digest_time="13:00")  # due time cleared
    later = NOW + timedelta(days=1)
    await store.enqueue([], now=NOW, reschedule=[(kept, later), (changed, later)])
    assert (await store.get_subscriber(kept)).next_digest_at == later
    assert (await store.get_subscriber(changed)).next_digest_at is None


async def test_concurrent_dispatchers_never_double_enqueue(
    categorised_store: Store, tmp_path: Path
) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    ids = [await reader(store, str(i), time="12:00") for i in range(30)]
    for subscriber_id in ids:
        await store.update_subscriber(subscriber_id, now=NOW, next_digest_at=NOW)
    assert store.path is not None
    other = await Store.open(store.path)
    try:
        reports = await asyncio.gather(
            dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW),
            dispatch_due(other, RenderCache(Renderer()), SETTINGS, now=NOW),
            dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW),
        )
    finally:
        await other.close()
    rows = await store._fetchall("SELECT subscriber_id, COUNT(*) FROM outbox GROUP BY 1")
    assert len(rows) == 30 and all(r[1] == 1 for r in rows), (reports, [tuple(r) for r in rows])
    assert sum(r.enqueued for r in reports) == 30, reports


async def test_late_digest_within_catch_up_is_sent_beyond_it_skipped_and_rolled_over(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    recent = await reader(store, "recent")
    stale = await reader(store, "stale")
    await store.update_subscriber(recent, now=NOW, next_digest_at=NOW - timedelta(hours=5))
    await store.update_subscriber(stale, now=NOW, next_digest_at=NOW - timedelta(hours=7))
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW)
    assert (report.enqueued, report.skipped_late) == (1, 1)
    rows = await store._fetchall("SELECT subscriber_id FROM outbox")
    assert [r[0] for r in rows] == [recent]
    skipped = await store.get_subscriber(stale)
    assert skipped.cursor_article_id is None  # its stories wait for the next digest
    assert skipped.next_digest_at == NOW.replace(hour=8) + timedelta(days=1)
    tomorrow = skipped.next_digest_at
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=tomorrow)
    assert report.enqueued == 1  # the recent one's story is pending, so nothing new for it
    rows = await store._fetchall("SELECT subscriber_id, story_ids FROM outbox ORDER BY id")
    assert [r[0] for r in rows] == [recent, stale]


async def test_empty_digests_are_not_enqueued_unless_configured(
    categorised_store: Store,
) -> None:
    store = categorised_store
    subscriber = await reader(store, "quiet")
    await store.update_subscriber(subscriber, now=NOW, next_digest_at=NOW)
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW)
    assert (report.due, report.empty, report.enqueued) == (1, 1, 0)
    loud = replace(SETTINGS, digest=replace(DigestLimits(), send_empty=True))
    await store.update_subscriber(subscriber, now=NOW, next_digest_at=NOW)
    report = await dispatch_due(store, RenderCache(Renderer()), loud, now=NOW)
    assert report.enqueued == 1


async def test_identical_digests_share_one_payload(categorised_store: Store) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    for i in range(5):
        await store.update_subscriber(await reader(store, str(i)), now=NOW, next_digest_at=NOW)
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW)
    assert report.enqueued == 5
    payloads = await store._fetchall("SELECT COUNT(*) FROM payloads")
    assert payloads[0][0] == 1


async def test_paused_and_inactive_subscribers_are_not_dispatched(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    paused = await reader(store, "p")
    gone = await reader(store, "g")
    await store.update_subscriber(paused, now=NOW, next_digest_at=NOW, paused=True)
    await store.update_subscriber(gone, now=NOW, next_digest_at=NOW, active=False)
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW)
    assert report.due == 0
