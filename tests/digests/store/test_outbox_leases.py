"""Outbox leases on both engines: two processes (two stores on one database) claiming at
once, take-over of entries whose lease expired or whose holder stopped beating, renewals,
releases, and retention's payload clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from digests.outgoing import OutgoingMessage
from digests.store import OutboxItem, Store
from tests.conftest import NOW

LEASE = timedelta(seconds=60)
DEAD = timedelta(seconds=15)


@pytest.fixture
async def other(store: Store) -> AsyncIterator[Store]:
    """A second process: its own store (connection) on the same database."""
    second = await Store.open(store.path)  # type: ignore[arg-type]
    try:
        yield second
    finally:
        await second.close()


async def enqueue(store: Store, count: int, platform: str = "telegram") -> list[int]:
    items = []
    for n in range(count):
        sub = await store.upsert_subscriber(platform, f"{platform}-{n}", now=NOW)
        message = OutgoingMessage(text=f"digest {n}")
        items.append(OutboxItem(sub.id, "digest", "2026-11-27", platform, [message]))
    await store.enqueue(items, now=NOW)
    rows = await store._fetchall(
        "SELECT id FROM outbox WHERE platform = ? ORDER BY id", (platform,)
    )
    return [row[0] for row in rows]


async def claim_ids(store: Store, holder: str, *, at: timedelta = timedelta(0)) -> list[int]:
    entries = await store.claim(
        now=NOW + at,
        limit=50,
        platforms=["telegram"],
        holder=holder,
        lease=LEASE,
        dead_after=DEAD,
    )
    return [entry.id for entry in entries]


async def test_two_processes_claiming_at_once_never_take_the_same_entry(
    store: Store, other: Store
) -> None:
    ids = await enqueue(store, 60)
    for name in ("a", "b"):  # both alive: neither takes the other's entries over
        await store.beat(name, roles=(), in_flight=0, started_at=NOW, now=NOW)
    taken: dict[str, list[int]] = {"a": [], "b": []}
    for _ in range(30):
        got_a, got_b = await asyncio.gather(
            store.claim(now=NOW, limit=3, platforms=["telegram"], holder="a"),
            other.claim(now=NOW, limit=3, platforms=["telegram"], holder="b"),
        )
        taken["a"] += [e.id for e in got_a]
        taken["b"] += [e.id for e in got_b]
    assert sorted(taken["a"] + taken["b"]) == ids  # each entry once, none twice
    assert not set(taken["a"]) & set(taken["b"])
    rows = await store._fetchall("SELECT id, claimed_by, lease_until FROM outbox")
    held = {row[0]: (row[1], row[2]) for row in rows}
    for holder, entry_ids in taken.items():
        assert {held[i] for i in entry_ids} <= {(holder, "2026-11-27T12:01:00+00:00")}


async def test_a_live_holder_with_a_live_lease_is_never_taken_over(store: Store) -> None:
    [entry] = await enqueue(store, 1)
    await store.beat("a", roles=(), in_flight=1, started_at=NOW, now=NOW)
    assert await claim_ids(store, "a") == [entry]
    for seconds in (1, 30, 59):
        # a keeps beating; its lease has not expired yet.
        await store.beat(
            "a", roles=(), in_flight=1, started_at=NOW, now=NOW + timedelta(seconds=seconds)
        )
        assert await claim_ids(store, "b", at=timedelta(seconds=seconds)) == []
        assert await claim_ids(store, "a", at=timedelta(seconds=seconds)) == []  # its own


async def test_an_expired_lease_is_taken_over_even_from_a_beating_holder(store: Store) -> None:
    [entry] = await enqueue(store, 1)
    assert await claim_ids(store, "a") == [entry]
    await store.beat("a", roles=(), in_flight=1, started_at=NOW, now=NOW + LEASE)
    assert await claim_ids(store, "b", at=LEASE) == [entry]
    row = await store.outbox_entry(entry)
    assert (row["claimed_by"], row["lease_until"]) == ("b", "2026-11-27T12:02:00+00:00")
    assert row["status"] == "sending"


async def test_an_entry_of_a_holder_that_stopped_beating_is_taken_at_once(store: Store) -> None:
    first, second = await enqueue(store, 2)
    await store.beat("a", roles=(), in_flight=1, started_at=NOW, now=NOW)
    assert await claim_ids(store, "a") == [first, second]
    await store.beat("b", roles=(), in_flight=0, started_at=NOW, now=NOW)
    # At the edge of dead_after a is still alive; one second later it is dead.
    assert await claim_ids(store, "b", at=DEAD) == []
    assert await claim_ids(store, "b", at=DEAD + timedelta(seconds=1)) == [first, second]


async def test_a_holder_without_a_heartbeat_row_counts_as_dead_unless_unnamed(
    store: Store,
) -> None:
    named, unnamed = await enqueue(store, 2)
    await store._db.execute(
        "UPDATE outbox SET status = 'sending', claimed_by = ?, lease_until = ? WHERE id = ?",
        ("gone:42", "2026-11-27T12:01:00+00:00", named),
    )
    # A single process (no name, no heartbeat) is trusted until its lease expires.
    await store._db.execute(
        "UPDATE outbox SET status = 'sending', claimed_by = '', lease_until = ? WHERE id = ?",
        ("2026-11-27T12:01:00+00:00", unnamed),
    )
    assert await claim_ids(store, "b") == [named]
    # b's own entry is not taken again while its lease lives, the unnamed one neither.
    assert await claim_ids(store, "b", at=LEASE - timedelta(seconds=1)) == []
    assert unnamed in await claim_ids(store, "b", at=LEASE)


async def test_entries_left_sending_without_a_lease_are_taken(store: Store) -> None:
    # Left by a version before leases: 'sending', nobody's, no lease.
    [entry] = await enqueue(store, 1)
    await store._db.execute("UPDATE outbox SET status = 'sending'")
    assert await claim_ids(store, "b") == [entry]


async def test_taken_over_entries_come_before_ready_ones_within_the_limit(store: Store) -> None:
    ids = await enqueue(store, 4)
    await store._db.execute(
        "UPDATE outbox SET status = 'sending', claimed_by = 'gone', lease_until = ? WHERE id = ?",
        ("2026-11-27T11:59:00+00:00", ids[3]),
    )
    got = await store.claim(now=NOW, limit=2, platforms=["telegram"], holder="b")
    assert [e.id for e in got] == [ids[3], ids[0]]
    assert await store.claim(now=NOW, limit=0, platforms=["telegram"], holder="b") == []
    assert await store.claim(now=NOW, limit=5, platforms=[], holder="b") == []


async def test_only_the_asked_platforms_are_taken_over(store: Store) -> None:
    [discord] = await enqueue(store, 1, platform="discord")
    await store._db.execute(
        "UPDATE outbox SET status = 'sending', claimed_by = 'gone', lease_until = NULL"
    )
    assert await claim_ids(store, "b") == []
    got = await store.claim(now=NOW, limit=5, platforms=["discord"], holder="b")
    assert [e.id for e in got] == [discord]


async def test_renewal_extends_only_the_holders_entries_still_being_sent(store: Store) -> None:
    first, second, third = await enqueue(store, 3)
    assert await claim_ids(store, "a") == [first, second, third]
    await store.beat("a", roles=(), in_flight=2, started_at=NOW, now=NOW + LEASE)
    await store.retry_later(second, now=NOW, at=NOW, error="HTTP 502")
    later = NOW + timedelta(seconds=20)
    assert await store.renew_leases("a", [first, second, third], now=later, lease=LEASE) == 2
    assert await store.renew_leases("b", [first, third], now=later, lease=LEASE) == 0
    assert await store.renew_leases("a", [], now=later, lease=LEASE) == 0
    rows = await store._fetchall("SELECT id, lease_until FROM outbox ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (first, "2026-11-27T12:01:20+00:00"),
        (second, "2026-11-27T12:01:00+00:00"),
        (third, "2026-11-27T12:01:20+00:00"),
    ]
    # Past the first lease, the renewed entries are still a's.
    assert await claim_ids(store, "b", at=LEASE) == [second]


async def test_release_and_release_held_clear_the_lease(store: Store) -> None:
    first, second, third = await enqueue(store, 3)
    assert await claim_ids(store, "a") == [first, second, third]
    await store._db.execute("UPDATE outbox SET claimed_by = 'b' WHERE id = ?", (third,))
    await store.release(first, now=NOW)
    assert await store.release_held("a", now=NOW) == 1
    rows = await store._fetchall("SELECT id, status, claimed_by, lease_until FROM outbox")
    assert sorted(tuple(r) for r in rows) == [
        (first, "queued", None, None),
        (second, "queued", None, None),
        (third, "sending", "b", "2026-11-27T12:01:00+00:00"),
    ]
    assert await store.release_held("a", now=NOW) == 0


async def test_retention_drops_payloads_no_entry_refers_to(store: Store) -> None:
    first, second = await enqueue(store, 2)
    await store.give_up(first, now=NOW, error="gone")
    await store.purge_outbox_before(NOW + timedelta(days=1))
    assert [r[0] for r in await store._fetchall("SELECT id FROM outbox")] == [second]
    bodies = await store._fetchall("SELECT body FROM payloads")
    assert len(bodies) == 1
    [entry] = await store.claim(now=NOW, limit=5, platforms=["telegram"])
    assert [m.text for m in (await store.payload_bodies(entry.payload_ids)).values()] == [
        "digest 1"
    ]
