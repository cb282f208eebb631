"""The delivery worker's claims: an entry the platform accepted whole frees its slot before
its record is written, and the records still being written bound how far claims go on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from digests.deliver import DeliveryWorker
from digests.pacing import Pacer
from digests.settings import DeliveryLimits
from digests.store import Accepted, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.digests.test_deliver import ScriptedSender, subscriber_with_entry

LIMITS = DeliveryLimits(max_attempts=3)


async def until(condition: object, what: str) -> None:
    """Let the worker run until ``condition()`` holds (a bound, not a timing)."""
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_claims_go_on_while_records_wait_up_to_twice_the_claim(store: Store) -> None:
    for n in range(40):
        await subscriber_with_entry(store, chat=str(1000 + n))
    gate = asyncio.Event()
    record = store.record_accepted

    async def slow_record(accepted: Sequence[Accepted]) -> list[bool]:
        await gate.wait()  # a write slower than the sends
        return await record(accepted)

    store.record_accepted = slow_record  # type: ignore[method-assign]
    sender = ScriptedSender()
    worker = DeliveryWorker(store, {"telegram": sender}, Pacer({}), FakeClock(NOW), LIMITS)
    size = worker.claim_size_for("telegram")
    assert 2 * size < 40
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop, idle_wait=0.01))
    try:
        # Every entry of the first claim was accepted: their slots are free, though none
        # is recorded, so a second claim is sent too; then the unwritten records hold it.
        await until(lambda: len(sender.sent) >= 2 * size, "a second claim sent")
        for _ in range(10):
            await asyncio.sleep(0.01)
        assert len(sender.sent) == 2 * size
        assert worker.in_flight() == 2 * size  # none let go before its record
        gate.set()
        await until(lambda: len(sender.sent) == 40, "everything sent")
    finally:
        gate.set()
        stop.set()
        await asyncio.wait_for(running, 5)
    assert await store.outbox_counts() == {"telegram": {"sent": 40}}
    assert len({destination.chat_id for destination, _ in sender.sent}) == 40
