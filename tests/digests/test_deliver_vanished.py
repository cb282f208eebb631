"""A chat forgotten while a send to it is in flight (issue 19, item 3): the delivery worker
drops that chat's entries with one log line and goes on delivering digests and pushes to
every other chat. On the old code ``complete()`` inserted a delivery for the deleted
subscriber, ``FOREIGN KEY constraint failed`` ended the worker and every later entry stayed
queued until a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from digests import breaking
from digests.compose import send_digest_now
from digests.deliver import DeliveryWorker
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer
from digests.render import Renderer
from digests.settings import DeliveryLimits, DigestLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

# A real-time bound only: every wait below ends on an event, long before it.
WITHIN_S = 30


class HoldingSender:
    """Records every send; a send to ``held_chat`` waits until ``release`` is set."""

    def __init__(self, platform: str, log: list[tuple[str, str]], changed: asyncio.Event):
        self.platform = platform
        self.log = log
        self.changed = changed
        self.held_chat: str | None = None
        self.held = 0
        self.release = asyncio.Event()

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        if destination.chat_id == self.held_chat:
            self.held += 1
            self.changed.set()
            await self.release.wait()
        self.log.append((destination.chat_id, message.text))
        self.changed.set()
        return f"m{len(self.log)}"


async def until(
    condition: Callable[[], bool], changed: asyncio.Event, worker: asyncio.Task[None]
) -> None:
    """Wait until ``condition`` holds; fail at once if the worker task ended meanwhile."""

    async def watch() -> None:
        while not condition():
            changed.clear()
            await changed.wait()

    watcher = asyncio.ensure_future(watch())
    done, _ = await asyncio.wait({watcher, worker}, timeout=WITHIN_S, return_when="FIRST_COMPLETED")
    watcher.cancel()
    if worker in done:
        worker.result()  # raises what ended it
        pytest.fail("the delivery worker ended")
    assert watcher in done, "not within 30 s"


def digest(subscriber_id: int, period: str, *texts: str) -> OutboxItem:
    return OutboxItem(
        subscriber_id,
        "digest",
        period,
        "telegram",
        [OutgoingMessage(text=t) for t in texts],
        story_ids=(),
    )


async def test_a_forget_during_a_held_send_drops_that_chat_and_delivers_the_others(
    categorised_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store = categorised_store
    caplog.set_level(logging.INFO)
    gone = await store.upsert_subscriber("telegram", "gone", now=NOW)
    other = await store.upsert_subscriber("telegram", "other", now=NOW)
    channel = await store.upsert_subscriber("discord", "channel", now=NOW)
    for subscriber in (gone, other, channel):
        await store.subscribe(subscriber.id, ["climate"], now=NOW)
    # The chat to be forgotten has a push and a two-part digest queued; so do the others.
    article = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://news.example/flood", title="Floods"
    )
    push = await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="cli", now=NOW
    )
    assert push.total == 3
    await store.enqueue([digest(gone.id, "2026-11-27", "gone 1/2", "gone 2/2")], now=NOW)

    sent: list[tuple[str, str]] = []
    changed = asyncio.Event()
    telegram = HoldingSender("telegram", sent, changed)
    telegram.held_chat = "gone"
    senders = {"telegram": telegram, "discord": HoldingSender("discord", sent, changed)}
    worker = DeliveryWorker(store, senders, Pacer({}), FakeClock(NOW), DeliveryLimits())
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop, idle_wait=WITHIN_S))
    try:
        # Both entries of the chat are in flight, held; the others' pushes went out.
        await until(lambda: telegram.held == 2 and len(sent) == 2, changed, running)
        assert sorted(chat for chat, _ in sent) == ["channel", "other"]

        # "Yes, delete everything" is confirmed while the sends are held.
        await store.forget_subscriber(gone.id)
        # A digest for another chat, enqueued now, still goes out while they are held.
        await store.enqueue([digest(other.id, "2026-11-27", "other's digest")], now=NOW)
        worker.wakeup.set()
        await until(lambda: ("other", "other's digest") in sent, changed, running)

        telegram.release.set()  # the platform answers the held sends at last
        await until(lambda: len([c for c, _ in sent if c == "gone"]) == 2, changed, running)
        # The worker survived it: the next digest goes out too.
        await store.enqueue([digest(other.id, "2026-11-28", "the next one")], now=NOW)
        worker.wakeup.set()
        await until(lambda: ("other", "the next one") in sent, changed, running)
    finally:
        stop.set()
        await asyncio.wait_for(running, WITHIN_S)

    # What was in flight arrived; the digest's second part was never sent.
    to_gone = [text for chat, text in sent if chat == "gone"]
    assert len(to_gone) == 2 and "gone 1/2" in to_gone and "gone 2/2" not in to_gone
    assert await store._fetchall("SELECT id FROM outbox WHERE subscriber_id = ?", (gone.id,)) == []
    assert (await store.outbox_counts())["telegram"] == {"sent": 3}
    lines = [r.getMessage() for r in caplog.records if f"subscriber {gone.id} " in r.getMessage()]
    assert len(lines) == 1 and "forgotten" in lines[0], lines
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finished = await store.get_push(push.push_id)
    assert finished is not None and finished.status == "done"


async def test_the_store_writes_answer_false_for_an_entry_that_vanished(store: Store) -> None:
    subscriber = await store.upsert_subscriber("telegram", "42", now=NOW)
    await store.enqueue([digest(subscriber.id, "p", "one", "two")], now=NOW)
    (entry,) = await store.claim(now=NOW, limit=5, platforms=["telegram"])
    assert await store.mark_part_sent(entry.id, 0, "m1", now=NOW)
    await store.forget_subscriber(subscriber.id)
    assert not await store.mark_part_sent(entry.id, 1, "m2", now=NOW)
    assert not await store.complete(entry, now=NOW, last_part=(1, "m2"))
    assert not await store.retry_later(entry.id, now=NOW, at=NOW, error="x")
    assert not await store.give_up(entry.id, now=NOW, error="x")
    assert not await store.entry_exists(entry.id)
    # A new chat that gets the forgotten subscriber's id is not credited with its delivery.
    again = await store.upsert_subscriber("telegram", "43", now=NOW)
    assert not await store.complete(entry, now=NOW)
    assert await store.sent_story_ids(again.id) == set()
    assert await store._fetchall("SELECT id FROM deliveries") == []


async def test_a_preview_racing_a_forget_ends_quietly(categorised_store: Store) -> None:
    store = categorised_store
    reader = await store.upsert_subscriber("telegram", "7", now=NOW)
    await store.subscribe(reader.id, ["climate"], now=NOW)
    loaded = await store.get_subscriber(reader.id)

    class ForgetMidway:
        """The manager's forget is confirmed while the preview is being sent."""

        platform = "telegram"

        async def send(self, destination: Destination, message: OutgoingMessage) -> str:
            await store.forget_subscriber(reader.id)
            return "m1"

    result = await send_digest_now(
        store, Renderer(), ForgetMidway(), loaded, now=NOW, limits=DigestLimits(), preview=True
    )
    assert result.sent
    assert await store.find_subscriber("telegram", "7") is None  # not re-created
    assert await store._fetchall("SELECT id FROM deliveries") == []
    assert await store.record_delivery(reader.id, kind="digest", status="sent", now=NOW) == 0
