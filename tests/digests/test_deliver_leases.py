"""Delivery workers of several processes on one database (both engines): every entry is
delivered once, a worker sends only the platforms it may, and a long send keeps its lease
renewed so that no other process takes it over. Time is a fake clock moved by the test;
the test only waits (with a generous time-out) for what it drove to happen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import timedelta

import pytest

from digests.deliver import DeliveryWorker
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, discord_policy, telegram_policy
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW, RecordingSender

LEASE = timedelta(seconds=30)
DEAD = timedelta(seconds=15)


@pytest.fixture
async def other(store: Store) -> AsyncIterator[Store]:
    """A second process: its own store (connection) on the same database."""
    second = await Store.open(store.path)  # type: ignore[arg-type]
    try:
        yield second
    finally:
        await second.close()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for ``check`` to hold; the time-out only ends a test that went wrong."""
    for _ in range(2000):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def worker(
    store: Store,
    clock: FakeClock,
    senders: dict[str, object],
    holder: str,
    may_send: Callable[[], Collection[str]] | None = None,
) -> DeliveryWorker:
    mono = [0.0]

    async def sleep(seconds: float) -> None:  # pacing waits pass at once, in order
        mono[0] += seconds
        await asyncio.sleep(0)

    made = DeliveryWorker(
        store,
        senders,  # type: ignore[arg-type]
        Pacer({"telegram": telegram_policy(30), "discord": discord_policy()}),
        clock,
        DeliveryLimits(),
        monotonic=lambda: mono[0],
        sleep=sleep,
        holder=holder,
        lease=LEASE,
        dead_after=DEAD,
        may_send=may_send,
    )
    made.lease_poll = 0.01
    return made


async def enqueue(store: Store, count: int, platform: str) -> None:
    items = []
    for n in range(count):
        sub = await store.upsert_subscriber(platform, f"{platform}-{n}", now=NOW)
        message = OutgoingMessage(text=f"digest for {n}")
        items.append(OutboxItem(sub.id, "digest", "2026-11-27", platform, [message]))
    await store.enqueue(items, now=NOW)


async def statuses(store: Store) -> dict[str, int]:
    rows = await store._fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    return {row[0]: int(row[1]) for row in rows}


async def test_two_workers_of_two_processes_deliver_every_entry_once(
    store: Store, other: Store
) -> None:
    await enqueue(store, 40, "telegram")
    clock = FakeClock(NOW)
    for name in ("a", "b"):
        await store.beat(name, roles=(), in_flight=0, started_at=NOW, now=NOW)
    senders = [RecordingSender("telegram"), RecordingSender("telegram")]
    workers = [
        worker(store, clock, {"telegram": senders[0]}, "a"),
        worker(other, clock, {"telegram": senders[1]}, "b"),
    ]
    stop = asyncio.Event()
    runs = [asyncio.create_task(w.run(stop, idle_wait=0.01)) for w in workers]

    async def all_sent() -> bool:
        return await statuses(store) == {"sent": 40}

    try:
        await eventually(all_sent, "every entry sent")
    finally:
        stop.set()
        await asyncio.gather(*runs)
    chats = [d.chat_id for s in senders for d, _ in s.sent]
    assert sorted(chats) == sorted(f"telegram-{n}" for n in range(40))
    assert all(w.in_flight() == 0 for w in workers)


async def test_a_worker_never_claims_a_platform_it_may_not_send(store: Store) -> None:
    await enqueue(store, 3, "telegram")
    await enqueue(store, 2, "discord")
    await store.beat("a", roles=(), in_flight=0, started_at=NOW, now=NOW)
    allowed = {"discord"}
    senders = {"telegram": RecordingSender("telegram"), "discord": RecordingSender("discord")}
    sending = worker(store, FakeClock(NOW), dict(senders), "a", may_send=lambda: allowed)
    assert await sending.run_once() == 2
    assert senders["telegram"].sent == []
    rows = await store._fetchall("SELECT platform, status, claimed_by FROM outbox")
    assert {tuple(r) for r in rows} == {("telegram", "queued", None), ("discord", "sent", "a")}
    allowed.clear()  # lost every sending role: nothing is claimed
    assert await sending.run_once() == 0
    allowed.add("telegram")  # asked at each claim
    assert await sending.run_once() == 3
    assert len(senders["telegram"].sent) == 3


