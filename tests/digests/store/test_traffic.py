"""The console's counts: messages accepted and 429s per minute and platform, written in the
delivery worker's transaction, and the counts the overview and subscribers pages read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digests.models import Category
from digests.outgoing import OutgoingMessage
from digests.store import Accepted, OutboxItem, Store
from digests.store._minutes import minute_of, tally
from digests.store._traffic import state_of
from tests.conftest import NOW


def test_tally_sums_per_minute_and_platform() -> None:
    sends = [
        (NOW, "telegram"),
        (NOW + timedelta(seconds=59), "telegram"),
        (NOW + timedelta(seconds=60), "telegram"),
        (NOW, "discord"),
    ]
    assert tally(sends) == [
        ("2026-11-27T12:00", "discord", 1),
        ("2026-11-27T12:00", "telegram", 2),
        ("2026-11-27T12:01", "telegram", 1),
    ]
    assert tally([]) == []


def test_a_minute_is_utc_whatever_the_offset() -> None:
    from zoneinfo import ZoneInfo

    at = datetime(2026, 11, 27, 19, 5, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert minute_of(at) == "2026-11-27T12:05"


def test_state_of() -> None:
    assert [state_of(1, 0), state_of(1, 1), state_of(0, 0), state_of(0, 1)] == [
        "active",
        "paused",
        "inactive",
        "inactive",
    ]


async def _entries(store: Store, count: int, platform: str = "telegram") -> list[int]:
    subs = [await store.upsert_subscriber(platform, f"c{i}", now=NOW) for i in range(count)]
    await store.enqueue(
        [
            OutboxItem(s.id, "digest", "2026-11-27", platform, [OutgoingMessage(text="hi")])
            for s in subs
        ],
        now=NOW,
    )
    return [s.id for s in subs]


async def test_accepted_parts_are_counted_per_minute_in_their_batch(store: Store) -> None:
    await _entries(store, 3)
    claimed = await store.claim(now=NOW, limit=10, platforms=["telegram"])
    later = NOW + timedelta(minutes=1)
    batch = [
        Accepted(claimed[0], 0, "m1", NOW),
        Accepted(claimed[1], 0, "m2", NOW + timedelta(seconds=5)),
        Accepted(claimed[2], 0, "m3", later),
    ]
    assert await store.record_accepted(batch) == [True, True, True]
    await store.count_limited("telegram", now=later)
    await store.count_limited("discord", now=later)
    minutes = await store.send_minutes(NOW - timedelta(hours=24))
    assert [(m.minute, m.platform, m.sent, m.limited) for m in minutes] == [
        (NOW, "telegram", 2, 0),
        (later, "discord", 0, 1),
        (later, "telegram", 1, 1),
    ]
    assert await store.limited_since(NOW) == {"telegram": 1, "discord": 1}
    assert await store.limited_since(later + timedelta(minutes=1)) == {}


async def test_a_part_recorded_alone_is_counted_too(store: Store) -> None:
    await _entries(store, 1, "discord")
    (entry,) = await store.claim(now=NOW, limit=10, platforms=["discord"])
    assert await store.complete(entry, now=NOW, last_part=(0, "m1"))
    (minute,) = await store.send_minutes(NOW)
    assert (minute.platform, minute.sent) == ("discord", 1)


async def test_old_minutes_are_purged(store: Store) -> None:
    await store.count_sends("telegram", 5, now=NOW - timedelta(hours=49))
    await store.count_sends("telegram", 7, now=NOW)
    assert await store.purge_send_minutes_before(NOW - timedelta(hours=48)) == 1
    assert [m.sent for m in await store.send_minutes(NOW - timedelta(days=9))] == [7]


async def test_subscribers_by_platform_and_state(store: Store) -> None:
    ids = await _entries(store, 4)
    discord = await store.upsert_subscriber("discord", "d1", now=NOW)
    await store.update_subscriber(ids[0], now=NOW, paused=1)
    await store.deactivate(ids[1], reason="blocked", now=NOW)
    assert await store.subscriber_states() == {
        "telegram": {"active": 2, "paused": 1, "inactive": 1},
        "discord": {"active": 1, "paused": 0, "inactive": 0},
    }
    assert discord.id


async def test_outbox_of_a_day_by_kind_and_status(store: Store) -> None:
    await _entries(store, 2)
    claimed = await store.claim(now=NOW, limit=1, platforms=["telegram"])
    assert await store.record_accepted([Accepted(claimed[0], 0, "m", NOW)]) == [True]
    day = datetime(2026, 11, 27, tzinfo=UTC)
    today = await store.outbox_between(day, day + timedelta(days=1))
    assert today["digest"] == {
        "queued": 1,
        "sending": 0,
        "retrying": 0,
        "sent": 1,
        "dead": 0,
        "cancelled": 0,
    }
    assert sum(today["breaking"].values()) == 0
    tomorrow = await store.outbox_between(day + timedelta(days=1), day + timedelta(days=2))
    assert sum(tomorrow["digest"].values()) == 0


async def test_due_in_a_minute(store: Store) -> None:
    ids = await _entries(store, 3)
    at = NOW + timedelta(hours=1)
    for i in ids[:2]:
        await store.update_subscriber(i, now=NOW, next_digest_at=at + timedelta(seconds=i))
    await store.update_subscriber(ids[2], now=NOW, next_digest_at=at + timedelta(minutes=5))
    assert await store.next_due_at() is not None
    assert await store.due_in_minute(at) == 2


async def test_failing_feeds_are_the_enabled_ones_with_errors(store: Store) -> None:
    await store.upsert_category(Category("tech", "Tech"))
    bad = await store.upsert_feed(
        "https://bad.example/feed", ["tech"], now=NOW, interval=timedelta(minutes=5)
    )
    await store.upsert_feed("https://ok.example/feed", ["tech"], now=NOW, interval=timedelta(1))
    await store.record_fetch_failure(
        bad.id, now=NOW, error="<script>x</script>", next_fetch_at=NOW, disable_reason=None
    )
    feeds, total = await store.failing_feeds()
    assert total == 1
    assert [(f.url, f.errors, f.last_error) for f in feeds] == [
        ("https://bad.example/feed", 1, "<script>x</script>")
    ]


async def test_subscribers_page_counts(store: Store) -> None:
    for slug in ("tech", "climate"):
        await store.upsert_category(Category(slug, slug.title()))
    one = await store.upsert_subscriber(
        "telegram", "1", now=NOW, language="vi", timezone="Asia/Ho_Chi_Minh"
    )
    two = await store.upsert_subscriber("discord", "2", now=NOW)
    await store.subscribe(one.id, ["tech", "climate"], now=NOW)
    await store.subscribe(two.id, ["tech"], now=NOW)
    await store.deactivate(two.id, reason="gone", now=NOW)
    assert await store.category_states() == {
        "tech": {"active": 1, "inactive": 1},
        "climate": {"active": 1, "inactive": 0},
    }
    languages, zones = await store.language_zone_states()
    assert languages == {"vi": {"active": 1, "inactive": 0}, "en": {"active": 0, "inactive": 1}}
    assert zones == {
        "Asia/Ho_Chi_Minh": {"active": 1, "inactive": 0},
        "UTC": {"active": 0, "inactive": 1},
    }
    newest = await store.newest_subscribers(1)
    assert [(n.chat_id, n.state, n.categories) for n in newest] == [("2", "inactive", ("tech",))]
    both = await store.newest_subscribers()
    assert both[1].categories == ("climate", "tech")


async def test_due_in_the_last_minute_there_is(store: Store) -> None:
    (sub,) = await _entries(store, 1)
    last = datetime(9999, 12, 31, 23, 59, 30, tzinfo=UTC)
    await store.update_subscriber(sub, now=NOW, next_digest_at=last)
    assert await store.next_due_at() == last
    assert await store.due_in_minute(last) == 1
