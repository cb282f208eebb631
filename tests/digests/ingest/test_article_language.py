"""An article's language at ingest: the entry's declared tag, else its feed's, else the one
detected from its title and summary, else None; feed fixtures (tests/fixtures/languages)
next to the language each of their items must get."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digests.ingest.normalise import entry_to_article
from digests.ingest.parse import RawEntry, parse_feed
from tests.conftest import NOW

FIXTURES = Path(__file__).parents[2] / "fixtures" / "languages"


def languages(name: str) -> list[str | None]:
    """The language of each article the fixture gives, in order."""
    feed = parse_feed((FIXTURES / name).read_bytes(), url=f"https://feeds.example/{name}")
    found = []
    for entry in feed.entries:
        article = entry_to_article(
            entry,
            source="Desk",
            now=NOW,
            first_import=False,
            feed_language=feed.language,
        )
        assert article is not None
        found.append(article.language)
    return found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # <language>vi</language> holds for every item, even a short or an English one.
        ("rss-vi.xml", ["vi", "vi", "vi"]),
        # The feed's xml:lang; an entry's own xml:lang wins; a private-use tag is none.
        ("atom-lang.xml", ["en", "vi", "en"]),
        # Nothing declared: detected from the text; a text too short to tell is None.
        ("rss-undeclared-en.xml", ["en", None]),
        ("rss-undeclared-vi.xml", ["vi"]),
        # A channel language that is no tag is ignored; an item's dc:language counts.
        ("rss-garbage-language.xml", ["en", "vi"]),
        # JSON Feed 1.1's language, the feed's and an item's; a number is no tag.
        ("jsonfeed-lang.json", ["en", "vi", "en"]),
    ],
)
def test_each_fixture_item_gets_its_language(name: str, expected: list[str | None]) -> None:
    assert languages(name) == expected


def test_the_feed_and_entry_declarations_are_parsed_as_given() -> None:
    rss = parse_feed((FIXTURES / "rss-vi.xml").read_bytes())
    assert rss.language == "vi"
    atom = parse_feed((FIXTURES / "atom-lang.xml").read_bytes())
    assert atom.language == "en-US"
    assert [e.language for e in atom.entries] == ["en-US", "vi-VN", "x-klingon"]


def entry(**fields: object) -> RawEntry:
    base: dict[str, object] = {
        "guid": "g",
        "link": "https://site.example/a",
        "title": "Parliament passes the new data protection law",
        "summary_html": "<p>The law takes effect next spring and covers every company.</p>",
        "content_html": "",
        "author": None,
        "published": NOW - timedelta(hours=1),
        "image": None,
    }
    return RawEntry(**{**base, **fields})  # type: ignore[arg-type]


def language_of(raw: RawEntry, feed_language: str | None = None) -> str | None:
    article = entry_to_article(
        raw, source="S", now=NOW, first_import=False, feed_language=feed_language
    )
    assert article is not None
    return article.language


@pytest.mark.parametrize(
    ("declared", "feed", "expected"),
    [
        ("vi-VN", "en", "vi"),  # the entry's own declaration first
        (None, "EN_gb", "en"),  # then the feed's, normalised
        ("x-klingon", "vi", "vi"),  # a private-use tag is no declaration
        ("und", None, "en"),  # nor is "undetermined": the text tells
        ("\ud800", "\u202ede", "en"),  # a lone surrogate, a bidi control: detected
        ("1" * 5000, None, "en"),  # 5,000 digits: no tag, detected
    ],
)
def test_declared_entry_then_feed_then_detected(
    declared: str | None, feed: str | None, expected: str
) -> None:
    assert language_of(entry(language=declared), feed) == expected


def test_hostile_text_gets_no_language_or_a_guess_never_an_error() -> None:
    hostile = entry(title="\x00\u202e\ud800 " * 40, summary_html="\ud83d" * 100)
    assert language_of(hostile) is None
    huge = entry(summary_html="Ministers met again today to discuss the plan. " * 200_000)
    assert language_of(huge) == "en"
