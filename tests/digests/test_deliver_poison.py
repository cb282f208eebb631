"""An outbox entry the worker cannot read, or a platform whose claims fail, holds up only
itself: an unreadable stored body (a torn write, a bad restore, a body another version
wrote) is treated as a missing one (that entry alone dead-lettered, one ERROR line), and a
platform's failed claim does not keep the other platforms' entries from being claimed.
Before, one corrupt body made every claim of its platform fail for ever, and stopped the
claims of the platforms after it as well."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from digests.deliver import DeliveryWorker
from digests.models import OutboxEntry
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

WITHIN_S = 30  # a real-time bound only: the waits end on events


class Recording:
    def __init__(self, platform: str, changed: asyncio.Event) -> None:
        self.platform = platform
        self.sent: list[str] = []
        self.changed = changed

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        self.sent.append(message.text)
        self.changed.set()
        return f"m{len(self.sent)}"


async def enqueue(store: Store, platform: str, chat: str, text: str) -> int:
    subscriber = await store.upsert_subscriber(platform, chat, now=NOW)
    await store.enqueue(
        [OutboxItem(subscriber.id, "digest", "p", platform, [OutgoingMessage(text=text)])],
        now=NOW,
    )
    row = await store._fetchone("SELECT id FROM outbox WHERE subscriber_id = ?", (subscriber.id,))
    assert row is not None
    return int(row[0])


async def deliver_until(
    store: Store, senders: dict[str, Recording], condition: Callable[[], bool]
) -> None:
    """Run the worker as ``digestbot run`` does until ``condition``; fail if it never gets
    there (or ends first)."""
    changed = next(iter(senders.values())).changed
    worker = DeliveryWorker(store, dict(senders), Pacer({}), FakeClock(NOW), DeliveryLimits())
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop, idle_wait=0.01))

    async def watch() -> None:
        while not condition():
            changed.clear()
            await changed.wait()

    watcher = asyncio.ensure_future(watch())
    done, _ = await asyncio.wait(
        {watcher, running}, timeout=WITHIN_S, return_when="FIRST_COMPLETED"
    )
    watcher.cancel()
    stop.set()
    await asyncio.wait_for(running, WITHIN_S)
    assert watcher in done, "the worker never got there"


async def test_an_unreadable_body_dead_letters_only_its_entry_with_one_error_line(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await enqueue(store, "telegram", "1", "corrupt body")
    fine_telegram = await enqueue(store, "telegram", "2", "fine telegram")
    fine_discord = await enqueue(store, "discord", "3", "fine discord")
    async with store._transaction() as db:  # a torn or foreign body
        await db.execute(
            "UPDATE payloads SET body = ? WHERE id IN (SELECT CAST(value AS INTEGER) FROM"
            f" outbox, {store.dialect.json_list('payload_ids')} WHERE outbox.id = ?)",
            (zlib.compress(b"{not json"), broken),
        )
    changed = asyncio.Event()
    senders = {p: Recording(p, changed) for p in ("telegram", "discord")}

    def all_sent() -> bool:
        return senders["telegram"].sent == ["fine telegram"] and senders["discord"].sent == [
            "fine discord"
        ]

    await deliver_until(store, senders, all_sent)
    assert (await store.outbox_entry(broken))["status"] == "dead"
    assert (await store.outbox_entry(fine_telegram))["status"] == "sent"
    assert (await store.outbox_entry(fine_discord))["status"] == "sent"
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"outbox entry {broken}" in line and "unreadable" in line and "\n" not in line


async def test_a_platform_whose_claims_fail_does_not_stop_the_others(
    store: Store, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram (asked first) cannot be claimed at all; Discord's entries still go out, and
    the failure is logged naming the platform."""
    await enqueue(store, "telegram", "1", "stuck")
    fine = await enqueue(store, "discord", "2", "fine discord")
    claim = store.claim

    async def failing_claim(**kwargs: Any) -> list[OutboxEntry]:
        if "telegram" in kwargs["platforms"]:
            raise sqlite3.OperationalError("disk I/O error")
        return await claim(**kwargs)

    monkeypatch.setattr(store, "claim", failing_claim)
    changed = asyncio.Event()
    senders = {p: Recording(p, changed) for p in ("telegram", "discord")}
    await deliver_until(store, senders, lambda: senders["discord"].sent == ["fine discord"])
    assert (await store.outbox_entry(fine))["status"] == "sent"
    assert senders["telegram"].sent == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all("could not take telegram entries" in e for e in errors)
