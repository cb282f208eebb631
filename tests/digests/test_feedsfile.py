from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digests.feedsfile import FeedsFileError, apply_feeds_config, load_feeds_file, parse_feeds_text
from digests.models import NewArticle
from digests.store import REMOVED_REASON, Store, feed_scope
from tests.conftest import NOW

GOOD = """
[categories.ai-frontier]
name = "AI Frontier"
description = "Models, labs and the people who build them"

[categories.climate]
name = "Climate"

[[feeds]]
url = "https://example.com/ai.xml?utm_source=x"
category = "ai-frontier"
name = "Wired AI"
interval = "15m"

[[feeds]]
url = "https://example.com/ai.xml"
category = "climate"
interval = "5m"
priority = 2

[[feeds]]
url = "https://climate.example/feed"
categories = ["climate"]
"""


def test_parse_merges_one_url_listed_under_two_categories() -> None:
    config = parse_feeds_text(GOOD)
    assert [c.slug for c in config.categories] == ["ai-frontier", "climate"]
    assert [c.position for c in config.categories] == [0, 1]
    ai, climate = config.feeds
    assert ai.url == "https://example.com/ai.xml"
    assert ai.categories == ("ai-frontier", "climate")
    assert ai.name == "Wired AI" and ai.interval == timedelta(minutes=5) and ai.priority == 2
    assert climate.interval is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[categories", "not valid TOML"),
        ('[categories."Bad Slug"]\nname="x"', "bad category slug"),
        ('[categories."ai\\n"]\nname="x"', "bad category slug"),  # $ let a newline end one
        ('[[feeds]]\nurl="https://x/"\ncategory="nope"', "unknown category nope"),
        ('[categories.a]\n[[feeds]]\ncategory="a"', "url is missing"),
        ('[categories.a]\n[[feeds]]\nurl="ftp://x/"\ncategory="a"', "not an http"),
        (
            '[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\ninterval="soon"',
            "not a duration",
        ),
        (
            '[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\ninterval="10s"',
            "at least 1m",
        ),
        ('[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\npriority="high"', "priority"),
        ('[categories.a]\n[[feeds]]\nurl="https://x/"', "category is missing"),
        (
            '[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\nintervall="5m"',
            r"feed #1: unknown key intervall \(allowed: categories, category, interval, name",
        ),
        ('[categories.a]\nnmae="A"', "categories.a: unknown key nmae"),
        ('[categories]\na="A"', "categories.a must be a table"),
        ('[categories.a]\n[[feed]]\nurl="https://x/"\ncategory="a"', "unknown key feed"),
        (
            '[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\npriority=100000000000000000000',
            "priority must be between -100 and 100",
        ),
        (
            '[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\ninterval="99999999999999d"',
            "duration too long",
        ),
        ('[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\nname=5', "name must be text"),
        (
            '[categories.a]\n[[feeds]]\nurl="https://x/"\ncategory="a"\nname="Desk\\u202e"',
            r"name contains a control or bidi character \(U\+202E\)",
        ),
        (
            '[categories.a]\n[[feeds]]\nurl="https://me:pw@x.example/f"\ncategory="a"',
            "credentials in feed URLs are not supported: x.example/f",
        ),
    ],
)
def test_problems_are_reported_with_their_place(text: str, message: str) -> None:
    with pytest.raises(FeedsFileError, match=message):
        parse_feeds_text(text)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(FeedsFileError, match="cannot read"):
        load_feeds_file(tmp_path / "missing.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FeedsFileError, match="not UTF-8"):
        load_feeds_file(tmp_path / "bin.toml")


async def test_sync_adds_updates_and_disables_without_deleting_articles(store: Store) -> None:
    first = await apply_feeds_config(
        store, parse_feeds_text(GOOD), now=NOW, default_interval=timedelta(minutes=30)
    )
    assert len(first.added) == 2 and first.updated == [] and first.disabled == []
    climate = await store.get_feed("https://climate.example/feed")
    assert climate is not None and climate.interval == timedelta(minutes=30)
    await store.ingest_articles(
        feed_scope(climate.id),
        [
            NewArticle(
                url="https://climate.example/1", title="t", summary="", source="s", published_at=NOW
            )
        ],
        ["climate"],
        now=NOW,
        feed_id=climate.id,
    )
    without = GOOD.split('[[feeds]]\nurl = "https://climate.example/feed"')[0]
    second = await apply_feeds_config(
        store, parse_feeds_text(without), now=NOW, default_interval=timedelta(minutes=30)
    )
    assert second.disabled == ["https://climate.example/feed"] and len(second.updated) == 1
    gone = await store.get_feed("https://climate.example/feed")
    assert gone is not None and gone.disabled and gone.disabled_reason == REMOVED_REASON
    assert (await store.counts())["articles"] == 1
    third = await apply_feeds_config(
        store, parse_feeds_text(GOOD), now=NOW, default_interval=timedelta(minutes=30)
    )
    assert third.disabled == []
    back = await store.get_feed("https://climate.example/feed")
    assert back is not None and not back.disabled
