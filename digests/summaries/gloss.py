"""A pool's stories as readers of one language see them: each with its ready model summary
(a ``Gloss``), the others unchanged. Pure; the dispatcher calls it once per language and
tick, so a story appears as one object in every digest of that language (the renderer
caches a story's rendering by object).

The model's text is untrusted: before it reaches a template it is cleaned as ingest
cleans article text (control, bidi and other invisible format characters, lone
surrogates and line breaks removed); the templates then escape it like article text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from digests.assemble import DigestPlan, Pool, Story
from digests.ingest.normalise import CONTROL_CHARS, TITLE_MAX
from digests.models import Gloss

# What ingest strips from article text (digests.ingest.normalise), plus lone surrogates
# (a JSON answer may carry "\ud800"; no platform accepts one) and NEL (U+0085). ZWNJ
# and ZWJ stay: Persian and Indic words and emoji sequences need them.
_UNSAFE = re.compile(f"[{CONTROL_CHARS}\x85\ud800-\udfff]")
# A summary is checked to 300 characters before it is stored; this only bounds what an
# older or hand-edited row could put in front of a reader.
SUMMARY_MAX = 600


def _is_clean(text: str) -> bool:
    """True when clean_text has nothing to change: the usual case, checked in C. Every
    character _UNSAFE matches is unprintable (a test checks it), and so are line breaks
    and tabs; only single spaces between words pass."""
    return (
        text.isprintable()
        and "  " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    )


def clean_text(text: str | None, limit: int) -> str:
    """Model text on one line, without invisible or unencodable characters, at most
    ``limit`` characters (cut with "…")."""
    if not text:
        return ""
    if len(text) <= limit and _is_clean(text):
        return text
    text = " ".join(_UNSAFE.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_gloss(gloss: Gloss) -> Gloss | None:
    """``gloss`` with its text cleaned (the same object when nothing changed); None when
    no summary is left, so the story keeps its sources' own."""
    summary = clean_text(gloss.summary, SUMMARY_MAX)
    if not summary:
        return None
    title = clean_text(gloss.title, TITLE_MAX) or None
    if summary == gloss.summary and title == gloss.title:
        return gloss
    return replace(gloss, summary=summary, title=title)


def _by_story(language: str, glosses: Mapping[tuple[int, str], Gloss]) -> dict[int, Gloss]:
    """The glosses for ``language``, by story id, cleaned (unusable ones left out)."""
    found: dict[int, Gloss] = {}
    for (story_id, gloss_language), gloss in glosses.items():
        if gloss_language == language:
            cleaned = clean_gloss(gloss)
            if cleaned is not None:
                found[story_id] = cleaned
    return found


def _with_gloss(story: Story, gloss: Gloss) -> Story:
    """A copy of ``story`` carrying ``gloss``. What ``dataclasses.replace`` does, without
    running ``__init__`` again: a dispatch copies thousands of stories per language, and
    the copy keeps the original's cached rank, sources and picture, which do not depend
    on the gloss."""
    copy = object.__new__(Story)
    copy.__dict__.update(story.__dict__)
    object.__setattr__(copy, "gloss", gloss)
    return copy


class _Glosser:
    """Copies each story that has a gloss once, and hands out that same copy wherever
    the story appears (it is in the tuple of each of its categories)."""

    def __init__(self, glosses: dict[int, Gloss]) -> None:
        self._glosses = glosses
        self._copies: dict[int, tuple[Story, Story]] = {}

    def story(self, story: Story) -> Story:
        gloss = self._glosses.get(story.story_id)
        if gloss is None:
            return story
        hit = self._copies.get(id(story))
        if hit is not None and hit[0] is story:
            return hit[1]
        copy = _with_gloss(story, gloss)
        self._copies[id(story)] = (story, copy)  # the original is kept: its id stays its own
        return copy

    def stories(self, stories: tuple[Story, ...]) -> tuple[Story, ...]:
        """The same tuple when none of its stories has a gloss."""
        if not any(s.story_id in self._glosses for s in stories):
            return stories
        return tuple(self.story(s) for s in stories)


def gloss_pool(pool: Pool, language: str, glosses: Mapping[tuple[int, str], Gloss]) -> Pool:
    """``pool`` with each story that has a gloss in ``language`` replaced by a copy
    carrying it (the same Pool when none has one)."""
    found = _by_story(language, glosses) if glosses else {}
    if not found:
        return pool
    glosser = _Glosser(found)
    by_category = {slug: glosser.stories(stories) for slug, stories in pool.by_category.items()}
    if all(by_category[slug] is stories for slug, stories in pool.by_category.items()):
        return pool
    return replace(pool, by_category=by_category)


def gloss_plan(
    plan: DigestPlan, language: str, glosses: Mapping[tuple[int, str], Gloss]
) -> DigestPlan:
    """``plan`` as a reader of ``language`` gets it (``digestbot preview``): each story
    with its gloss in that language (the same plan when none has one)."""
    found = _by_story(language, glosses) if glosses else {}
    if not found:
        return plan
    glosser = _Glosser(found)
    sections = tuple(replace(s, stories=glosser.stories(s.stories)) for s in plan.sections)
    if all(new.stories is old.stories for new, old in zip(sections, plan.sections, strict=True)):
        return plan
    return replace(plan, sections=sections)
