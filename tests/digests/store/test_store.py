from __future__ import annotations

from datetime import timedelta

import pytest

from digests.ingest.cluster import title_key
from digests.models import Category, NewArticle
from digests.store import REMOVED_REASON, NotFound, Store, feed_scope
from tests.conftest import NOW


def article(n: int, **overrides: object) -> NewArticle:
    values: dict[str, object] = {
        "url": f"https://news.example.com/{n}",
        "title": f"Title {n}",
        "summary": f"Summary {n}.",
        "source": "Example",
        "published_at": NOW - timedelta(hours=n),
        "guid": f"guid-{n}",
    }
    values.update(overrides)
    values["title_key"] = title_key(str(values["title"]))
    return NewArticle(**values)  # type: ignore[arg-type]


async def test_feed_upsert_sets_categories_and_keeps_one_row_per_url(
    categorised_store: Store,
) -> None:
    store = categorised_store
    feed = await store.upsert_feed(
        "https://a.example/feed", ["ai-frontier"], now=NOW, interval=timedelta(minutes=15)
    )
    again = await store.upsert_feed(
        "https://a.example/feed",
        ["ai-frontier", "markets"],
        now=NOW,
        name="A",
        interval=timedelta(hours=1),
        priority=2,
    )
    assert again.id == feed.id
    assert again.categories == ("ai-frontier", "markets")
    assert again.display_name == "A" and again.priority == 2
    assert len(await store.list_feeds()) == 1


async def test_unknown_category_is_refused(categorised_store: Store) -> None:
    with pytest.raises(NotFound, match="unknown category: nope"):
        await categorised_store.upsert_feed(
            "https://a.example/feed", ["nope"], now=NOW, interval=timedelta(minutes=5)
        )


async def test_removed_feed_keeps_articles_and_returns_when_listed_again(
    categorised_store: Store,
) -> None:
    store = categorised_store
    feed = await store.upsert_feed(
        "https://a.example/feed", ["climate"], now=NOW, interval=timedelta(minutes=5)
    )
    await store.ingest_articles(
        feed_scope(feed.id), [article(1)], ["climate"], now=NOW, feed_id=feed.id
    )
    removed = await store.remove_feed(feed.url)
    assert removed.id == feed.id
    listed = await store.get_feed(feed.url)
    assert listed and listed.disabled and listed.disabled_reason == REMOVED_REASON
    assert await store.due_feeds(NOW + timedelta(days=1)) == []
    assert (await store.counts())["articles"] == 1
    back = await store.upsert_feed(feed.url, ["climate"], now=NOW, interval=timedelta(minutes=5))
    assert not back.disabled


async def test_error_disabled_feed_comes_back_only_when_enabled_explicitly(
    categorised_store: Store,
) -> None:
    store = categorised_store
    feed = await store.upsert_feed(
        "https://a.example/feed", ["climate"], now=NOW, interval=timedelta(minutes=5)
    )
    await store.record_fetch_failure(
        feed.id, now=NOW, error="HTTP 500", next_fetch_at=NOW, disable_reason="disabled: too many"
    )
    synced = await store.upsert_feed(feed.url, ["climate"], now=NOW, interval=timedelta(minutes=5))
    assert synced.disabled and synced.last_error == "HTTP 500"
    enabled = await store.upsert_feed(
        feed.url, ["climate"], now=NOW, interval=timedelta(minutes=5), enable=True
    )
    assert not enabled.disabled and enabled.consecutive_errors == 0


async def test_a_fetch_error_quoting_a_nul_is_recorded_without_it(
    categorised_store: Store,
) -> None:
    store = categorised_store
    feed = await store.upsert_feed(
        "https://a.example/feed", ["climate"], now=NOW, interval=timedelta(minutes=5)
    )
    await store.record_fetch_failure(
        feed.id, now=NOW, error="bad byte \x00 at 3", next_fetch_at=NOW, disable_reason=None
    )
    failed = await store.get_feed(feed.url)
    assert failed is not None and failed.last_error == "bad byte  at 3"
    assert not failed.disabled and failed.consecutive_errors == 1


