"""Which (story, language) pairs need a model call in this pass. Pure.

A call costs tokens, so the rule is strict: one call per story and language when it is new,
one more each time an article joins it, and nothing for an input that merely changed its
wording. A feed that rewrites an article's text at every poll changes the input's hash at
every poll; calling again for that (as peers did, about 37 million tokens a day) is what
``REFRESH`` prevents: such a change is picked up at most once per ``REFRESH``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from digests.assemble import Story
from digests.models import SummaryState
from digests.summaries.inputs import SummaryInput, story_input

# The same articles with changed text: summarised again at most this often.
REFRESH = timedelta(hours=6)
# A refused answer (checked and failed) is asked again once, this long after.
RETRY = timedelta(minutes=30)
# Model answers per input (its hash) before it is left to the sources' own summaries.
MAX_ATTEMPTS = 2
# Jobs per pass: a pass runs every minute, so a burst of stories spreads over a few.
MAX_JOBS = 120

# Why a pair is called (for logs and tests).
NEW = "new"
JOINED = "joined"
REFRESHED = "refresh"
RETRIED = "retry"


def call_reason(
    summary_input: SummaryInput, state: SummaryState | None, now: datetime
) -> str | None:
    """Why the model should be called for this input given what is stored; None: not now."""
    if state is None:
        return NEW
    age = now - state.updated_at
    if state.input_hash == summary_input.input_hash:
        if state.status == "failed" and state.attempts < MAX_ATTEMPTS and age >= RETRY:
            return RETRIED
        return None
    if not set(summary_input.article_ids) <= set(state.article_ids):
        return JOINED  # a new source's report: worth a call at once
    return REFRESHED if age >= REFRESH else None


def story_languages(story: Story, languages_by_category: Mapping[str, frozenset[str]]) -> list[str]:
    """The languages some reader of the story's categories reads, sorted."""
    found: set[str] = set()
    for category in story.categories:
        found |= languages_by_category.get(category, frozenset())
    return sorted(found)


def priority(story: Story) -> tuple[float, int, int]:
    """Sort key, first served first: the newest, then the one with most sources."""
    return (-story.newest_published.timestamp(), -len(story.sources), story.story_id)


def plan_jobs(
    stories: Iterable[Story],
    languages_by_category: Mapping[str, frozenset[str]],
    states: Mapping[tuple[int, str], SummaryState],
    now: datetime,
    *,
    limit: int = MAX_JOBS,
    make_input: Callable[[Story, str], SummaryInput | None] = story_input,
) -> list[SummaryInput]:
    """The inputs to send to the model in this pass, at most ``limit``, newest and
    most-sourced stories first. A story listed twice (it is in two categories) counts once;
    one whose input cannot be made (``make_input`` gives None) is left out."""
    unique = {story.story_id: story for story in stories}
    jobs: list[SummaryInput] = []
    for story in sorted(unique.values(), key=priority):
        for language in story_languages(story, languages_by_category):
            summary_input = make_input(story, language)
            if summary_input is None:
                continue
            if call_reason(summary_input, states.get((story.story_id, language)), now):
                jobs.append(summary_input)
                if len(jobs) >= limit:
                    return jobs
    return jobs
