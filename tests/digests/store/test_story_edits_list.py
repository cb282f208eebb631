"""The console's list of stories and its word search read the same on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from digests.ingest.cluster import title_key
from digests.models import NewArticle
from digests.store import Store
from tests.conftest import CATEGORIES, NOW

HOUR = timedelta(hours=1)
SINCE = NOW - timedelta(days=30)


async def put(store: Store, n: int, title: str, summary: str, *, at: datetime = NOW) -> int:
    _, created = await store.ingest_articles(
        f"feed:{n}",
        [
            NewArticle(
                url=f"https://news.example/{n}",
                title=title,
                summary=summary,
                source=f"Desk {n}",
                published_at=at - HOUR,
                title_key=title_key(title),
            )
        ],
        ["climate"],
        now=at,
    )
    [story] = await store.assign_stories([(None, created)], now=at)
    return story


@pytest.fixture
async def stocked(store: Store) -> tuple[Store, dict[str, int]]:
    for category in CATEGORIES:
        await store.upsert_category(category)
    stories = {
        "ferry": await put(store, 1, "Storm closes the Northern ferry", "Boats stay in port."),
        "rates": await put(store, 2, "Rates rise to 50%", "The bank's snake_case memo."),
        "hanoi": await put(store, 3, "Đà Nẵng mở cầu mới", "Cầu Rồng được sửa."),
        "old": await put(store, 4, "Old ferry news", "Ferry.", at=NOW - 40 * 24 * HOUR),
    }
    return store, stories


async def search(store: Store, *words: str) -> set[int]:
    found = await store.latest_stories(limit=10, words=words, published_since=SINCE)
    return {s.id for s in found}


async def test_words_are_found_in_any_case(stocked: tuple[Store, dict[str, int]]) -> None:
    store, ids = stocked
    assert await search(store, "FERRY") == {ids["ferry"]}
    assert await search(store, "northern", "port") == {ids["ferry"]}
    assert await search(store, "northern", "bank") == set()
    assert await search(store, "Đà", "cầu") == {ids["hanoi"]}


async def test_percent_and_underscore_are_literal(
    stocked: tuple[Store, dict[str, int]],
) -> None:
    store, ids = stocked
    assert await search(store, "50%") == {ids["rates"]}
    assert await search(store, "snake_case") == {ids["rates"]}
    assert await search(store, "5_%") == set()
    assert await search(store, "%") == {ids["rates"]}
    assert await search(store, "\\") == set()


async def test_the_list_newest_first_with_articles_and_categories(
    stocked: tuple[Store, dict[str, int]],
) -> None:
    store, ids = stocked
    listed = await store.latest_stories(limit=2)
    assert [s.id for s in listed] == [ids["hanoi"], ids["rates"]]
    assert listed[0].categories == ("climate",)
    assert [a.url for a in listed[0].articles] == ["https://news.example/3"]
    rest = await store.latest_stories(limit=10, offset=2)
    assert [s.id for s in rest] == [ids["ferry"], ids["old"]]
