"""A repeat of an article that brings a different language corrects the stored one (a CMS
that tagged it wrongly, a feed that fixed its <language>); a repeat without one keeps it."""

from __future__ import annotations

from datetime import timedelta

from digests.ingest.importer import import_records
from digests.store import Store
from tests.conftest import NOW

WINDOW = timedelta(hours=36)


def record(language: str) -> dict[str, object]:
    return {
        "url": "https://cms.example/1",
        "title": "Thành phố mở thư viện mới ở quận một",
        "summary": "Thư viện mới mở cửa cho bạn đọc từ tuần sau.",
        "category": "climate",
        "source": "Desk",
        "published_at": (NOW - timedelta(hours=1)).isoformat(),
        "language": language,
    }


async def test_a_cms_correcting_an_articles_language_is_heard(
    categorised_store: Store,
) -> None:
    store = categorised_store
    first = await import_records(store, [(1, record("en"))], now=NOW, story_window=WINDOW)
    assert first.errors == []
    again = await import_records(store, [(1, record("vi"))], now=NOW, story_window=WINDOW)
    assert again.errors == []
    found = await store.find_article_by_url("https://cms.example/1")
    assert found is not None and found.language == "vi"
