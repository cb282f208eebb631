"""Made-up stories with every field set: what ``Renderer.check`` tries each template on
at start-up, so that a broken template stops the start instead of every dispatch.

The sample story carries a translated model summary (a ``Gloss``) as a story in another
language than its reader's does, so a template that fails on one stops the start too;
``sample_stories`` also gives the story without one, as a reader sees it when no model
summary is ready.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from digests.assemble import Story
from digests.models import Article, Gloss


def sample_stories(now: datetime) -> tuple[Story, Story]:
    """The sample story as the sources wrote it, and with a translated model summary."""
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
        language="en",
    )
    other = replace(article, id=2, url="https://other.example/sample", source="Other News")
    plain = Story(
        story_id=1,
        lead=article,
        articles=(article, other),
        categories=frozenset({"sample"}),
        newest_published=now,
        max_article_id=2,
        score=1.0,
    )
    gloss = Gloss(
        story_id=1,
        language="xx",
        title="Sample headline, translated",
        summary="A model's summary of both sources, translated, to check every template.",
        translated=True,
    )
    return plain, replace(plain, gloss=gloss)


def sample_story(now: datetime) -> Story:
    """The sample story with a translated model summary, to try the templates on."""
    return sample_stories(now)[1]
