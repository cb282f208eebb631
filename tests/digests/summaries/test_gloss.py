"""gloss_pool and gloss_plan: a story with a model summary for the language becomes one
new object wherever it appears; everything else, and a pool without glosses, is left as
it is; the model's text is cleaned on the way."""

from __future__ import annotations

from dataclasses import replace

import pytest

from digests.assemble import Pool, build_pool, plan_digest
from digests.models import Gloss
from digests.settings import DigestLimits
from digests.summaries.gloss import _UNSAFE, clean_gloss, clean_text, gloss_plan, gloss_pool
from tests.conftest import CATEGORIES, NOW, ArticleFactory, make_subscriber

LIMITS = DigestLimits()


@pytest.fixture
def pool(make_article: ArticleFactory) -> Pool:
    # Story 1 is filed under two categories; story 2 under one; story 3 under markets only.
    articles = [
        make_article(story_id=1, categories=("ai-frontier", "climate")),
        make_article(story_id=1, categories=("ai-frontier",), source="Other"),
        make_article(story_id=2, categories=("climate",)),
        make_article(story_id=3, categories=("markets",)),
    ]
    return build_pool(articles, CATEGORIES, now=NOW, limits=LIMITS)


def vi(story_id: int, **fields: object) -> dict[tuple[int, str], Gloss]:
    values: dict[str, object] = {"summary": f"Tóm tắt {story_id}.", "title": f"Tin {story_id}"}
    values.update(fields)
    return {(story_id, "vi"): Gloss(story_id, "vi", translated=True, **values)}  # type: ignore[arg-type]


def stories_with_id(pool: Pool, story_id: int) -> list[object]:
    return [s for stories in pool.by_category.values() for s in stories if s.story_id == story_id]


def test_a_glossed_story_is_one_new_object_in_every_category(pool: Pool) -> None:
    glossed = gloss_pool(pool, "vi", vi(1))
    assert glossed is not pool
    first, second = stories_with_id(glossed, 1)
    assert first is second  # the renderer caches by object: one copy, shared
    assert first is not stories_with_id(pool, 1)[0]
    assert first.gloss == vi(1)[(1, "vi")]  # type: ignore[attr-defined]
    assert first.title == "Tin 1" and first.summary == "Tóm tắt 1." and first.translated  # type: ignore[attr-defined]
    # The original pool is untouched: other languages' readers still see the sources.
    (original, _) = stories_with_id(pool, 1)
    assert original.gloss is None  # type: ignore[attr-defined]


def test_untouched_categories_keep_their_tuples(pool: Pool) -> None:
    glossed = gloss_pool(pool, "vi", vi(1))
    assert glossed.by_category["markets"] is pool.by_category["markets"]
    climate = glossed.by_category["climate"]
    assert [s.story_id for s in climate] == [s.story_id for s in pool.by_category["climate"]]
    (two,) = stories_with_id(glossed, 2)
    assert two is stories_with_id(pool, 2)[0]  # a story without a gloss is not copied
    assert glossed.categories is pool.categories and glossed.now == pool.now
    assert glossed.max_article_id == pool.max_article_id


@pytest.mark.parametrize(
    "glosses",
    [
        {},
        {(1, "en"): Gloss(1, "en", "An English summary.")},  # another language's
        {(99, "vi"): Gloss(99, "vi", "A story not in the pool.")},
        {(1, "vi"): Gloss(1, "vi", "\u202e\x00 \n")},  # nothing left once cleaned
    ],
)
def test_the_same_pool_when_no_story_has_a_usable_gloss(
    pool: Pool, glosses: dict[tuple[int, str], Gloss]
) -> None:
    assert gloss_pool(pool, "vi", glosses) is pool


def test_one_call_per_language_gives_each_its_own_summaries(pool: Pool) -> None:
    glosses = {**vi(1), (1, "en"): Gloss(1, "en", "One summary of both sources.")}
    (vi_story, _) = stories_with_id(gloss_pool(pool, "vi", glosses), 1)
    (en_story, _) = stories_with_id(gloss_pool(pool, "en", glosses), 1)
    assert vi_story.summary == "Tóm tắt 1." and vi_story.translated  # type: ignore[attr-defined]
    assert en_story.summary == "One summary of both sources."  # type: ignore[attr-defined]
    assert en_story.title == en_story.lead.title and not en_story.translated  # type: ignore[attr-defined]


