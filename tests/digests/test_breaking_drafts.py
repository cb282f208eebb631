"""A breaking push of a new article (a draft shown in a preview, stored only once the push
is confirmed), on both engines: the article, its story and its push are stored together,
and the entries are worked out from the stored, not yet committed, article."""

from __future__ import annotations

from digests import breaking
from digests.render import Renderer
from digests.store import Store
from tests.conftest import NOW


async def test_a_confirmed_draft_is_stored_with_its_push(categorised_store: Store) -> None:
    store = categorised_store
    reader = await store.upsert_subscriber("telegram", "1", now=NOW)
    await store.subscribe(reader.id, ["climate"], now=NOW)
    draft = await breaking.resolve_article(
        store,
        category="climate",
        now=NOW,
        url="https://push.example/flood",
        title="Floods close the Mekong ferry",
        store_new=False,
    )
    assert breaking.is_draft(draft) and (await store.counts())["articles"] == 0
    report = await breaking.start_push(
        store, Renderer(), category="climate", article=draft, requested_by="cli", now=NOW
    )
    assert (report.total, report.status) == (1, "sending")
    stored = await store.find_article_by_url("https://push.example/flood")
    assert stored is not None and stored.story_id is not None
    pushed = await store.get_push(report.push_id)
    assert pushed is not None and (pushed.article_id, pushed.story_id) == (
        stored.id,
        stored.story_id,
    )
    rows = await store._fetchall("SELECT subscriber_id, story_ids FROM outbox")
    assert [(r[0], r[1]) for r in rows] == [(reader.id, f"[{stored.story_id}]")]
