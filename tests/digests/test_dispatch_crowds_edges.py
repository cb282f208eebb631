"""Crowds started early, at their edges: a crowd across local midnight, a reader who
pauses after the start, platforms sharing a minute, the longest lead."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digests.dispatch import dispatch_due
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.store import Store
from tests.digests.test_dispatch_crowds import SLOW, entries, readers, story

DAY = timedelta(days=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)
MIDNIGHT = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


async def tick(store: Store, at: datetime, settings: Settings = SLOW) -> int:
    report = await dispatch_due(store, RenderCache(Renderer()), settings, now=at)
    return report.enqueued


async def bodies(store: Store) -> list[str]:
    rows = await store._fetchall("SELECT body FROM payloads")
    return [json.loads(zlib.decompress(bytes(r[0])))["text"] for r in rows]


async def test_a_midnight_crowd_started_the_evening_before_is_dated_its_own_day(
    categorised_store: Store,
) -> None:
    """A crowd at 00:00 (UTC readers) started at 23:59 the day before: the digest is the
    3 December one (its period says so) but its heading reads 2 December."""
    store = categorised_store
    await story(store, "Heat pumps overtake boilers", MIDNIGHT - 2 * 60 * M)
    await readers(store, 9, time="00:00", prefix="c")
    assert await tick(store, MIDNIGHT - DAY + 30 * M) == 0  # schedules them
    assert await tick(store, MIDNIGHT - M) == 9  # 23:59 on 2 December: started early
    assert {p for _, _, p in await entries(store)} == {"2026-12-03"}
    texts = await bodies(store)
    assert texts and all("December 3, 2026" in t for t in texts), texts[0][:200]


SEVEN = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


async def test_a_reader_who_pauses_after_an_early_start_does_not_get_the_digest(
    categorised_store: Store,
) -> None:
    """Crowd of 9 due 07:00 started at 06:59:00; one reader pauses at 06:59:20, before
    their minute: the entry queued early is withdrawn, as a paused reader gets nothing."""
    store = categorised_store
    await story(store, "Heat pumps overtake boilers", SEVEN - 2 * 60 * M)
    crowd = await readers(store, 9, time="07:00", prefix="c")
    await tick(store, SEVEN - 30 * M)  # schedules them for 07:00
    assert await tick(store, SEVEN - M) == 9
    await store.update_subscriber(crowd[0], now=SEVEN - 40 * S, change="paused", paused=True)
    claimed = await store.claim(now=SEVEN - 30 * S, limit=100, platforms=["telegram"])
    assert crowd[0] not in {e.subscriber_id for e in claimed}


async def test_queued_split_follows_a_platform_that_drained_before_the_other(
    categorised_store: Store,
) -> None:
    """07:00 has 20 Telegram and 5 Discord entries queued; Discord drains its 5 and
    Telegram sends 1: the 19 left are counted as Telegram's, not shared out as when
    first read."""
    from tests.digests.store.test_forecast import item, reader

    store = categorised_store
    now = SEVEN - 10 * M
    tg = [await reader(store, "telegram", f"t{i}", SEVEN + DAY) for i in range(20)]
    dc = [await reader(store, "discord", f"d{i}", SEVEN + DAY) for i in range(5)]
    await store.enqueue(
        [item(i, 1, SEVEN) for i in tg] + [item(i, 1, SEVEN, platform="discord") for i in dc],
        now=now,
    )
    assert await store.queued_per_minute(now=now) == {
        "telegram": {SEVEN: 20.0},
        "discord": {SEVEN: 5.0},
    }
    async with store._transaction() as db:
        for subscriber_id in [*dc, tg[0]]:
            await db.execute(
                "UPDATE outbox SET status = 'sent' WHERE subscriber_id = ?", (subscriber_id,)
            )
    found = await store.queued_per_minute(now=now + 30 * S)
    assert found.get("telegram") == {SEVEN: 19.0}, found


async def test_lead_1440_a_reader_is_not_read_twice_in_one_tick(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the longest lead a tick's early window can reach a reader's next due time: a
    reader dispatched and rescheduled into it is not read (and sent the same stories)
    again in a later batch of the same tick."""
    import digests.dispatch

    monkeypatch.setattr(digests.dispatch, "DUE_BATCH", 2)
    store = categorised_store
    wed = SEVEN  # Wednesday 2 December 07:00 UTC
    thu = wed + DAY
    await story(store, "Heat pumps overtake boilers", wed - 2 * 60 * M)
    big = await store.upsert_subscriber("telegram", "big", now=wed - DAY)
    await store.update_subscriber(big.id, now=wed - DAY, next_digest_at=thu)
    (r,) = await readers(store, 1, time="07:00", prefix="daily")
    assert await tick(store, wed - 12 * 60 * M) == 0  # schedules r for Wed 07:00
    ones = "[" + ",".join("1" for _ in range(8000)) + "]"
    async with store._transaction() as db:
        await db.execute(
            """INSERT INTO outbox (subscriber_id, kind, period, platform, payload_ids,
                   next_attempt_at, created_at, updated_at, due_at)
               VALUES (?, 'digest', 'x', 'telegram', ?, ?, ?, ?, ?)""",
            (
                big.id,
                ones,
                "2026-12-03T07:00:00+00:00",
                "2026-12-02T00:00:00+00:00",
                "2026-12-02T00:00:00+00:00",
                "2026-12-03T07:00:00+00:00",
            ),
        )
    lead = replace(SLOW, delivery=replace(SLOW.delivery, max_lead=24 * 60 * M))
    await tick(store, wed, lead)
    mine = [(d, p) for s, d, p in await entries(store) if s == r]
    assert mine == [("2026-12-02T07:00:00+00:00", "2026-12-02")], mine


async def test_queued_split_sees_a_platform_that_started_after_it_was_read(
    categorised_store: Store,
) -> None:
    """A Telegram crowd queued at a minute whose outbox split was read while it held
    only Discord entries is counted as Telegram's."""
    from tests.digests.store.test_forecast import item, reader

    store = categorised_store
    now = SEVEN - 10 * M
    tg = [await reader(store, "telegram", f"t{i}", SEVEN + DAY) for i in range(20)]
    dc = [await reader(store, "discord", f"d{i}", SEVEN + DAY) for i in range(5)]
    await store.enqueue([item(i, 1, SEVEN, platform="discord") for i in dc], now=now)
    assert await store.queued_per_minute(now=now) == {"discord": {SEVEN: 5.0}}
    await store.enqueue([item(i, 1, SEVEN) for i in tg], now=now + 30 * S)
    found = await store.queued_per_minute(now=now + 30 * S)
    assert found == {"telegram": {SEVEN: 20.0}, "discord": {SEVEN: 5.0}}, found


async def test_readers_who_arrive_in_a_cached_minute_are_counted_on_their_platform(
    categorised_store: Store,
) -> None:
    """Telegram readers scheduled into a minute whose split was read while it held one
    Discord reader are counted on Telegram, and their crowd starts early enough."""
    from digests.punctuality import start_early
    from tests.digests.store.test_forecast import reader

    store = categorised_store
    await reader(store, "discord", "d0", SEVEN)
    assert await start_early(store, SLOW, now=SEVEN - 5 * M) == {}
    for i in range(9):
        await reader(store, "telegram", f"t{i}", SEVEN)
    assert await start_early(store, SLOW, now=SEVEN - M) == {"telegram": SEVEN + 59 * S}
