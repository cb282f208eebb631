"""The store failing inside delivery (issue 19, item 3): the worker logs it in one line with
the entry, dead-letters that entry and delivers the next; an outbox it cannot read is tried
again. On the old code any such error ended the worker task silently."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from digests.dburl import PostgresUrl
from digests.deliver import DeliveryWorker
from digests.models import OutboxEntry
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

WITHIN_S = 30  # a real-time bound only: the waits end on events


class FlakyStore(Store):
    """The real store, but the methods named in ``fail_once`` raise the first time."""

    fail_once: set[str]

    async def complete(self, entry: OutboxEntry, **kwargs: Any) -> bool:
        self._maybe_fail("complete")
        return await super().complete(entry, **kwargs)

    async def record_accepted(self, accepted: Any) -> list[bool]:
        # The batch of accepted parts fails while ``complete`` is to fail: the worker
        # writes them again one by one, and only that entry's own record fails.
        if "complete" in self.fail_once:
            raise sqlite3.OperationalError("disk I/O error")
        return await super().record_accepted(accepted)

    async def claim(self, **kwargs: Any) -> list[OutboxEntry]:
        self._maybe_fail("claim")
        return await super().claim(**kwargs)

    def _maybe_fail(self, name: str) -> None:
        if name in self.fail_once:
            self.fail_once.discard(name)
            raise sqlite3.OperationalError("disk I/O error")


# The faults are raised by the store's own methods, not by either engine's driver, so the
# same tests run on both engines (the ``store`` fixture is not used: the store is a subclass).
@pytest.fixture(params=["sqlite", "postgresql"])
async def flaky(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[FlakyStore]:
    target: Path | PostgresUrl = (
        request.getfixturevalue("postgres_url")
        if request.param == "postgresql"
        else tmp_path / "flaky.db"
    )
    store = await FlakyStore.open(target)
    store.fail_once = set()
    try:
        yield store
    finally:
        await store.close()


class Recording:
    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.changed = asyncio.Event()

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        self.sent.append(message.text)
        self.changed.set()
        return f"m{len(self.sent)}"


async def enqueue(store: Store, chat: str, text: str, kind: str = "digest") -> int:
    subscriber = await store.upsert_subscriber("telegram", chat, now=NOW)
    await store.enqueue(
        [OutboxItem(subscriber.id, kind, "p", "telegram", [OutgoingMessage(text=text)])], now=NOW
    )
    row = await store._fetchone("SELECT id FROM outbox WHERE subscriber_id = ?", (subscriber.id,))
    assert row is not None
    return int(row[0])


async def deliver_until(
    store: Store, sender: Recording, condition: Callable[[], bool], stop: asyncio.Event
) -> DeliveryWorker:
    """Run the worker as ``digestbot run`` does until ``condition``; fail if it ends first."""
    worker = DeliveryWorker(
        store, {"telegram": sender}, Pacer({}), FakeClock(NOW), DeliveryLimits()
    )
    running = asyncio.create_task(worker.run(stop, idle_wait=0.01))

    async def watch() -> None:
        while not condition():
            sender.changed.clear()
            await sender.changed.wait()

    watcher = asyncio.ensure_future(watch())
    done, _ = await asyncio.wait(
        {watcher, running}, timeout=WITHIN_S, return_when="FIRST_COMPLETED"
    )
    watcher.cancel()
    stop.set()
    await asyncio.wait_for(running, WITHIN_S)  # raises what ended it, if anything did
    assert watcher in done, "the worker never got there"
    return worker


async def test_a_store_error_in_complete_dead_letters_that_entry_and_the_next_goes_out(
    flaky: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    first = await enqueue(flaky, "1", "first", kind="breaking")
    second = await enqueue(flaky, "2", "second")
    flaky.fail_once = {"complete"}
    sender = Recording()
    await deliver_until(flaky, sender, lambda: len(sender.sent) == 2, asyncio.Event())

    assert (await flaky.outbox_entry(first))["status"] == "dead"
    assert "disk I/O error" in (await flaky.outbox_entry(first))["last_error"]
    assert (await flaky.outbox_entry(second))["status"] == "sent"
    # The two chats are sent to at the same time: either may be logged first.
    logged = await flaky._fetchall("SELECT subscriber_id, status FROM deliveries")
    subscribers = [(await flaky.outbox_entry(e))["subscriber_id"] for e in (first, second)]
    assert sorted((r[0], r[1]) for r in logged) == sorted(
        zip(subscribers, ["failed", "sent"], strict=True)
    )
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    (line,) = [r.getMessage() for r in errors]
    assert f"outbox entry {first} (breaking, telegram)" in line
    assert "OperationalError: disk I/O error" in line and "dead-lettered" in line
    assert "\n" not in line and not errors[0].exc_info


async def test_an_outbox_that_cannot_be_read_is_tried_again(
    flaky: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await enqueue(flaky, "1", "hello")
    flaky.fail_once = {"claim"}
    sender = Recording()
    await deliver_until(flaky, sender, lambda: sender.sent == ["hello"], asyncio.Event())
    assert (await flaky.outbox_entry(entry))["status"] == "sent"
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert (
        "could not take telegram entries from the outbox (OperationalError: disk I/O error)" in line
    )


async def test_a_missing_message_body_dead_letters_only_its_entry(
    flaky: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await enqueue(flaky, "1", "lost body")
    fine = await enqueue(flaky, "2", "fine")
    async with flaky._transaction() as db:  # the body went missing (a bug, a bad restore)
        await db.execute(
            "DELETE FROM payloads WHERE id IN (SELECT CAST(json_each.value AS INTEGER) FROM"
            f" outbox, {flaky.dialect.json_list('payload_ids')} WHERE outbox.id = ?)",
            (broken,),
        )
    sender = Recording()
    await deliver_until(flaky, sender, lambda: sender.sent == ["fine"], asyncio.Event())
    assert (await flaky.outbox_entry(broken))["status"] == "dead"
    assert (await flaky.outbox_entry(fine))["status"] == "sent"


async def test_a_statement_postgresql_refuses_rolls_back_and_the_next_entry_goes_out(
    postgres_url: PostgresUrl, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's counterpart of a failing disk: the server itself refuses a statement in
    the middle of ``complete`` (a trigger raises "disk full"). That transaction is rolled
    back whole, the connection is usable again (PostgreSQL refuses every statement of an
    aborted transaction until its ROLLBACK), and only that entry is dead-lettered."""
    store = await Store.open(postgres_url)
    try:
        first = await enqueue(store, "1", "first", kind="breaking")
        second = await enqueue(store, "2", "second")
        refused = (await store.outbox_entry(first))["subscriber_id"]
        await store._db.executescript(
            f"""CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full'; END $$;
                CREATE TRIGGER refuse BEFORE INSERT ON deliveries FOR EACH ROW
                WHEN (NEW.status = 'sent' AND NEW.subscriber_id = {int(refused)})
                EXECUTE FUNCTION refuse();"""
        )
        sender = Recording()
        await deliver_until(store, sender, lambda: len(sender.sent) == 2, asyncio.Event())

        dead = await store.outbox_entry(first)
        assert dead["status"] == "dead" and "disk full" in dead["last_error"]
        assert dead["parts_sent"] == 0  # the last part's record went with the rollback
        assert (await store.outbox_entry(second))["status"] == "sent"
        # The two chats are sent to at the same time: either may be logged first.
        logged = await store._fetchall("SELECT subscriber_id, status FROM deliveries")
        kept = (await store.outbox_entry(second))["subscriber_id"]
        assert sorted((r[0], r[1]) for r in logged) == sorted([(refused, "failed"), (kept, "sent")])
        (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert f"outbox entry {first} (breaking, telegram)" in line
        assert "PgDatabaseError: disk full" in line and "\n" not in line
    finally:
        await store.close()
