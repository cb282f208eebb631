"""Digest assembly as tables of cases: cursor, look-back, sent stories, filters, ranking,
caps and grouping. Pure functions, fixed ``now``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.assemble import build_pool, matches_keywords, plan_digest, score_story
from digests.models import Article, Subscription
from digests.settings import DigestLimits
from tests.conftest import CATEGORIES, NOW, ArticleFactory, make_subscriber

LIMITS = DigestLimits()


def plan(articles: list[Article], subscriber=None, sent=frozenset(), limits=LIMITS):  # type: ignore[no-untyped-def]
    pool = build_pool(articles, CATEGORIES, now=NOW, limits=limits)
    return plan_digest(
        subscriber or make_subscriber("ai-frontier"), pool, sent_story_ids=sent, limits=limits
    )


def test_first_digest_looks_back_24_hours(make_article: ArticleFactory) -> None:
    fresh = make_article(published_at=NOW - timedelta(hours=23))
    old = make_article(published_at=NOW - timedelta(hours=25))
    result = plan([fresh, old])
    assert result.story_ids == (fresh.story_id,)
    assert result.cursor == old.id  # the next digest starts after everything seen now


def test_cursor_catches_a_story_fetched_late(make_article: ArticleFactory) -> None:
    # Published 30 h ago but entered the store after the last digest: it is news to them.
    before = make_article(published_at=NOW - timedelta(hours=2))
    late = make_article(published_at=NOW - timedelta(hours=30))
    subscriber = make_subscriber("ai-frontier", cursor_article_id=before.id)
    assert plan([before, late], subscriber).story_ids == (late.story_id,)


def test_stale_articles_never_appear(make_article: ArticleFactory) -> None:
    ancient = make_article(published_at=NOW - timedelta(days=30))
    subscriber = make_subscriber("ai-frontier", cursor_article_id=0)
    assert plan([ancient], subscriber).is_empty


def test_story_gets_in_when_a_new_source_reports_it(make_article: ArticleFactory) -> None:
    first = make_article(story_id=50, source="A")
    second = make_article(story_id=50, source="B")
    subscriber = make_subscriber("ai-frontier", cursor_article_id=first.id)
    result = plan([first, second], subscriber)
    (story,) = result.sections[0].stories
    assert [name for name, _ in story.sources] == ["A", "B"]


def test_already_sent_stories_are_left_out(make_article: ArticleFactory) -> None:
    a, b = make_article(), make_article()
    assert plan([a, b], sent={a.story_id}).story_ids == (b.story_id,)


def test_other_categories_are_left_out(make_article: ArticleFactory) -> None:
    mine = make_article(categories=("climate",))
    other = make_article(categories=("markets",))
    assert plan([mine, other], make_subscriber("climate")).story_ids == (mine.story_id,)


def test_keyword_filter(make_article: ArticleFactory) -> None:
    solar = make_article(title="Solar beats gas", categories=("climate",))
    wind = make_article(
        title="Offshore wind auction", summary="Nothing about the sun.", categories=("climate",)
    )
    keyword = make_article(title="Markets rally", categories=("markets",))
    subscriber = make_subscriber(
        subscriptions=(Subscription("climate", ("SOLAR", "hydro")), Subscription("markets")),
    )
    assert set(plan([solar, wind, keyword], subscriber).story_ids) == {
        solar.story_id,
        keyword.story_id,
    }


@pytest.mark.parametrize(
    ("keywords", "text", "expected"),
    [
        (("ai",), "The AI boom", True),
        (("ai",), "A fair trial", False),  # a keyword starts a word, not inside one
        (("điện",), "Giá điện tăng", True),
        (("c++",), "Why C++ still matters", True),
        ((), "anything", True),
    ],
)
def test_matches_keywords(
    make_article: ArticleFactory, keywords: tuple[str, ...], text: str, expected: bool
) -> None:
    pool = build_pool([make_article(title=text)], CATEGORIES, now=NOW, limits=LIMITS)
    (story,) = pool.by_category["ai-frontier"]
    assert matches_keywords(story, keywords) is expected


def test_ranking_prefers_more_sources_priority_and_recency(
    make_article: ArticleFactory,
) -> None:
    older = NOW - timedelta(hours=6)
    single = make_article(published_at=older)
    covered = [make_article(story_id=90, source=s, published_at=older) for s in "ABC"]
    priority = make_article(published_at=older, priority=4)
    recent = make_article(published_at=NOW - timedelta(minutes=5))
    order = plan([single, *covered, priority, recent]).story_ids
    assert order.index(90) < order.index(single.story_id)
    assert order.index(priority.story_id) < order.index(single.story_id)
    assert order.index(recent.story_id) < order.index(single.story_id)


def test_score_halves_every_twelve_hours(make_article: ArticleFactory) -> None:
    a = make_article(published_at=NOW)
    assert score_story([a], NOW - timedelta(hours=12), NOW) == pytest.approx(0.5)
    assert score_story([a], NOW, NOW) == pytest.approx(1.0)


def test_caps_per_category_and_overall(make_article: ArticleFactory) -> None:
    articles = [
        make_article(categories=(c,), published_at=NOW - timedelta(minutes=i))
        for c in ("ai-frontier", "climate", "markets")
        for i in range(8)
    ]
    subscriber = make_subscriber("ai-frontier", "climate", "markets")
    result = plan(articles, subscriber, limits=DigestLimits(per_category=3, overall=7))
    assert len(result.story_ids) == 7
    assert all(len(s.stories) <= 3 for s in result.sections)


def test_sections_follow_category_order_and_a_story_appears_once(
    make_article: ArticleFactory,
) -> None:
    both = make_article(categories=("markets", "ai-frontier"))
    markets = make_article(categories=("markets",))
    climate = make_article(categories=("climate",))
    subscriber = make_subscriber("markets", "climate", "ai-frontier")
    result = plan([both, markets, climate], subscriber)
    assert [s.category.slug for s in result.sections] == ["ai-frontier", "climate", "markets"]
    assert sorted(result.story_ids) == sorted({both.story_id, markets.story_id, climate.story_id})


def test_lead_is_the_priority_source_first_report(make_article: ArticleFactory) -> None:
    late_priority = make_article(
        story_id=5, source="Wire", priority=2, published_at=NOW - timedelta(hours=1)
    )
    early = make_article(story_id=5, source="Blog", published_at=NOW - timedelta(hours=3))
    (story,) = plan([early, late_priority]).sections[0].stories
    assert story.lead.source == "Wire"
    assert story.newest_published == late_priority.published_at


def test_identical_subscribers_get_identical_plan_keys(make_article: ArticleFactory) -> None:
    articles = [make_article() for _ in range(4)]
    one = plan(articles, make_subscriber("ai-frontier", id=1))
    two = plan(articles, make_subscriber("ai-frontier", id=2))
    assert one.key == two.key and one.subscriber_id != two.subscriber_id


def test_empty_when_nothing_qualifies() -> None:
    result = plan([])
    assert result.is_empty and result.story_ids == () and result.cursor == 0


def test_cursor_stops_before_an_article_not_yet_in_a_story(make_article: ArticleFactory) -> None:
    # Articles 1-3 are grouped; article 2 was stored by a poll still under way and is not
    # a candidate yet. The next digest must start at 2, not skip it.
    grouped = [make_article(), make_article(), make_article()]
    pool = build_pool(
        [grouped[0], grouped[2]], CATEGORIES, now=NOW, limits=LIMITS, unclustered_from=2
    )
    result = plan_digest(make_subscriber("ai-frontier"), pool, limits=LIMITS)
    assert result.cursor == 1
    assert set(result.story_ids) == {grouped[0].story_id, grouped[2].story_id}