class BlockingSender:
    """Holds its first send until released, as a chat that takes long to answer."""

    platform = "telegram"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        if not self.started.is_set():  # a second send (a bug) is not held: it shows
            self.started.set()
            await self.release.wait()
        self.sent.append(destination.chat_id)
        return str(len(self.sent))


async def lease_until(store: Store) -> str:
    row = await store._fetchone("SELECT lease_until FROM outbox")
    assert row is not None
    return str(row[0])


async def test_a_long_send_keeps_its_lease_and_is_not_taken_over(
    store: Store, other: Store
) -> None:
    await enqueue(store, 1, "telegram")
    clock = FakeClock(NOW)
    slow = BlockingSender()
    sending = worker(store, clock, {"telegram": slow}, "a")
    taker_sender = RecordingSender("telegram")
    taker = worker(other, clock, {"telegram": taker_sender}, "b")
    stop = asyncio.Event()
    run = asyncio.create_task(sending.run(stop, idle_wait=0.01))
    try:
        await asyncio.wait_for(slow.started.wait(), 20)
        assert sending.in_flight() == 1
        assert await lease_until(store) == "2026-11-27T12:00:30+00:00"
        # Four turns of a third of the lease each: well past the first lease's end.
        for turn in range(1, 5):
            clock.advance(LEASE / 3)
            for name in ("a", "b"):  # both processes alive
                await store.beat(name, roles=(), in_flight=1, started_at=NOW, now=clock.now())
            expected = (clock.now() + LEASE).isoformat()

            async def renewed(expected: str = expected) -> bool:
                return await lease_until(store) == expected

            await eventually(renewed, f"lease renewed at turn {turn}")
            assert await taker.run_once() == 0
        assert clock.now() > NOW + LEASE
        slow.release.set()

        async def done() -> bool:
            return await statuses(store) == {"sent": 1}

        await eventually(done, "the long send completed")
    finally:
        stop.set()
        slow.release.set()
        await run
    assert slow.sent == ["telegram-0"] and taker_sender.sent == []
    assert sending.in_flight() == 0


async def test_an_own_entry_handed_back_by_a_claim_is_not_sent_twice(store: Store) -> None:
    await enqueue(store, 1, "telegram")
    await store.beat("a", roles=(), in_flight=1, started_at=NOW, now=NOW)
    clock = FakeClock(NOW)
    slow = BlockingSender()
    sending = worker(store, clock, {"telegram": slow}, "a")
    first = asyncio.create_task(sending.run_once())  # run_once does not renew leases
    await asyncio.wait_for(slow.started.wait(), 20)
    clock.advance(LEASE)  # the lease ran out under the send
    assert await sending.run_once() == 0
    slow.release.set()
    assert await first == 1
    assert slow.sent == ["telegram-0"]
    assert await statuses(store) == {"sent": 1}


async def test_a_worker_that_loses_its_platform_lets_the_entry_go_before_its_next_part(
    store: Store, other: Store
) -> None:
    sub = await store.upsert_subscriber("telegram", "reader", now=NOW)
    parts = [OutgoingMessage(text=f"part {n}") for n in range(2)]
    await store.enqueue([OutboxItem(sub.id, "digest", "2026-11-27", "telegram", parts)], now=NOW)
    for name in ("a", "b"):
        await store.beat(name, roles=(), in_flight=0, started_at=NOW, now=NOW)
    clock = FakeClock(NOW)
    allowed = {"telegram"}
    slow = BlockingSender()
    losing = worker(store, clock, {"telegram": slow}, "a", may_send=lambda: allowed)
    first = asyncio.create_task(losing.run_once())
    await asyncio.wait_for(slow.started.wait(), 20)
    allowed.clear()  # another process took the sender role while part 0 was sent
    slow.release.set()
    assert await first == 1
    row = await store._fetchone("SELECT status, parts_sent, claimed_by FROM outbox")
    assert row is not None and tuple(row) == ("queued", 1, None)
    taker_sender = RecordingSender("telegram")
    assert await worker(other, clock, {"telegram": taker_sender}, "b").run_once() == 1
    assert [m.text for _, m in taker_sender.sent] == ["part 1"]
    assert slow.sent == ["reader"]
    assert losing.in_flight() == 0
