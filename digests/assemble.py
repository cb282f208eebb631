"""Digest assembly: which stories a subscriber gets now, ranked, capped and grouped.

Pure functions of the subscriber, the candidate articles and ``now``. ``build_pool`` does
the work shared by every subscriber once (grouping articles into stories and scoring them),
so that ``plan_digest`` per subscriber only walks a few short, pre-sorted lists.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache

from digests.models import Article, Category, Gloss, Subscriber
from digests.pictures import picture_url
from digests.settings import DigestLimits

RECENCY_HALF_LIFE_HOURS = 12.0
SOURCE_WEIGHT = 0.5
PRIORITY_WEIGHT = 0.25


@dataclass(frozen=True)
class Story:
    """One event as a digest shows it: a lead article and every source that reported it."""

    story_id: int
    lead: Article
    articles: tuple[Article, ...]
    categories: frozenset[str]
    newest_published: datetime
    max_article_id: int
    score: float
    # A model's summary for the reader's language, when one is ready
    # (``digests.summaries.gloss``); templates read ``title`` and ``summary`` below.
    gloss: Gloss | None = None

    @property
    def title(self) -> str:
        """The title readers see: the model's translation, else the lead article's."""
        if self.gloss is not None and self.gloss.title:
            return self.gloss.title
        return self.lead.title

    @property
    def summary(self) -> str:
        """The summary readers see: the model's, of all sources, else the lead's own."""
        return self.gloss.summary if self.gloss is not None else self.lead.summary

    @property
    def translated(self) -> bool:
        """True when ``title`` and ``summary`` were translated for the reader."""
        return self.gloss is not None and self.gloss.translated

    @property
    def language(self) -> str | None:
        """The language of the story's own text: its lead article's."""
        return self.lead.language

    @cached_property
    def rank(self) -> tuple[float, float, int]:
        """Sort key, best first: score, then the newest, then the story id for stability."""
        return (-self.score, -self.newest_published.timestamp(), self.story_id)

    @cached_property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """(source name, URL) of each distinct source, lead first."""
        seen: dict[str, str] = {}
        for article in self.articles:
            seen.setdefault(article.source, article.url)
        return tuple(seen.items())

    @property
    def word_count(self) -> int:
        return self.lead.word_count

    @cached_property
    def picture(self) -> str | None:
        """The story's picture: its lead article's, else the first of its other sources'
        that has one (checked again: a row stored by an older version may hold any)."""
        for article in (self.lead, *self.articles):
            url = picture_url(article.image_url)
            if url is not None:
                return url
        return None


@dataclass(frozen=True)
class Section:
    category: Category
    stories: tuple[Story, ...]


@dataclass(frozen=True)
class DigestPlan:
    """What one subscriber receives now. ``cursor`` is where their next digest starts."""

    subscriber_id: int
    sections: tuple[Section, ...]
    generated_at: datetime
    cursor: int

    @property
    def story_ids(self) -> tuple[int, ...]:
        return tuple(s.story_id for section in self.sections for s in section.stories)

    @property
    def is_empty(self) -> bool:
        return not self.sections

    @property
    def key(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """Identifies the content, so identical digests can share one rendering."""
        return tuple(
            (sec.category.slug, tuple(s.story_id for s in sec.stories)) for sec in self.sections
        )


@dataclass(frozen=True)
class Pool:
    """Candidate stories for one instant, sorted best first within each category."""

    now: datetime
    by_category: dict[str, tuple[Story, ...]]
    categories: dict[str, Category]
    max_article_id: int


def score_story(articles: Sequence[Article], newest: datetime, now: datetime) -> float:
    """Rank by recency (halving every 12 h), number of sources and feed priority."""
    age_hours = max(0.0, (now - newest).total_seconds() / 3600)
    sources = len({a.source for a in articles})
    priority = max(a.priority for a in articles)
    return (
        (1 + SOURCE_WEIGHT * (sources - 1))
        * (1 + PRIORITY_WEIGHT * priority)
        * 0.5 ** (age_hours / RECENCY_HALF_LIFE_HOURS)
    )


def make_story(articles: Sequence[Article], now: datetime) -> Story:
    """One story from its articles: the lead is the highest-priority source's first report."""
    members = sorted(articles, key=lambda a: (-a.priority, a.published_at, a.id))
    newest = max(a.published_at for a in members)
    return Story(
        story_id=members[0].story_id,
        lead=members[0],
        articles=tuple(members),
        categories=frozenset(c for a in members for c in a.categories),
        newest_published=newest,
        max_article_id=max(a.id for a in members),
        score=score_story(members, newest, now),
    )


