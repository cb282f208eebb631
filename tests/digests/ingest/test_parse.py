"""Feed fixtures next to the result they must parse to (``NAME.expected.json``).

Each fixture is parsed and every entry normalised as on a feed's first import at NOW;
the expected file lists the articles (or the error) that must come out, and the items
left out with the reason, if any. Regenerate an expected file only after checking the new
output by eye:
``python -m tests.digests.ingest.test_parse NAME``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from digests.ingest.normalise import entry_to_article
from digests.ingest.parse import FeedParseError, parse_feed
from tests.conftest import NOW

FIXTURES = Path(__file__).parents[2] / "fixtures" / "feeds"
CASES = sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.json"))


def parse_fixture(path: Path) -> dict[str, Any]:
    try:
        feed = parse_feed(path.read_bytes(), url=f"https://feeds.example/{path.name}")
    except FeedParseError as exc:
        return {"error": str(exc).split(":")[0]}
    articles = []
    for entry in feed.entries:
        article = entry_to_article(
            entry,
            source=feed.title or "?",
            now=NOW,
            first_import=True,
            feed_updated=feed.updated,
        )
        articles.append(
            None
            if article is None
            else {
                "title": article.title,
                "url": article.url,
                "guid": article.guid,
                "published_at": article.published_at.isoformat() if article.published_at else None,
                "date_known": article.date_known,
                "summary": article.summary,
                "author": article.author,
                "image_url": article.image_url,
                "word_count": article.word_count,
            }
        )
    result: dict[str, Any] = {"title": feed.title, "articles": articles}
    if feed.skipped:
        result["skipped"] = list(feed.skipped)
    return result


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fixture_parses_to_expected(path: Path) -> None:
    expected = json.loads((FIXTURES / f"{path.name}.expected.json").read_text("utf-8"))
    assert parse_fixture(path) == expected


def test_every_fixture_has_an_expected_result() -> None:
    assert len(CASES) >= 10
    for path in CASES:
        assert (FIXTURES / f"{path.name}.expected.json").is_file(), path.name


def test_entity_expansion_is_not_performed() -> None:
    body = (FIXTURES / "billion-laughs.xml").read_bytes()
    started = time.perf_counter()
    feed = parse_feed(body)
    assert time.perf_counter() - started < 5
    assert all(len(e.title) < 1000 for e in feed.entries)


def test_json_feed_that_is_not_json_feed() -> None:
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": "world"}')
    with pytest.raises(FeedParseError, match="malformed JSON Feed"):
        parse_feed(b'{"version": ', content_type="application/feed+json")


def json_feed(*items: str, before: str = "") -> bytes:
    """A JSON Feed document whose items are the given JSON texts."""
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "T", '
        + before
        + '"items": ['
        + ", ".join(items)
        + "]}"
    ).encode()


GOOD = '{"id": "ok", "url": "https://t.example/ok", "title": "A good [item], with \\"quotes\\""}'


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_deeply_nested_json_feed_item_is_skipped_and_the_rest_kept(depth: int) -> None:
    deep = '{"id": "deep", "url": "https://t.example/d", "x": ' + "[" * depth + "]" * depth + "}"
    feed = parse_feed(json_feed(GOOD, deep, GOOD.replace("ok", "ok2")))
    assert [e.guid for e in feed.entries] == ["ok", "ok2"]
    assert feed.entries[0].title == 'A good [item], with "quotes"'
    assert feed.skipped == ("item 2: nested deeper than 64 levels",)


def test_a_syntax_error_inside_one_item_costs_only_that_item() -> None:
    feed = parse_feed(json_feed(GOOD, '{"id": "bad", "url": NaN}', "{\"id\": 'quoted'}"))
    assert [e.guid for e in feed.entries] == ["ok"]
    assert len(feed.skipped) == 2 and feed.skipped[0].startswith("item 2: NaN")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
        (json_feed(GOOD, before='"_ext": ' + "[" * 100_000 + "]" * 100_000 + ", "), "nested"),
        (
            b'{"version": "https://jsonfeed.org/version/1", "items": [], "n": '
            + b"9" * 5000
            + b"}",
            "number too long",
        ),
        (b'{"version": "https://jsonfeed.org/version/1", "items": ["\xff"]}', "not UTF-8"),
    ],
)
def test_a_json_feed_that_is_broken_as_a_whole_fails_with_a_reason(
    body: bytes, reason: str
) -> None:
    with pytest.raises(FeedParseError, match=f"malformed JSON Feed: .*{reason}"):
        parse_feed(body, content_type="application/feed+json")


def test_a_json_feed_without_items_and_with_an_odd_home_page_url_is_empty() -> None:
    feed = parse_feed(json_feed(before='"home_page_url": {"x": 1}, '))
    assert feed.title == "T" and feed.entries == () and feed.skipped == ()


def test_json_feed_relative_urls_fall_back_to_the_feed_address() -> None:
    item = '{"id": "r", "url": "../story", "title": "Relative", "image": "/i.png"}'
    feed = parse_feed(
        json_feed(item, before='"home_page_url": "not a web address", '),
        url="https://feeds.example/sub/feed.json",
    )
    (entry,) = feed.entries
    assert entry.link == "https://feeds.example/story"
    assert entry.image == "https://feeds.example/i.png"


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    for name in sys.argv[1:]:
        result = parse_fixture(FIXTURES / name)
        (FIXTURES / f"{name}.expected.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        print(json.dumps(result, ensure_ascii=False, indent=2))
