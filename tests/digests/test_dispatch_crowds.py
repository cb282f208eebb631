"""Crowds dispatched early (``digests.punctuality`` through ``dispatch_due``), with a fake
clock and a real database on both engines.

Telegram at 0.085 / PACE_SHARE messages/s is planned at 0.085/s: nine readers due at
07:00 need 106 s, so they must start by 07:01 - 106 s - 32 s (a tick and the slack) =
06:58:42. With ticks every 30 s on the minute and the half minute, the 06:59:00 tick
dispatches them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digests.dispatch import dispatch_due
from digests.ingest.importer import import_records
from digests.outgoing import OutgoingMessage
from digests.punctuality import PACE_SHARE
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.stats import crowds_ahead
from digests.store import BREAKING_PRIORITY, OutboxItem, Store

DAY = timedelta(days=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)
SEVEN = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
START = SEVEN - M  # the tick that must dispatch the crowd
CROWD = 9
DEFAULTS = Settings()
SLOW = replace(DEFAULTS, delivery=replace(DEFAULTS.delivery, telegram_max_rate=0.085 / PACE_SHARE))


async def story(store: Store, title: str, at: datetime) -> None:
    record = {
        "url": f"https://cms.example/{abs(hash(title))}",
        "title": title,
        "category": "climate",
        "source": "Desk",
        "published_at": at.isoformat(),
    }
    await import_records(store, [(1, record)], now=at, story_window=timedelta(hours=48))


async def readers(store: Store, count: int, *, time: str, prefix: str) -> list[int]:
    ids = []
    for i in range(count):
        sub = await store.upsert_subscriber(
            "telegram", f"{prefix}{i}", now=SEVEN - DAY, digest_time=time
        )
        await store.subscribe(sub.id, ["climate"], now=SEVEN - DAY)
        ids.append(sub.id)
    return ids


async def setup(store: Store) -> tuple[list[int], int]:
    await story(store, "Heat pumps overtake boilers", SEVEN - 2 * 60 * M)
    crowd = await readers(store, CROWD, time="07:00", prefix="c")
    (alone,) = await readers(store, 1, time="07:10", prefix="alone")
    return crowd, alone


async def tick(store: Store, at: datetime, settings: Settings = SLOW, **kwargs: bool) -> int:
    report = await dispatch_due(store, RenderCache(Renderer()), settings, now=at, **kwargs)
    return report.enqueued


async def entries(store: Store) -> list[tuple[int, str, str]]:
    rows = await store._fetchall(
        "SELECT subscriber_id, due_at, period FROM outbox ORDER BY subscriber_id"
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


async def test_a_crowd_starts_at_the_tick_its_size_asks_for(categorised_store: Store) -> None:
    store = categorised_store
    crowd, alone = await setup(store)
    assert await tick(store, START - 30 * S) == 0  # 06:58:30: not yet
    report = await dispatch_due(store, RenderCache(Renderer()), SLOW, now=START)
    assert (report.enqueued, report.early) == (CROWD, CROWD)
    assert await entries(store) == [(i, "2026-12-02T07:00:00+00:00", "2026-12-02") for i in crowd]
    for subscriber_id in crowd:
        assert (await store.get_subscriber(subscriber_id)).next_digest_at == SEVEN + DAY
    # The next ticks do not enqueue them again, at their minute neither.
    assert await tick(store, START + 30 * S) == 0
    assert await tick(store, SEVEN) == 0
    # The reader alone at 07:10 is dispatched at 07:10, not before.
    assert await tick(store, SEVEN + 9 * M + 30 * S) == 0
    assert await tick(store, SEVEN + 10 * M) == 1
    assert (await entries(store))[-1] == (alone, "2026-12-02T07:10:00+00:00", "2026-12-02")


async def test_planning_off_or_lead_zero_dispatches_at_the_minute(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await setup(store)
    no_lead = replace(SLOW, delivery=replace(SLOW.delivery, max_lead=timedelta(0)))
    assert await tick(store, START - 30 * S, no_lead) == 0
    assert await tick(store, START, no_lead) == 0
    assert await tick(store, START + 30 * S, SLOW, planning=False) == 0
    assert await tick(store, SEVEN, no_lead) == CROWD
    assert {due for _, due, _ in await entries(store)} == {"2026-12-02T07:00:00+00:00"}


async def test_default_pace_leaves_a_small_crowd_at_its_minute(categorised_store: Store) -> None:
    store = categorised_store
    await setup(store)
    assert await tick(store, START, DEFAULTS) == 0  # 9 messages at 25/s fit in the minute
    assert await tick(store, SEVEN, DEFAULTS) == CROWD


async def test_a_story_stored_after_the_early_start_goes_in_the_next_digest(
    categorised_store: Store,
) -> None:
    store = categorised_store
    crowd, _ = await setup(store)
    await tick(store, START)
    await story(store, "Glaciers retreat again", START + 30 * S)
    stories = await store._fetchall("SELECT id, title FROM stories ORDER BY id")
    late = next(int(r[0]) for r in stories if r[1] == "Glaciers retreat again")
    first = await store._fetchall("SELECT story_ids FROM outbox WHERE subscriber_id = ?", crowd[:1])
    assert str(late) not in str(first[0][0])
    # Tomorrow's crowd, started early again, carries it.
    assert await tick(store, START + DAY) == CROWD
    rows = await store._fetchall(
        "SELECT story_ids FROM outbox WHERE subscriber_id = ? AND period = ?",
        (crowd[0], "2026-12-03"),
    )
    assert f"[{late}]" == str(rows[0][0]).replace(" ", "")


async def test_a_breaking_push_during_a_crowd_is_claimed_first(categorised_store: Store) -> None:
    store = categorised_store
    crowd, _ = await setup(store)
    await tick(store, START)
    await store.enqueue(
        [
            OutboxItem(
                subscriber_id=crowd[-1],
                kind="breaking",
                period="push-1",
                platform="telegram",
                messages=[OutgoingMessage(text="Breaking")],
                priority=BREAKING_PRIORITY,
            )
        ],
        now=START + 10 * S,
    )
    claimed = await store.claim(now=START + 10 * S, limit=3, platforms=["telegram"])
    assert [(e.kind, e.subscriber_id) for e in claimed] == [
        ("breaking", crowd[-1]),
        ("digest", crowd[0]),
        ("digest", crowd[1]),
    ]


async def test_the_forecast_lists_the_crowds_ahead(categorised_store: Store) -> None:
    store = categorised_store
    await setup(store)
    await tick(store, START - 60 * M)  # 05:59: schedules everyone, dispatches nobody
    now = START - 60 * M
    ahead = await crowds_ahead(store, SLOW, now=now)
    assert ahead.hours == 6 and ahead.more == 0
    (crowd,) = ahead.crowds  # the reader alone at 07:10 is no crowd
    assert (crowd.platform, crowd.at, crowd.readers) == ("telegram", SEVEN, CROWD)
    # Started at 06:58:42 (see the module's docstring): 78 s early, on time.
    assert 77 < crowd.lead.total_seconds() < 79 and crowd.on_time
    assert crowd.as_json()["lead_seconds"] == 78
    # At the default pace nobody is a crowd; with no lead the crowd is shown as late.
    assert (await crowds_ahead(store, DEFAULTS, now=now)).crowds == ()
    no_lead = replace(SLOW, delivery=replace(SLOW.delivery, max_lead=timedelta(0)))
    (late,) = (await crowds_ahead(store, no_lead, now=now)).crowds
    assert late.lead == timedelta(0) and not late.on_time
    assert late.as_json()["latest_arrival_seconds"] == 106  # 9 / 0.085 messages/s
