"""Feed fixtures next to the result they must parse to (``NAME.expected.json``).

Each fixture is parsed and every entry normalised as on a feed's first import at NOW;
the expected file lists the articles (or the error) that must come out. Regenerate an
expected file only after checking the new output by eye:
``python -m tests.digests.ingest.test_parse NAME``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from digests.ingest.parse import FeedParseError, parse_feed
from digests.ingest.pipeline import entry_to_article
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
    return {"title": feed.title, "articles": articles}


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


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    for name in sys.argv[1:]:
        result = parse_fixture(FIXTURES / name)
        (FIXTURES / f"{name}.expected.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        print(json.dumps(result, ensure_ascii=False, indent=2))
