"""Small builders of stories and summary inputs for the summaries tests."""

from __future__ import annotations

from datetime import UTC, datetime

from digests.assemble import Story
from digests.models import Article
from digests.summaries.inputs import SummaryInput, story_input

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def article(
    article_id: int,
    source: str = "Reuters",
    title: str = "Apple unveils a new iPhone",
    summary: str = "Apple unveiled a new iPhone with a better camera on Monday.",
    language: str | None = "en",
) -> Article:
    return Article(
        id=article_id,
        feed_id=1,
        url=f"https://news.example/{article_id}",
        title=title,
        summary=summary,
        source=source,
        categories=("tech",),
        published_at=AT,
        fetched_at=AT,
        story_id=1,
        language=language,
    )


def story(*articles: Article, story_id: int = 1) -> Story:
    """A story whose lead is the first article."""
    return Story(
        story_id=story_id,
        lead=articles[0],
        articles=tuple(articles),
        categories=frozenset({"tech"}),
        newest_published=AT,
        max_article_id=max(a.id for a in articles),
        score=1.0,
    )


def summary_input(
    language: str = "en", source_language: str = "en", dropped: tuple[str, ...] = ()
) -> SummaryInput:
    """An input for the checks, without going through a story."""
    return SummaryInput(
        story_id=1,
        language=language,
        source_language=source_language,
        articles=(("Reuters", "Apple unveils a new iPhone", "Apple unveiled a new iPhone."),),
        article_ids=(1,),
        input_hash="0" * 64,
        dropped=dropped,
    )


def input_of(*articles: Article, language: str = "en") -> SummaryInput:
    return story_input(story(*articles), language)