def build_pool(
    articles: Iterable[Article],
    categories: Sequence[Category],
    *,
    now: datetime,
    limits: DigestLimits,
    unclustered_from: int | None = None,
) -> Pool:
    """Group candidate articles into stories, drop stale ones, score and sort them.

    ``unclustered_from`` is the lowest id of an article stored but not yet grouped into a
    story (ingest groups a poll's articles at its end): cursors stop short of it, so such
    an article is not skipped by a digest planned in between.
    """
    by_story: dict[int, list[Article]] = defaultdict(list)
    max_id = 0
    cutoff = now - limits.max_age
    for article in articles:
        max_id = max(max_id, article.id)
        if article.published_at >= cutoff:
            by_story[article.story_id].append(article)
    by_category: dict[str, list[Story]] = defaultdict(list)
    for members in by_story.values():
        story = make_story(members, now)
        for category in story.categories:
            by_category[category].append(story)
    order = {c.slug: c for c in categories}
    return Pool(
        now=now,
        by_category={
            slug: tuple(sorted(stories, key=_rank_key)) for slug, stories in by_category.items()
        },
        categories=order,
        max_article_id=max_id if unclustered_from is None else min(max_id, unclustered_from - 1),
    )


def _rank_key(story: Story) -> tuple[float, float, int]:
    return story.rank


@lru_cache(maxsize=4096)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(k.casefold()) for k in keywords)
    return re.compile(rf"(?<!\w)(?:{alternatives})")


def matches_keywords(story: Story, keywords: Sequence[str]) -> bool:
    """True when any keyword starts a word in any source's title or summary (no keywords:
    everything matches). Case-insensitive."""
    if not keywords:
        return True
    pattern = _keyword_pattern(tuple(keywords))
    return any(
        pattern.search(a.title.casefold()) or pattern.search(a.summary.casefold())
        for a in story.articles
    )


def plan_digest(
    subscriber: Subscriber,
    pool: Pool,
    *,
    sent_story_ids: frozenset[int] | set[int] = frozenset(),
    limits: DigestLimits,
) -> DigestPlan:
    """The digest ``subscriber`` should receive at ``pool.now``.

    A story qualifies when it is in one of their categories, reached the store after their
    cursor (or, for a first digest, was published within the look-back), was not sent to
    them before and matches that subscription's keywords. The best ``per_category`` of each
    category compete for ``overall`` places; sections follow the category order.
    """
    now = pool.now
    cursor = subscriber.cursor_article_id
    since = now - limits.first_lookback
    chosen: list[tuple[Story, str]] = []
    taken: set[int] = set()
    # Walk categories in their display order, so a story filed under two of them lands
    # in the first one however the subscriber's list happens to be ordered.
    subscriptions = sorted(
        (s for s in subscriber.subscriptions if s.category in pool.categories),
        key=lambda s: (pool.categories[s.category].position, s.category),
    )
    for subscription in subscriptions:
        count = 0
        for story in pool.by_category.get(subscription.category, ()):
            if count >= limits.per_category:
                break
            if story.story_id in taken or story.story_id in sent_story_ids:
                continue
            fresh = (
                story.max_article_id > cursor
                if cursor is not None
                else (story.newest_published >= since)
            )
            if not fresh or not matches_keywords(story, subscription.keywords):
                continue
            chosen.append((story, subscription.category))
            taken.add(story.story_id)
            count += 1
    chosen.sort(key=lambda pair: pair[0].rank)
    kept = chosen[: limits.overall]
    grouped: dict[str, list[Story]] = defaultdict(list)
    for story, category in kept:
        grouped[category].append(story)
    sections = tuple(
        Section(pool.categories[s.category], tuple(grouped[s.category]))
        for s in subscriptions
        if s.category in grouped
    )
    return DigestPlan(
        subscriber_id=subscriber.id,
        sections=sections,
        generated_at=now,
        cursor=max(pool.max_article_id, cursor or 0),
    )
