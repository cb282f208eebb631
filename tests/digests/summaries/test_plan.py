"""Which (story, language) pairs the model is called for: a table per rule, and the
"text changes at every poll" case that cost peers about 37 million tokens a day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digests.assemble import Story
from digests.models import SummaryState
from digests.summaries.inputs import SummaryInput
from digests.summaries.plan import (
    JOINED,
    MAX_ATTEMPTS,
    NEW,
    REFRESH,
    REFRESHED,
    RETRIED,
    RETRY,
    call_reason,
    plan_jobs,
    story_languages,
)
from tests.digests.summaries.stories import article, story

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def make(ids: tuple[int, ...] = (1, 2), digest: str = "h1", language: str = "vi") -> SummaryInput:
    return SummaryInput(
        story_id=7,
        language=language,
        source_language="en",
        articles=(("Reuters", "T", "S"),),
        article_ids=ids,
        input_hash=digest,
    )


def state(
    ids: tuple[int, ...] = (1, 2),
    digest: str = "h1",
    status: str = "ready",
    attempts: int = 1,
    age: timedelta = timedelta(minutes=1),
) -> SummaryState:
    return SummaryState(7, "vi", digest, ids, status, attempts, NOW - age)


@pytest.mark.parametrize(
    ("summary_input", "stored", "expected"),
    [
        pytest.param(make(), None, NEW, id="nothing stored"),
        pytest.param(make(), state(), None, id="unchanged and ready"),
        pytest.param(make(), state(age=timedelta(days=2)), None, id="unchanged, old: no call"),
        pytest.param(make((1, 2, 3), "h2"), state(), JOINED, id="an article joined"),
        pytest.param(make((3,), "h2"), state(), JOINED, id="replaced by another article"),
        pytest.param(make((1, 2), "h2"), state(), None, id="text changed, recent"),
        pytest.param(make((1,), "h2"), state(), None, id="an article left, recent"),
        pytest.param(
            make((1, 2), "h2"), state(age=REFRESH - timedelta(seconds=1)), None, id="just short"
        ),
        pytest.param(make((1, 2), "h2"), state(age=REFRESH), REFRESHED, id="changed, 6 h old"),
        pytest.param(
            make(),
            state(status="failed", attempts=1, age=RETRY),
            RETRIED,
            id="failed once, 30 min ago",
        ),
        pytest.param(
            make(),
            state(status="failed", attempts=1, age=RETRY - timedelta(seconds=1)),
            None,
            id="failed once, too recent",
        ),
        pytest.param(
            make(),
            state(status="failed", attempts=MAX_ATTEMPTS, age=timedelta(days=1)),
            None,
            id="failed twice: given up",
        ),
        pytest.param(
            make((1, 2, 3), "h2"),
            state(status="failed", attempts=MAX_ATTEMPTS),
            JOINED,
            id="given up, then a source joined",
        ),
        pytest.param(
            make((1, 2), "h2"),
            state(status="failed", attempts=MAX_ATTEMPTS, age=REFRESH),
            REFRESHED,
            id="given up, text changed 6 h later",
        ),
    ],
)
def test_call_reason(
    summary_input: SummaryInput, stored: SummaryState | None, expected: str | None
) -> None:
    assert call_reason(summary_input, stored, NOW) == expected


def test_text_changing_at_every_poll_costs_one_call_per_refresh_period() -> None:
    """A feed rewriting its text every 5 minutes for a day: 4 calls (one per 6 h), not 288."""
    stored: SummaryState | None = None
    calls = 0
    for poll in range(288):
        at = NOW + timedelta(minutes=5 * poll)
        current = make((1, 2), f"hash-{poll}")
        if call_reason(current, stored, at):
            calls += 1
            stored = SummaryState(7, "vi", current.input_hash, (1, 2), "ready", 1, at)
    assert calls == 4


def tech(story_id: int, sources: int = 1, newer: timedelta = timedelta(0), cats=("tech",)) -> Story:
    articles = [article(story_id * 10 + n, source=f"S{n}") for n in range(sources)]
    base = story(*articles, story_id=story_id)
    return replace(base, categories=frozenset(cats), newest_published=base.newest_published + newer)


def fake_input(s: Story, language: str) -> SummaryInput:
    return SummaryInput(
        story_id=s.story_id,
        language=language,
        source_language="en",
        articles=(),
        article_ids=tuple(a.id for a in s.articles),
        input_hash=f"{s.story_id}-{len(s.articles)}",
    )


LANGS = {"tech": frozenset({"en", "vi"}), "sport": frozenset({"de"}), "empty": frozenset()}


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        (("tech",), ["en", "vi"]),
        (("tech", "sport"), ["de", "en", "vi"]),
        (("empty",), []),
        (("nobody",), []),
    ],
)
def test_story_languages(categories: tuple[str, ...], expected: list[str]) -> None:
    assert story_languages(tech(1, cats=categories), LANGS) == expected


def pairs(jobs: list[SummaryInput]) -> list[tuple[int, str]]:
    return [(job.story_id, job.language) for job in jobs]


def test_one_job_per_story_and_language_newest_and_most_sourced_first() -> None:
    stories = [
        tech(1, newer=timedelta(hours=-2)),
        tech(2, sources=3),
        tech(3, sources=1),
        tech(2, sources=3),  # listed again under another category: one job
    ]
    jobs = plan_jobs(stories, LANGS, {}, NOW, make_input=fake_input)
    assert pairs(jobs) == [(2, "en"), (2, "vi"), (3, "en"), (3, "vi"), (1, "en"), (1, "vi")]


def test_stored_pairs_are_left_and_the_cap_holds() -> None:
    stories = [tech(n) for n in range(1, 6)]
    ready = {
        (1, "en"): SummaryState(1, "en", "1-1", (10,), "ready", 1, NOW),
        (2, "vi"): SummaryState(2, "vi", "2-1", (20,), "ready", 1, NOW),
    }
    jobs = plan_jobs(stories, LANGS, ready, NOW, make_input=fake_input)
    assert (1, "en") not in pairs(jobs) and (2, "vi") not in pairs(jobs)
    assert len(jobs) == 8
    assert len(plan_jobs(stories, LANGS, ready, NOW, limit=3, make_input=fake_input)) == 3


def test_a_story_whose_input_cannot_be_made_is_left_out() -> None:
    def picky(s: Story, language: str) -> SummaryInput | None:
        return None if s.story_id == 1 else fake_input(s, language)

    jobs = plan_jobs([tech(1), tech(2)], LANGS, {}, NOW, make_input=picky)
    assert pairs(jobs) == [(2, "en"), (2, "vi")]


def test_the_real_input_is_planned_once_then_not_again() -> None:
    stories = [tech(1, sources=2)]
    jobs = plan_jobs(stories, {"tech": frozenset({"vi"})}, {}, NOW)
    assert pairs(jobs) == [(1, "vi")]
    job = jobs[0]
    stored = {(1, "vi"): SummaryState(1, "vi", job.input_hash, job.article_ids, "ready", 1, NOW)}
    assert plan_jobs(stories, {"tech": frozenset({"vi"})}, stored, NOW) == []
