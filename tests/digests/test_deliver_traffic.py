"""The delivery worker counts what the console's chart shows: each accepted part in the
minute it was accepted, each 429 the platform answered; a count that cannot be written
never stops a send."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.delivery_errors import RateLimited
from digests.store import Store
from tests.conftest import NOW
from tests.digests.test_deliver import Harness, ScriptedSender, subscriber_with_entry


async def test_accepted_parts_and_a_429_are_counted(store: Store) -> None:
    _, entry = await subscriber_with_entry(store, parts=2)
    sender = ScriptedSender("ok", RateLimited(2))
    await Harness(store, sender).worker.run_once()
    assert (await store.outbox_entry(entry))["status"] == "sent"
    (minute,) = await store.send_minutes(NOW - timedelta(hours=24))
    assert (minute.minute, minute.platform, minute.sent, minute.limited) == (
        NOW,
        "telegram",
        2,
        1,
    )


async def test_a_breaking_push_is_counted_like_a_digest(store: Store) -> None:
    from digests.outgoing import OutgoingMessage
    from digests.store import BREAKING_PRIORITY, OutboxItem

    sub = await store.upsert_subscriber("discord", "77", now=NOW)
    await store.enqueue(
        [
            OutboxItem(
                sub.id,
                "breaking",
                "push-1",
                "discord",
                [OutgoingMessage(text="breaking")],
                priority=BREAKING_PRIORITY,
            )
        ],
        now=NOW,
    )
    sender = ScriptedSender()
    sender.platform = "discord"  # type: ignore[misc]
    await Harness(store, sender).worker.run_once()
    assert [(m.platform, m.sent) for m in await store.send_minutes(NOW)] == [("discord", 1)]


async def test_a_429_that_cannot_be_counted_still_delivers(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(platform: str, *, now: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "count_limited", broken)
    _, entry = await subscriber_with_entry(store)
    await Harness(store, ScriptedSender(RateLimited(1))).worker.run_once()
    assert (await store.outbox_entry(entry))["status"] == "sent"
    assert "could not count a 429 from telegram: OSError: disk full" in caplog.text
    assert [m.sent for m in await store.send_minutes(NOW)] == [1]
