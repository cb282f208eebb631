"""An old push still adds up after retention deleted its outbox entries: what was purged
is kept on the push row (``pushes.purged``) and counted with what is left."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests import breaking
from digests.deliver import DeliveryWorker
from digests.pacing import Pacer
from digests.render import Renderer
from digests.settings import DeliveryLimits
from digests.store import Store
from digests.store._push_counts import with_purged
from digests.timeutil import FakeClock
from tests.conftest import NOW, RecordingSender
from tests.digests.test_breaking import setup


async def test_a_push_still_adds_up_after_retention(categorised_store: Store) -> None:
    store = categorised_store
    await setup(store)
    article = await breaking.resolve_article(
        store,
        category="climate",
        now=NOW,
        url="https://news.example/f",
        title="Flood",
        summary="S.",
    )
    report = await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="ed", now=NOW
    )
    senders = {"telegram": RecordingSender("telegram"), "discord": RecordingSender("discord")}
    await DeliveryWorker(store, senders, Pacer({}), FakeClock(NOW), DeliveryLimits()).run_once()
    done = await breaking.status(store, report.push_id, now=NOW)
    assert (done.total, done.delivered, done.status) == (2, 2, "done")
    for _ in range(2):  # a second purge finds nothing more to keep, and counts nothing twice
        await store.purge_outbox_before(NOW + timedelta(days=30))
    (row,) = await store.latest_pushes(1)
    later = await breaking.status(store, report.push_id, now=NOW)
    assert (later.total, later.delivered, later.pending, later.failed) == (2, 2, 0, 0)
    assert row.push.counts == {"sent": 2}


@pytest.mark.parametrize(
    ("purged", "expected"),
    [
        ('{"sent": 2, "dead": 1}', {"sent": 3, "dead": 1}),
        ("{}", {"sent": 1}),
        (None, {"sent": 1}),
        ("not json", {"sent": 1}),
        ('["sent"]', {"sent": 1}),
        ('{"sent": "2"}', {"sent": 1}),
    ],
)
def test_purged_counts_are_added_to_what_is_left(
    purged: str | None, expected: dict[str, int]
) -> None:
    assert with_purged({"sent": 1}, purged) == expected
