"""The forecast's queries (``store._forecast``) on both engines: readers due per minute and
platform, messages still queued per due minute, messages per digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digests.outgoing import OutgoingMessage
from digests.punctuality import start_early
from digests.settings import Settings
from digests.store import OutboxItem, Store
from digests.store._forecast import QUEUED_SPLIT_TTL, share
from digests.timeutil import to_db

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
SEVEN = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
M = timedelta(minutes=1)
S = timedelta(seconds=1)
DAY = timedelta(days=1)


async def reader(store: Store, platform: str, chat: str, due: datetime, **fields: object) -> int:
    sub = await store.upsert_subscriber(platform, chat, now=NOW)
    await store.update_subscriber(sub.id, now=NOW, next_digest_at=due, **fields)
    return sub.id


async def test_due_per_minute_counts_the_window_per_platform_and_minute(store: Store) -> None:
    for i in range(3):
        await reader(store, "telegram", f"t{i}", SEVEN)
    await reader(store, "telegram", "odd-second", SEVEN + timedelta(seconds=30))
    await reader(store, "telegram", "later", SEVEN + 5 * M)
    await reader(store, "discord", "d1", SEVEN)
    await reader(store, "telegram", "paused", SEVEN, paused=1)
    await reader(store, "telegram", "inactive", SEVEN, active=0)
    await reader(store, "telegram", "beyond", SEVEN + 31 * M)
    await reader(store, "telegram", "before", NOW - M - timedelta(seconds=1))
    await store.upsert_subscriber("telegram", "unscheduled", now=NOW)
    found = await store.due_per_minute(since=NOW - M, until=SEVEN + 30 * M)
    assert found == {"telegram": {SEVEN: 4, SEVEN + 5 * M: 1}, "discord": {SEVEN: 1}}
    assert await store.due_per_minute(since=SEVEN + M, until=SEVEN + 2 * M) == {}


def message(text: str) -> OutgoingMessage:
    return OutgoingMessage(text=text)


def item(subscriber_id: int, parts: int, due: datetime | None, **fields: object) -> OutboxItem:
    options: dict[str, object] = {"kind": "digest", "period": "2026-12-02", "platform": "telegram"}
    options.update(fields)
    return OutboxItem(
        subscriber_id=subscriber_id,
        messages=[message(f"{subscriber_id} part {i}") for i in range(parts)],
        due_at=due,
        **options,  # type: ignore[arg-type]
    )


async def test_queued_per_minute_counts_unsent_parts_by_due_minute(store: Store) -> None:
    ids = [await reader(store, "telegram", f"t{i}", SEVEN + timedelta(days=1)) for i in range(5)]
    other = await reader(store, "discord", "d", SEVEN + timedelta(days=1))
    await store.enqueue(
        [
            item(ids[0], 3, SEVEN),
            item(ids[1], 2, SEVEN),
            item(ids[2], 1, SEVEN + M),
            item(ids[3], 1, None),  # due at once: its enqueue time, NOW
            item(ids[4], 4, SEVEN),
            item(other, 2, SEVEN, platform="discord"),
        ],
        now=NOW,
    )
    # One part of the first already sent; the fifth entirely sent (finished).
    async with store._transaction() as db:
        await db.execute("UPDATE outbox SET parts_sent = 1 WHERE subscriber_id = ?", (ids[0],))
        await db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE subscriber_id = ?",
            (to_db(NOW), ids[4]),
        )
        await db.execute("UPDATE outbox SET status = 'retrying' WHERE subscriber_id = ?", (ids[2],))
    found = await store.queued_per_minute(now=NOW)
    assert found == {
        "telegram": {SEVEN: 4.0, SEVEN + M: 1.0, NOW: 1.0},
        "discord": {SEVEN: 2.0},
    }


async def test_parts_per_digest_averages_recent_digests_and_is_kept_a_minute(
    store: Store,
) -> None:
    assert await store.parts_per_digest(now=NOW) == {}
    ids = [await reader(store, "telegram", f"t{i}", SEVEN + timedelta(days=1)) for i in range(3)]
    other = await reader(store, "discord", "d", SEVEN + timedelta(days=1))
    await store.enqueue(
        [
            item(ids[0], 1, SEVEN),
            item(ids[1], 3, SEVEN),
            item(ids[2], 9, SEVEN, kind="breaking", period="push-1"),  # not a digest
            item(other, 2, SEVEN, platform="discord"),
        ],
        now=NOW,
    )
    # Asked again within the minute: the answer kept, not read again.
    assert await store.parts_per_digest(now=NOW + 30 * timedelta(seconds=1)) == {}
    assert await store.parts_per_digest(now=NOW + M) == {"telegram": 2.0, "discord": 2.0}


async def test_a_minutes_split_is_kept_while_its_total_barely_moves_and_read_again_after(
    store: Store,
) -> None:
    for i in range(3):
        await reader(store, "telegram", f"t{i}", SEVEN)
    await reader(store, "discord", "d", SEVEN)
    window = {"since": NOW, "until": SEVEN + 30 * M}
    assert await store.due_per_minute(**window, now=NOW) == {
        "telegram": {SEVEN: 3},
        "discord": {SEVEN: 1},
    }
    await reader(store, "telegram", "one-more", SEVEN)
    # A move of a reader or two keeps the split: five readers, shared 3:1 as last read.
    assert await store.due_per_minute(**window, now=NOW + M) == {
        "telegram": {SEVEN: 4},
        "discord": {SEVEN: 1},
    }
    for i in range(3):
        await reader(store, "telegram", f"more{i}", SEVEN)
    # A larger move (a sign-up wave) is read again at once, each on its own platform.
    assert await store.due_per_minute(**window, now=NOW + 2 * M) == {
        "telegram": {SEVEN: 7},
        "discord": {SEVEN: 1},
    }


@pytest.mark.parametrize(
    ("total", "split", "expected"),
    [
        (8, {"telegram": 3, "discord": 1}, {"telegram": 6, "discord": 2}),
        (1, {"telegram": 1, "discord": 1}, {"telegram": 1}),
        (
            3,
            {"telegram": 1, "discord": 1, "console": 1},
            {"telegram": 1, "discord": 1, "console": 1},
        ),
        (5, {}, {}),
        (0, {"telegram": 4}, {}),
        (
            10**12,
            {"telegram": 2, "discord": 1},
            {"telegram": 666666666667, "discord": 333333333333},
        ),
    ],
)
def test_share(total: int, split: dict[str, int], expected: dict[str, int]) -> None:
    found = share(total, split)
    assert found == expected
    assert sum(found.values()) == (total if split else 0)


async def test_queued_messages_per_entry_are_kept_and_the_entries_counted_fresh(
    store: Store,
) -> None:
    ids = [await reader(store, "telegram", f"t{i}", SEVEN + timedelta(days=1)) for i in range(6)]
    await store.enqueue([item(ids[0], 3, SEVEN), item(ids[1], 1, SEVEN)], now=NOW)
    assert await store.queued_per_minute(now=NOW) == {"telegram": {SEVEN: 4.0}}
    # Two more entries (of one part each) within the split's life: 2 messages an entry.
    await store.enqueue([item(ids[2], 1, SEVEN), item(ids[3], 1, SEVEN)], now=NOW)
    assert await store.queued_per_minute(now=NOW + 30 * S) == {"telegram": {SEVEN: 8.0}}
    # Read again once older than QUEUED_SPLIT_TTL; a new minute is read at once.
    await store.enqueue([item(ids[4], 2, SEVEN + M)], now=NOW)
    assert await store.queued_per_minute(now=NOW + M) == {"telegram": {SEVEN: 8.0, SEVEN + M: 2.0}}
    assert await store.queued_per_minute(now=NOW + QUEUED_SPLIT_TTL) == {
        "telegram": {SEVEN: 6.0, SEVEN + M: 2.0}
    }
    # A breaking push (another priority) due now is counted too.
    await store.enqueue([item(ids[5], 1, None, kind="breaking", priority=10)], now=NOW)
    found = await store.queued_per_minute(now=NOW + QUEUED_SPLIT_TTL)
    assert found == {"telegram": {SEVEN: 6.0, SEVEN + M: 2.0, NOW: 1.0}}


async def test_start_early_plans_each_paced_platform_on_its_own_rate(store: Store) -> None:
    # 60 readers due at 07:00 on each platform. Telegram at 0.5 message/s (0.425 planned)
    # needs 141 s; Discord at 50/s fits in the minute; the console is not paced.
    for platform in ("telegram", "discord", "console"):
        for i in range(60):
            await reader(store, platform, f"{platform}{i}", SEVEN)
    base = Settings()
    slow = replace(base, delivery=replace(base.delivery, telegram_max_rate=0.5))
    at = SEVEN - M  # they start at 07:01 - 141 s - 32 s = 06:58:07
    assert await start_early(store, slow, now=at) == {"telegram": SEVEN + 59 * S}
    assert await start_early(store, slow, now=at - 2 * M) == {}  # not yet
    assert await start_early(store, base, now=at) == {}
    off = replace(slow, delivery=replace(slow.delivery, max_lead=timedelta(0)))
    assert await start_early(store, off, now=at) == {}


async def test_a_crowd_started_on_one_platform_leaves_the_others_counted_right(
    store: Store,
) -> None:
    # 07:00: 20 Telegram readers at 0.085 message/s (235 s: start 06:56:33) and 60 on
    # Discord at 0.425/s (141 s: start 06:58:07).
    base = Settings()
    slow = replace(
        base,
        delivery=replace(base.delivery, telegram_max_rate=0.1, discord_max_rate=0.5),
    )
    telegram = [await reader(store, "telegram", f"t{i}", SEVEN) for i in range(20)]
    for i in range(60):
        await reader(store, "discord", f"d{i}", SEVEN)
    first = SEVEN - 3 * M - 20 * S
    assert await start_early(store, slow, now=first) == {"telegram": SEVEN + 59 * S}
    for subscriber_id in telegram:  # dispatched: due again tomorrow
        await store.update_subscriber(subscriber_id, now=first, next_digest_at=SEVEN + DAY)
    # Two minutes later, within the split's life: the 60 left are Discord's, not 3/4 of
    # them (the split read before Telegram's left).
    assert await start_early(store, slow, now=SEVEN - M - 30 * S) == {"discord": SEVEN + 59 * S}
