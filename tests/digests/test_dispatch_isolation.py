"""One subscriber whose digest cannot be made never holds back the others (issue 19, item 3,
"the same class of bug beside it"): on the old code a time zone the tz database does not
know made every dispatch tick raise, so nobody got a digest again."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from digests.dispatch import dispatch_due
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.store import Store
from tests.builders import add_article, due_reader
from tests.conftest import NOW


async def break_timezone(store: Store, subscriber_id: int) -> None:
    # A zone a later tz database dropped, or a row written by hand: only SQL can store it.
    async with store._transaction() as db:
        await db.execute(
            "UPDATE subscribers SET timezone = 'Mars/Olympus_Mons' WHERE id = ?", (subscriber_id,)
        )


async def test_a_subscriber_whose_digest_fails_is_logged_and_the_others_get_theirs(
    categorised_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store = categorised_store
    await add_article(store, url="https://cms.example/a", title="Glaciers retreat", now=NOW)
    broken = await due_reader(store, "telegram", "broken", ["climate"], now=NOW)
    fine = await due_reader(store, "telegram", "fine", ["climate"], now=NOW)
    await break_timezone(store, broken)
    unscheduled = await store.upsert_subscriber("telegram", "new", now=NOW)
    await store.subscribe(unscheduled.id, ["climate"], now=NOW)
    await break_timezone(store, unscheduled.id)

    report = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
    assert (report.due, report.enqueued, report.failed) == (2, 1, 1)
    rows = await store._fetchall("SELECT subscriber_id FROM outbox")
    assert [r[0] for r in rows] == [fine]
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 2
    assert any(f"subscriber {broken} (telegram broken)" in line for line in lines)
    assert all("tried again in a day" in line and "\n" not in line for line in lines)
    # Both are looked at again a day later, not at every tick meanwhile.
    for subscriber_id in (broken, unscheduled.id):
        loaded = await store.get_subscriber(subscriber_id)
        assert loaded.next_digest_at == NOW + timedelta(days=1)
    caplog.clear()
    again = await dispatch_due(
        store, RenderCache(Renderer()), Settings(), now=NOW + timedelta(minutes=1)
    )
    assert again.failed == 0 and not [r for r in caplog.records if r.levelno >= logging.ERROR]
