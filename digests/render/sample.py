"""A made-up story with every field set: what ``Renderer.check`` tries each template on
at start-up, so that a broken template stops the start instead of every dispatch."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from digests.assemble import Story
from digests.models import Article


def sample_story(now: datetime) -> Story:
    """A made-up story with every field set, to try the templates on at start-up."""
    article = Article(
        id=1,
        feed_id=None,
        url="https://news.example/sample",
        title="Sample headline",
        summary="A sample summary, to check that every template renders.",
        source="Sample News",
        categories=("sample",),
        published_at=now,
        fetched_at=now,
        story_id=1,
        author="A. Writer",
        image_url="https://news.example/sample.jpg",
        word_count=400,
    )
    other = replace(article, id=2, url="https://other.example/sample", source="Other News")
    return Story(
        story_id=1,
        lead=article,
        articles=(article, other),
        categories=frozenset({"sample"}),
        newest_published=now,
        max_article_id=2,
        score=1.0,
    )
