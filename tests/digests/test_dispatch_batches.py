"""The dispatcher's batched reading of due subscribers (``due_batches``) gives what
``due_subscribers`` selects, in the fields a dispatch uses; on both engines."""

from __future__ import annotations

from datetime import timedelta

from digests.store import Store
from tests.conftest import NOW


async def test_batches_hold_the_due_subscribers_with_their_subscriptions(
    categorised_store: Store,
) -> None:
    store = categorised_store
    for i in range(7):
        sub = await store.upsert_subscriber("telegram", str(i), now=NOW, timezone="Asia/Tokyo")
        await store.subscribe(sub.id, ["markets", "ai-frontier", "climate"][: 1 + i % 3], now=NOW)
        due = NOW - timedelta(minutes=i % 2) if i != 5 else NOW + timedelta(minutes=1)
        await store.update_subscriber(sub.id, now=NOW, next_digest_at=due, paused=i == 6)
    await store.set_keywords(1, "markets", ["rate cut"], now=NOW)
    batches = [batch async for batch in store.due_batches(NOW, size=2)]
    assert [len(b) for b in batches] == [2, 2, 1]  # 5: due later, 6: paused
    wanted = await store.due_subscribers(NOW)
    read = [s for b in batches for s in b]
    fields = ("id", "chat_id", "timezone", "next_digest_at", "subscriptions", "cursor_article_id")
    key = lambda s: tuple(getattr(s, f) for f in fields)  # noqa: E731
    assert sorted(map(key, read)) == sorted(map(key, wanted))
    assert next(s.subscriptions for s in read if s.id == 1)[0].keywords == ("rate cut",)
    # In category order, whatever order they were subscribed in.
    assert [c.category for c in wanted[2].subscriptions] == ["ai-frontier", "climate", "markets"]
    assert await store.due_categories(NOW) == ["ai-frontier", "climate", "markets"]