async def test_same_guid_or_url_in_a_scope_is_one_article(categorised_store: Store) -> None:
    store = categorised_store
    scope = "import:example"
    counts, created = await store.ingest_articles(
        scope, [article(1), article(2), article(1)], ["climate"], now=NOW
    )
    assert (counts.new, len(created)) == (2, 2)
    # Same guid, edited title: updated in place. Same URL without guid: same article.
    edited = article(1, title="Title 1, updated")
    by_url = article(2, guid=None)
    counts, created = await store.ingest_articles(scope, [edited, by_url], ["climate"], now=NOW)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    assert created == []
    # Articles not yet grouped into stories are not offered to digests.
    assert await store.candidate_articles(published_since=NOW - timedelta(days=1)) == []
    rows = await store._fetchall("SELECT id, title FROM articles ORDER BY id")
    assert [r["title"] for r in rows] == ["Title 1, updated", "Title 2"]
    # The same guid in another scope is another article.
    counts, _ = await store.ingest_articles("import:other", [article(1)], ["climate"], now=NOW)
    assert counts.new == 1


async def test_candidates_carry_categories_priority_and_story(categorised_store: Store) -> None:
    store = categorised_store
    feed = await store.upsert_feed(
        "https://a.example/feed",
        ["climate", "markets"],
        now=NOW,
        interval=timedelta(minutes=5),
        priority=3,
    )
    _, created = await store.ingest_articles(
        feed_scope(feed.id),
        [article(1), article(2, date_known=False)],
        feed.categories,
        now=NOW,
        feed_id=feed.id,
    )
    story_ids = await store.assign_stories([(None, created)], now=NOW)
    candidates = await store.candidate_articles(published_since=NOW - timedelta(days=1))
    assert len(candidates) == 1  # the undated one is never offered
    only = candidates[0]
    assert only.categories == ("climate", "markets")
    assert only.priority == 3 and only.story_id == story_ids[0]
    limited = await store.candidate_articles(
        published_since=NOW - timedelta(days=1), categories=["ai-frontier"]
    )
    assert limited == []


async def test_forget_deletes_everything_about_a_subscriber(categorised_store: Store) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("telegram", "42", now=NOW, language="vi")
    other = await store.upsert_subscriber("telegram", "43", now=NOW)
    await store.subscribe(sub.id, ["climate", "markets"], now=NOW)
    await store.subscribe(other.id, ["climate"], now=NOW)
    await store.set_keywords(sub.id, "climate", ["solar", "wind"])
    await store.record_delivery(
        sub.id, kind="digest", status="sent", now=NOW, story_ids=[1, 2], parts=1
    )
    report = await store.forget_subscriber(sub.id)
    assert (report.subscriptions, report.deliveries, report.sent_stories) == (2, 1, 2)
    assert await store.find_subscriber("telegram", "42") is None
    for table in ("subscriptions", "deliveries", "sent_stories"):
        row = await store._fetchone(
            f"SELECT COUNT(*) FROM {table} WHERE subscriber_id = ?", (sub.id,)
        )
        assert row[0] == 0
    assert (await store.get_subscriber(other.id)).categories == ("climate",)
    with pytest.raises(NotFound):
        await store.forget_subscriber(sub.id)


async def test_subscriptions_follow_category_order_and_keep_keywords(
    categorised_store: Store,
) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("discord", "c1", now=NOW, guild_id="g1", thread_id="t9")
    await store.subscribe(sub.id, ["markets", "ai-frontier"], now=NOW)
    await store.set_keywords(sub.id, "markets", ["oil", " ", "gold"])
    await store.subscribe(sub.id, ["markets"], now=NOW)
    loaded = await store.get_subscriber(sub.id)
    assert loaded.categories == ("ai-frontier", "markets")
    assert loaded.subscriptions[1].keywords == ("oil", "gold")
    assert loaded.thread_id == "t9" and loaded.guild_id == "g1"
    assert await store.find_subscriber("discord", "c1") is None  # thread is part of the key
    assert await store.unsubscribe(sub.id, None) == 2
    with pytest.raises(NotFound, match="not subscribed"):
        await store.set_keywords(sub.id, "markets", ["oil"])


async def test_cursor_never_moves_back_and_previews_mark_nothing(
    categorised_store: Store,
) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("console", "me", now=NOW)
    await store.advance_cursor(sub.id, article_id=10, digest_at=NOW)
    await store.advance_cursor(sub.id, article_id=5, digest_at=NOW)
    assert (await store.get_subscriber(sub.id)).cursor_article_id == 10
    await store.record_delivery(sub.id, kind="preview", status="sent", now=NOW, story_ids=[7])
    await store.record_delivery(sub.id, kind="digest", status="failed", now=NOW, story_ids=[8])
    assert await store.sent_story_ids(sub.id) == set()
    await store.record_delivery(sub.id, kind="breaking", status="sent", now=NOW, story_ids=[9])
    assert await store.sent_story_ids(sub.id) == {9}


