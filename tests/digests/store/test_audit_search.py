"""Reading the audit log with the console's filters (actor exact or prefix, action, surface,
dates, an id cursor), on both engines."""

from __future__ import annotations

from datetime import timedelta

from digests.store import Store
from digests.store._audit_search import AuditFilter, like_prefix
from tests.conftest import NOW


async def _log(store: Store, actor: str, action: str = "feed-add", **more: object) -> None:
    values = {"platform": "console", "outcome": "ok", "now": NOW, **more}
    await store.audit(actor=actor, action=action, **values)  # type: ignore[arg-type]


async def test_newest_first_with_every_column(store: Store) -> None:
    await _log(store, "ed", "login")
    await _log(store, "ada", "feed-add", target="https://x.test/feed", detail="added")
    found = await store.search_audit()
    assert [(r.actor, r.action) for r in found] == [("ada", "feed-add"), ("ed", "login")]
    newest = found[0]
    assert newest.target == "https://x.test/feed" and newest.detail == "added"
    assert newest.at == NOW and newest.outcome == "ok" and newest.count == 1
    assert newest.id > found[1].id


async def test_actor_exact_and_prefix(store: Store) -> None:
    for actor in ("ed", "editor", "Ed", "e%d", "e_d", "tg:1"):
        await _log(store, actor)
    exact = await store.search_audit(actor="ed")
    assert [r.actor for r in exact] == ["ed"]
    prefix = await store.search_audit(actor="ed", actor_prefix=True)
    assert sorted(r.actor for r in prefix) == ["ed", "editor"]  # case-sensitive on both
    # LIKE's wildcards are the characters themselves.
    assert [r.actor for r in await store.search_audit(actor="e%", actor_prefix=True)] == ["e%d"]
    assert [r.actor for r in await store.search_audit(actor="e_", actor_prefix=True)] == ["e_d"]


async def test_action_platform_and_dates(store: Store) -> None:
    await _log(store, "ed", "login", now=NOW - timedelta(days=2))
    await _log(store, "ed", "feed-add", platform="cli", now=NOW - timedelta(days=1))
    await _log(store, "ed", "feed-add", now=NOW)
    assert len(await store.search_audit(action="feed-add")) == 2
    assert len(await store.search_audit(action="feed-add", platform="cli")) == 1
    since = await store.search_audit(since=NOW - timedelta(days=1))
    assert len(since) == 2
    until = await store.search_audit(until=NOW - timedelta(days=1))  # exclusive
    assert [r.action for r in until] == ["login"]
    assert await store.audit_actions() == ["feed-add", "login"]
    assert await store.audit_platforms() == ["cli", "console"]


async def test_pages_by_id_cursor(store: Store) -> None:
    for n in range(5):
        await _log(store, f"ed{n}")
    first = await store.search_audit(limit=2)
    assert [r.actor for r in first] == ["ed4", "ed3"]
    second = await store.search_audit(before_id=first[-1].id, limit=2)
    assert [r.actor for r in second] == ["ed2", "ed1"]
    last = await store.search_audit(before_id=second[-1].id, limit=2)
    assert [r.actor for r in last] == ["ed0"]
    assert await store.search_audit(before_id=last[-1].id) == []


async def test_unstorable_or_huge_filters_find_nothing(store: Store) -> None:
    await _log(store, "ed")
    assert await store.search_audit(actor="e\x00d") == []
    assert await store.search_audit(actor="\ud800", actor_prefix=True) == []
    assert await store.search_audit(action="x" * 5000) == []
    assert len(await store.search_audit(before_id=10**30)) == 1
    assert await store.search_audit(before_id=-5) == []


async def test_refusal_rows_keep_their_count(store: Store) -> None:
    for _ in range(3):
        await store.audit_refusal(actor="tg:9", platform="telegram", action="breaking", now=NOW)
    (row,) = await store.search_audit(platform="telegram")
    assert (row.outcome, row.count) == ("refused", 3)


def test_like_prefix_escapes_its_wildcards() -> None:
    assert like_prefix("a%b_c\\") == "a\\%b\\_c\\\\%"


def test_an_empty_filter_matches_everything() -> None:
    assert AuditFilter().where() == ("1 = 1", [])
