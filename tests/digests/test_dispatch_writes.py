"""The dispatcher writes a batch's entries while it makes the next batch's: every entry
is written once, in order, and a failed write stops the dispatch with that error, after
which the next tick sends the rest (on both engines)."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import replace
from typing import Any

import pytest

import digests.dispatch
from digests.dispatch import dispatch_due
from digests.llm_settings import LlmSettings
from digests.models import SummaryRecord
from digests.outgoing import OutgoingMessage
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.store import Store
from digests.store._enqueue import encode, message_from_json
from tests.conftest import NOW
from tests.digests.test_dispatch import seed

SETTINGS = Settings()


async def due_readers(store: Store, count: int) -> list[int]:
    ids = []
    for i in range(count):
        sub = await store.upsert_subscriber("telegram", f"w{i}", now=NOW, digest_time="12:00")
        await store.subscribe(sub.id, ["climate"], now=NOW)
        await store.update_subscriber(sub.id, now=NOW, next_digest_at=NOW)
        ids.append(sub.id)
    return ids


async def queued(store: Store) -> list[int]:
    rows = await store._fetchall("SELECT subscriber_id FROM outbox ORDER BY subscriber_id")
    return [int(r[0]) for r in rows]


async def test_every_batch_is_written_once_while_the_next_is_made(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digests.dispatch, "DUE_BATCH", 2)
    monkeypatch.setattr(digests.dispatch, "ENQUEUE_CHUNK", 1)
    monkeypatch.setattr(digests.dispatch, "TURN_EVERY", 1)
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    ids = await due_readers(store, 7)
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW)
    assert (report.due, report.enqueued) == (7, 7)
    assert await queued(store) == ids
    for subscriber_id in ids:
        assert (await store.get_subscriber(subscriber_id)).next_digest_at > NOW


async def test_a_failed_write_stops_the_dispatch_and_the_next_tick_sends_the_rest(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digests.dispatch, "DUE_BATCH", 2)
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers")
    ids = await due_readers(store, 5)
    enqueue = store.enqueue
    calls = 0

    async def failing(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk full")
        return await enqueue(*args, **kwargs)

    monkeypatch.setattr(store, "enqueue", failing)
    with pytest.raises(OSError, match="disk full"):
        await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=NOW)
    assert await queued(store) == ids[:2]  # the first batch; the second's write failed
    monkeypatch.setattr(store, "enqueue", enqueue)
    later = NOW.replace(second=30)
    report = await dispatch_due(store, RenderCache(Renderer()), SETTINGS, now=later)
    assert report.enqueued == 3
    assert await queued(store) == ids


@pytest.mark.parametrize("size", [0, 10, 5_000, 200_000])
def test_a_stored_body_reads_back_as_its_message_whatever_its_size(size: int) -> None:
    """Bodies are compressed with a small window; any zlib reader gets the message back,
    and the hash is the JSON's (the same rendering is one payload, however stored)."""
    message = OutgoingMessage(text="".join(chr(0x41 + i % 800) for i in range(size)))
    digest, stored = encode(message)
    body = zlib.decompress(stored)
    assert message_from_json(body.decode()) == message
    assert digest == hashlib.sha256(body).hexdigest()


async def test_with_model_summaries_on_readers_get_the_ready_one_and_it_is_counted_once(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await seed(store, "Heat pumps overtake boilers", "Glaciers retreat again")
    summary = "A model's summary <of> both sources"
    stories = [int(r[0]) for r in await store._fetchall("SELECT id FROM stories")]
    for story_id in stories:
        record = SummaryRecord(story_id, "en", "h", (1,), "ready", NOW, summary=summary)
        await store.save_summary(record)
    await due_readers(store, 3)
    settings = replace(SETTINGS, llm=LlmSettings(base_url="http://127.0.0.1:9/v1"))
    report = await dispatch_due(store, RenderCache(Renderer()), settings, now=NOW)
    assert (report.enqueued, report.glossed, report.unglossed) == (3, len(stories), 0)
    (body,) = [
        zlib.decompress(bytes(r[0])).decode()
        for r in await store._fetchall("SELECT body FROM payloads")
    ]
    assert "A model&#39;s summary &lt;of&gt; both sources" in json.loads(body)["text"]
    usage = await store.llm_usage(NOW.date())
    assert usage == {"cache_hits": len(stories)}  # once per story and language