def test_the_plan_made_from_a_glossed_pool_carries_the_copies(pool: Pool) -> None:
    glossed = gloss_pool(pool, "vi", vi(1))
    plan = plan_digest(make_subscriber("ai-frontier", "climate"), glossed, limits=LIMITS)
    shown = {s.story_id: s for section in plan.sections for s in section.stories}
    assert shown[1] is stories_with_id(glossed, 1)[0] and shown[2].gloss is None


def test_gloss_plan_glosses_a_plan_as_the_pool_would(pool: Pool) -> None:
    plan = plan_digest(make_subscriber("ai-frontier", "climate"), pool, limits=LIMITS)
    assert gloss_plan(plan, "vi", {}) is plan
    assert gloss_plan(plan, "vi", {(1, "en"): Gloss(1, "en", "x")}) is plan
    glossed = gloss_plan(plan, "vi", vi(1) | vi(2))
    assert glossed.story_ids == plan.story_ids and glossed.cursor == plan.cursor
    assert {s.title for sec in glossed.sections for s in sec.stories} == {"Tin 1", "Tin 2"}
    assert all(s.gloss is None for sec in plan.sections for s in sec.stories)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Tin\u202e gnol \u2066ok\u2069", "Tin gnol ok"),  # bidi overrides and isolates
        ("nul\x00 and\x1b[31m escape", "nul and[31m escape"),
        ("lone \ud800 surrogate \udfff", "lone surrogate"),
        ("two\nlines\r\n\u2028here", "two lines here"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("Persian نمی\u200cخواهم and 👩\u200d💻", "Persian نمی\u200cخواهم and 👩\u200d💻"),
        (None, ""),
    ],
)
def test_model_text_is_cleaned_like_article_text(raw: str | None, cleaned: str) -> None:
    assert clean_text(raw, 300) == cleaned


def test_cleaning_bounds_length_and_keeps_a_clean_gloss_as_it_is() -> None:
    clean = Gloss(1, "vi", "Tóm tắt.", title="Tin")
    assert clean_gloss(clean) is clean
    long = clean_gloss(Gloss(1, "vi", "x" * 5_000, title="y" * 5_000))
    assert long is not None and len(long.summary) <= 600 and long.summary.endswith("…")
    assert long.title is not None and len(long.title) <= 300
    untitled = clean_gloss(Gloss(1, "vi", "Tóm tắt.", title="\u202e\x00"))
    assert untitled is not None and untitled.title is None


def unsafe_characters() -> list[str]:
    """Every character of _UNSAFE's one character class, its ranges walked."""
    body, found, index = _UNSAFE.pattern[1:-1], [], 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            found += [chr(c) for c in range(ord(body[index]), ord(body[index + 2]) + 1)]
            index += 3
        else:
            found.append(body[index])
            index += 1
    return found


def test_the_quick_check_lets_no_unsafe_character_through() -> None:
    # clean_text keeps text that passes str.isprintable() as it is, unread by _UNSAFE.
    characters = unsafe_characters()
    assert "\u202e" in characters and "\ud800" in characters and len(characters) > 300
    assert [hex(ord(c)) for c in characters if c.isprintable()] == []
    for text in ("a\tb", "a\u00a0b", "a  b", " a", "a "):
        assert clean_text(text, 300) == " ".join(text.split())


def test_a_glossed_copy_equals_what_dataclasses_replace_makes(pool: Pool) -> None:
    story = pool.by_category["ai-frontier"][0]
    assert story.rank and story.sources  # cached on the original
    (copy, _) = stories_with_id(gloss_pool(pool, "vi", vi(1)), 1)
    assert copy == replace(story, gloss=copy.gloss)  # type: ignore[attr-defined]
    assert copy.rank == story.rank and copy.sources == story.sources  # type: ignore[attr-defined]
    assert story.gloss is None and copy != story
