"""The longest keys digestbot accepts store on both engines alike: PostgreSQL refuses a
B-tree index row over 2,704 bytes (SQLite has no such limit), so a link is at most 2,048
characters (ASCII once canonical) and a guid at most 1,024 characters and UTF-8 bytes.
Before, a 4,000-character link or 1,000 CJK characters of guid were accepted, stored on
SQLite and answered 500 by the admin API on PostgreSQL (a feed's whole batch failed)."""

from __future__ import annotations

import random
import string
from datetime import timedelta

import pytest

from digests.ingest.importer import RecordError, validate_record
from digests.ingest.normalise import entry_to_article
from digests.ingest.parse import RawEntry
from digests.ingest.stories import store_and_group
from digests.models import Category
from digests.store import Store, import_scope
from digests.urls import MAX_URL_CHARS, InvalidURL, canonical_url
from tests.conftest import NOW

rng = random.Random(12)  # random text: PostgreSQL would compress a repetitive key
PREFIX = "https://news.example/"
LONGEST_URL = PREFIX + "".join(rng.choice(string.ascii_letters) for _ in range(2048 - 21))
CJK_GUID = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(1000))  # 3,000 bytes
LONGEST_GUID = "".join(rng.choice(string.ascii_letters) for _ in range(1024))


def record(**fields: str) -> dict[str, str]:
    return {
        "url": PREFIX + "a",
        "title": "Title",
        "category": "climate",
        "source": "Wire",
        "published_at": "2026-11-27T10:00:00Z",
        **fields,
    }


def test_a_link_past_2048_characters_is_refused() -> None:
    assert MAX_URL_CHARS == 2048 and canonical_url(LONGEST_URL) == LONGEST_URL
    with pytest.raises(InvalidURL, match="at most 2048"):
        canonical_url(LONGEST_URL + "b")


def test_a_guid_past_1024_utf8_bytes_is_refused_or_left_out() -> None:
    with pytest.raises(RecordError, match=r"guid is too long \(3000 bytes in UTF-8"):
        validate_record(record(guid=CJK_GUID), categories=["climate"], now=NOW)
    entry = RawEntry(CJK_GUID, PREFIX + "b", "Title", "", "", None, NOW, None)
    assert entry_to_article(entry, source="Wire", now=NOW, first_import=True) is None
    ok = RawEntry(LONGEST_GUID, PREFIX + "b", "Title", "", "", None, NOW, None)
    assert entry_to_article(ok, source="Wire", now=NOW, first_import=True) is not None


async def test_the_longest_keys_store_on_both_engines(store: Store) -> None:
    await store.upsert_category(Category("climate", "Climate"))
    feed = await store.upsert_feed(
        LONGEST_URL, ["climate"], now=NOW, interval=timedelta(minutes=15)
    )
    assert feed.url == LONGEST_URL
    item = validate_record(
        record(url=LONGEST_URL, guid=LONGEST_GUID), categories=["climate"], now=NOW
    )
    ingested = await store_and_group(
        store,
        import_scope("Wire"),
        [item.article],
        ["climate"],
        now=NOW,
        window=timedelta(hours=48),
    )
    assert len(ingested.created) == 1
    found = await store.find_article_by_url(LONGEST_URL)
    assert found is not None and found.url == LONGEST_URL


async def test_a_source_whose_key_would_not_fit_is_refused_and_the_longest_stores(
    store: Store,
) -> None:
    """An import's articles are keyed by (scope, url), scope being the case-folded source:
    300 CJK characters (900 bytes) with a 2,048-character link were over PostgreSQL's
    2,704 bytes (500 there, stored on SQLite)."""
    cjk = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(300))
    with pytest.raises(RecordError, match=r"source is too long \(907 bytes"):
        validate_record(record(source=cjk), categories=["climate"], now=NOW)
    await store.upsert_category(Category("climate", "Climate"))
    longest = cjk[:197]  # "import:" and 591 bytes: 598
    item = validate_record(record(url=LONGEST_URL, source=longest), categories=["climate"], now=NOW)
    ingested = await store_and_group(
        store,
        import_scope(longest),
        [item.article],
        ["climate"],
        now=NOW,
        window=timedelta(hours=48),
    )
    assert len(ingested.created) == 1
