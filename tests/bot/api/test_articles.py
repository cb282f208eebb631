"""POST /api/articles stores a list in one call per (scope, category), as import does
(red-team finding: 500 articles took 122 s one transaction each), and still answers which
records created an article and which found one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import bot.api.articles
from bot.api.articles import batches
from digests.ingest.importer import validate_record
from digests.store import Store
from tests.bot.api.conftest import ADMIN_AUTH
from tests.conftest import NOW


def record(n: int, **fields: object) -> dict[str, object]:
    return {
        "url": f"https://cms.example/{n}",
        "title": f"Article number {n} on its own subject {n * 7}",
        "category": "climate",
        "source": "Desk",
        "published_at": "2026-11-27T10:00:00Z",
        **fields,
    }


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many articles each store_and_group call of the handler got."""
    seen: list[int] = []
    real = bot.api.articles.store_and_group

    async def counting(store: Store, scope: str, articles: Any, *args: Any, **kw: Any) -> Any:
        seen.append(len(articles))
        return await real(store, scope, articles, *args, **kw)

    monkeypatch.setattr(bot.api.articles, "store_and_group", counting)
    return seen


async def test_a_list_is_stored_in_one_call_per_scope_and_category(
    admin: httpx.AsyncClient, calls: list[int], store: Store
) -> None:
    body = [record(n) for n in range(200)]
    body += [record(n, category="tech") for n in range(200, 250)]
    body += [record(n, source="Wire") for n in range(250, 300)]
    response = await admin.post("/api/articles", json=body, headers=ADMIN_AUTH)
    assert response.status_code == 201
    assert sorted(calls) == [50, 50, 200]
    assert response.json()["created"] == [r["url"] for r in body]
    assert (await store.counts())["articles"] == 300


async def test_created_and_existing_are_told_apart_in_one_batch(
    admin: httpx.AsyncClient, calls: list[int]
) -> None:
    first = await admin.post("/api/articles", json=[record(1), record(3)], headers=ADMIN_AUTH)
    assert first.status_code == 201
    mixed = [
        record(1),
        record(2),
        record(3, title="An edit of article three, still the same one"),
        record(2),  # a repeat within the list: the article the record before created
        record(4, guid="g-4"),
        record(5, guid="g-4"),  # the same guid: the same article
    ]
    response = await admin.post("/api/articles", json=mixed, headers=ADMIN_AUTH)
    assert response.status_code == 201
    assert response.json() == {
        "created": ["https://cms.example/2", "https://cms.example/4"],
        "existing": [
            "https://cms.example/1",
            "https://cms.example/3",
            "https://cms.example/2",
            "https://cms.example/5",
        ],
    }
    assert calls == [2, 6]
    again = await admin.post("/api/articles", json=mixed, headers=ADMIN_AUTH)
    assert again.status_code == 200 and again.json()["created"] == []


async def test_one_bad_record_stores_none_of_the_list(
    admin: httpx.AsyncClient, calls: list[int], store: Store
) -> None:
    body = [record(n) for n in range(20)] + [record(20, published_at="9999-12-31T23:00:00-14:00")]
    response = await admin.post("/api/articles", json=body, headers=ADMIN_AUTH)
    assert response.status_code == 422 and "article 20" in response.json()["error"]
    assert calls == [] and (await store.counts())["articles"] == 0


def test_batches_keep_the_order_of_first_appearance() -> None:
    valid = [
        validate_record(r, categories=["climate", "tech"], now=NOW)
        for r in (record(1), record(2, category="tech"), record(3), record(4, source=" desk "))
    ]
    # Source names are one scope whatever their case and spacing, as in import.
    assert batches(valid) == [[0, 2, 3], [1]]