async def test_update_subscriber_rejects_unknown_fields(categorised_store: Store) -> None:
    sub = await categorised_store.upsert_subscriber("console", "me", now=NOW)
    await categorised_store.update_subscriber(
        sub.id, now=NOW, timezone="Europe/London", paused=True
    )
    loaded = await categorised_store.get_subscriber(sub.id)
    assert loaded.timezone == "Europe/London" and loaded.paused
    with pytest.raises(ValueError, match="chat_id"):
        await categorised_store.update_subscriber(sub.id, now=NOW, chat_id="x")


async def test_retention_deletes_old_articles_and_empty_stories(
    categorised_store: Store,
) -> None:
    store = categorised_store
    _, created = await store.ingest_articles(
        "import:x", [article(1), article(200)], ["climate"], now=NOW
    )
    await store.assign_stories([(None, [created[0]]), (None, [created[1]])], now=NOW)
    deleted = await store.delete_articles_before(NOW - timedelta(days=7))
    assert deleted == 1
    counts = await store.counts()
    assert counts["articles"] == 1 and counts["stories"] == 1


async def test_category_upsert_updates_in_place(store: Store) -> None:
    await store.upsert_category(Category("x", "X", "", 1))
    await store.upsert_category(Category("x", "Ex", "desc", 0))
    assert await store.list_categories() == [Category("x", "Ex", "desc", 0)]


async def test_ids_are_never_reused_after_retention(categorised_store: Store) -> None:
    # sent_stories remembers story ids after retention deleted the stories themselves;
    # a new story must never take an old id and be mistaken for one already sent.
    store = categorised_store
    _, first = await store.ingest_articles("import:x", [article(200)], ["climate"], now=NOW)
    (old_story,) = await store.assign_stories([(None, first)], now=NOW)
    assert await store.delete_articles_before(NOW - timedelta(days=7)) == 1
    _, second = await store.ingest_articles("import:x", [article(1)], ["climate"], now=NOW)
    (new_story,) = await store.assign_stories([(None, second)], now=NOW)
    assert second[0].id > first[0].id
    assert new_story > old_story


async def test_changing_the_schedule_clears_the_next_due_time(categorised_store: Store) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("console", "me", now=NOW)
    await store.update_subscriber(sub.id, now=NOW, next_digest_at=NOW)
    await store.update_subscriber(sub.id, now=NOW, language="vi")
    assert (await store.get_subscriber(sub.id)).next_digest_at == NOW
    await store.update_subscriber(sub.id, now=NOW, digest_time="09:30")
    assert (await store.get_subscriber(sub.id)).next_digest_at is None
    assert [s.id for s in await store.unscheduled_subscribers()] == [sub.id]


async def test_server_settings_and_forgetting_a_member(categorised_store: Store) -> None:
    store = categorised_store
    assert await store.admin_role("discord", "500") is None
    await store.set_admin_role("discord", "500", "77", now=NOW)
    await store.set_admin_role("discord", "501", "88", now=NOW)
    assert await store.admin_role("discord", "500") == "77"
    await store.set_admin_role("discord", "500", None, now=NOW)
    assert await store.admin_role("discord", "500") is None
    assert await store.admin_role("discord", "501") == "88"
    assert await store.admin_role("telegram", "501") is None

    a = await store.upsert_subscriber("discord", "600", now=NOW, guild_id="500", set_up_by="42")
    await store.upsert_subscriber("discord", "601", now=NOW, guild_id="500", set_up_by="43")
    await store.upsert_subscriber("discord", "700", now=NOW, guild_id="501", set_up_by="42")
    assert [s.chat_id for s in await store.subscribers_of_guild("discord", "500")] == [
        "600",
        "601",
    ]
    await store.update_subscriber(a.id, now=NOW, breaking_role="88")
    assert (await store.get_subscriber(a.id)).breaking_role == "88"
    assert await store.forget_user("discord", "42") == 2
    assert [s.set_up_by for s in await store.list_subscribers()] == [None, "43", None]


async def test_deactivate_reports_only_the_call_that_stopped_the_subscriber(
    categorised_store: Store,
) -> None:
    sub = await categorised_store.upsert_subscriber("discord", "600", now=NOW)
    assert await categorised_store.deactivate(sub.id, reason="missing access", now=NOW)
    assert not await categorised_store.deactivate(sub.id, reason="again", now=NOW)
    loaded = await categorised_store.get_subscriber(sub.id)
    assert loaded.inactive_reason == "missing access"


async def test_empty_lists_ask_for_nothing_on_both_engines(categorised_store: Store) -> None:
    store = categorised_store
    assert await store.category_subscribers([]) == {}
    assert await store.feed_categories([]) == {}
    assert await store.candidate_articles(published_since=NOW, categories=[]) == []
