"""Processes sharing one database: heartbeat rows, role leases raced by two stores on one
database (both engines), and a clean stop giving back what the process held."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from digests.models import Category
from digests.outgoing import OutgoingMessage
from digests.store import OutboxItem, Store
from digests.store._processes import ProcessInfo
from tests.conftest import NOW

TTL = timedelta(seconds=15)


@pytest.fixture
async def other(store: Store) -> AsyncIterator[Store]:
    """A second process: its own store (connection) on the same database."""
    second = await Store.open(store.path)  # type: ignore[arg-type]
    try:
        yield second
    finally:
        await second.close()


async def test_beat_upserts_and_lists_newest_heartbeat_first(store: Store) -> None:
    started = NOW - timedelta(hours=1)
    await store.beat("a:1", roles=("leader",), in_flight=0, started_at=started, now=NOW)
    await store.beat("b:2", roles=(), in_flight=3, started_at=started, now=NOW)
    later = NOW + timedelta(seconds=5)
    await store.beat(
        "a:1", roles=("leader", "sender:telegram"), in_flight=7, started_at=started, now=later
    )
    assert await store.processes() == [
        ProcessInfo("a:1", ("leader", "sender:telegram"), 7, started, later),
        ProcessInfo("b:2", (), 3, started, NOW),
    ]


async def test_two_holders_racing_for_the_leader_role_one_wins(store: Store, other: Store) -> None:
    for round_ in range(5):
        role = f"leader-{round_}"
        won = await asyncio.gather(
            store.hold_lease(role, "a", now=NOW, ttl=TTL),
            other.hold_lease(role, "b", now=NOW, ttl=TTL),
        )
        assert sorted(won) == [False, True]
        holder = "a" if won[0] else "b"
        assert (await store.leases(now=NOW))[role] == (holder, NOW + TTL)
        # The loser keeps losing while the lease lives; the winner keeps it.
        loser = other if won[0] else store
        assert not await loser.hold_lease(role, "ab".replace(holder, ""), now=NOW, ttl=TTL)
        assert await store.hold_lease(role, holder, now=NOW, ttl=TTL)


async def test_renewal_by_the_holder_extends_and_an_expired_lease_is_taken_over(
    store: Store,
) -> None:
    assert await store.hold_lease("leader", "a", now=NOW, ttl=TTL)
    later = NOW + timedelta(seconds=10)
    assert await store.hold_lease("leader", "a", now=later, ttl=TTL)
    assert await store.leases(now=later) == {"leader": ("a", later + TTL)}
    # Past the first term, the renewal still holds it against another.
    assert not await store.hold_lease("leader", "b", now=NOW + TTL, ttl=TTL)
    # Once it expires (at until), another takes it, and the old holder no longer renews.
    expired = later + TTL
    assert await store.leases(now=expired) == {}
    assert await store.hold_lease("leader", "b", now=expired, ttl=TTL)
    assert not await store.hold_lease("leader", "a", now=expired, ttl=TTL)
    assert await store.leases(now=expired) == {"leader": ("b", expired + TTL)}
    row = await store._fetchone("SELECT since FROM leases WHERE name = 'leader'")
    assert row is not None and row[0] == "2026-11-27T12:00:25+00:00"  # b's, not a's


async def test_release_lease_frees_only_the_holders_own(store: Store) -> None:
    assert await store.hold_lease("leader", "a", now=NOW, ttl=TTL)
    await store.release_lease("leader", "b")
    assert not await store.hold_lease("leader", "b", now=NOW, ttl=TTL)
    await store.release_lease("leader", "a")
    assert await store.leases(now=NOW) == {}
    assert await store.hold_lease("leader", "b", now=NOW, ttl=TTL)


async def _sending_entry(store: Store, chat: str, holder: str) -> int:
    sub = await store.upsert_subscriber("telegram", chat, now=NOW)
    await store.enqueue(
        [OutboxItem(sub.id, "digest", "2026-11-27", "telegram", [OutgoingMessage(text="hi")])],
        now=NOW,
    )
    [entry] = await store.claim(now=NOW, limit=1, platforms=["telegram"], holder=holder)
    return entry.id


async def test_end_process_gives_back_roles_sends_and_feed_claims(store: Store) -> None:
    await store.beat("a", roles=("leader",), in_flight=1, started_at=NOW, now=NOW)
    await store.beat("b", roles=(), in_flight=1, started_at=NOW, now=NOW)
    assert await store.hold_lease("leader", "a", now=NOW, ttl=TTL)
    assert await store.hold_lease("sender:telegram", "b", now=NOW, ttl=TTL)
    mine = await _sending_entry(store, "1", "a")
    theirs = await _sending_entry(store, "2", "b")
    await store.upsert_category(Category("world", "World"))
    for n, holder in enumerate(("a", "b")):
        feed = await store.upsert_feed(
            f"https://feeds.example.com/{n}", ["world"], now=NOW, interval=TTL
        )
        await store._db.execute(
            "UPDATE feeds SET claimed_by = ?, claim_until = ? WHERE id = ?",
            (holder, "2026-11-27T12:05:00+00:00", feed.id),
        )

    assert await store.end_process("a", now=NOW) == 1

    assert [p.name for p in await store.processes()] == ["b"]
    assert await store.leases(now=NOW) == {"sender:telegram": ("b", NOW + TTL)}
    row = await store.outbox_entry(mine)
    assert (row["status"], row["claimed_by"], row["lease_until"]) == ("queued", None, None)
    assert (await store.outbox_entry(theirs))["claimed_by"] == "b"
    claims = await store._fetchall("SELECT url, claimed_by, claim_until FROM feeds ORDER BY url")
    assert [tuple(r) for r in claims] == [
        ("https://feeds.example.com/0", None, None),
        ("https://feeds.example.com/1", "b", "2026-11-27T12:05:00+00:00"),
    ]
    # The released entry is ready to be claimed again at once, by anyone.
    [again] = await store.claim(now=NOW, limit=5, platforms=["telegram"], holder="b")
    assert again.id == mine
    assert await store.end_process("nobody", now=NOW) == 0
