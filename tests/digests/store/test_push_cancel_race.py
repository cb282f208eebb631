"""Cancelling a push races its last send. ``breaking.cancel`` cancels the
waiting entries and marks the push cancelled in two transactions; when the send under
way completes between them, the push is marked 'done' (nothing pending) and the
'cancelled' that follows finds no 'sending' push: the editor's cancel is audited as
done, the page says the push finished."""

from __future__ import annotations

from digests import breaking
from digests.render import Renderer
from digests.store import Store
from tests.conftest import NOW
from tests.digests.test_breaking import setup


async def test_a_cancel_racing_the_last_send_leaves_the_push_cancelled(
    categorised_store: Store,
) -> None:
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
    assert report.total == 2
    (under_way,) = await store.claim(now=NOW, limit=1, platforms=["telegram"])
    real = store.cancel_push_entries

    async def then_the_send_completes(push_id, *, now, **more):  # type: ignore[no-untyped-def]
        cancelled = await real(push_id, now=now, **more)
        assert await store.complete(under_way, now=now, last_part=(0, "m1"))
        return cancelled

    store.cancel_push_entries = then_the_send_completes  # type: ignore[method-assign]
    after = await breaking.cancel(store, report.push_id, now=NOW)
    assert (after.delivered, after.blocked) == (1, 1)
    assert after.status == "cancelled", f"a cancelled push ended as {after.status!r}"
