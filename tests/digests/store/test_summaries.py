"""SummaryStore on both engines: save_summary's upsert (attempts per input hash, a failed
attempt keeps a shown summary, a deleted story ignored), glosses and states read in
chunks, the languages of each category's readers, and the model's daily counters (two
tasks or two processes adding at once lose nothing)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from digests.dburl import PostgresUrl
from digests.ingest.stories import store_and_group
from digests.models import Category, Gloss, NewArticle, SummaryRecord
from digests.store import Store
from digests.store._summaries import USAGE_NAME_LENGTH
from tests.conftest import CATEGORIES, NOW
from tests.digests.store.shared_db import ENGINES, target_for, two_stores

DAY = date(2026, 11, 27)


async def new_stories(store: Store, count: int) -> list[int]:
    """``count`` stories without articles (summaries only need the story row)."""
    async with store._transaction() as db:
        first = await store._next_id(db, "stories")
        ids = list(range(first, first + count))
        at = NOW.isoformat()
        await db.executemany(
            "INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
            [(i, f"story {i}", at, at) for i in ids],
        )
    return ids


def ready(story_id: int, language: str = "vi", **changes: object) -> SummaryRecord:
    record = SummaryRecord(
        story_id=story_id,
        language=language,
        input_hash="h1",
        article_ids=(1, 2),
        status="ready",
        at=NOW,
        summary=f"Tóm tắt {story_id}.",
        title=f"Tiêu đề {story_id}",
        translated=True,
        model="m",
        prompt_tokens=100,
        completion_tokens=20,
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def failed(story_id: int, language: str = "vi", **changes: object) -> SummaryRecord:
    record = SummaryRecord(
        story_id, language, "h1", (1, 2), "failed", NOW + timedelta(minutes=5), reason="length"
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


async def test_a_ready_summary_is_a_gloss_and_a_state(store: Store) -> None:
    (story,) = await new_stories(store, 1)
    await store.save_summary(ready(story))
    assert await store.glosses([story]) == {
        (story, "vi"): Gloss(story, "vi", f"Tóm tắt {story}.", f"Tiêu đề {story}", True)
    }
    state = (await store.summary_states([story]))[(story, "vi")]
    assert (state.input_hash, state.article_ids, state.status, state.attempts) == (
        "h1",
        (1, 2),
        "ready",
        1,
    )
    assert state.updated_at == NOW


async def test_attempts_count_per_input_hash(store: Store) -> None:
    (story,) = await new_stories(store, 1)

    async def attempts() -> int:
        return (await store.summary_states([story]))[(story, "vi")].attempts

    await store.save_summary(failed(story))
    await store.save_summary(failed(story))
    assert await attempts() == 2
    await store.save_summary(ready(story))  # the same input: a third call
    assert await attempts() == 3
    await store.save_summary(failed(story, input_hash="h2", article_ids=(1, 2, 3)))
    state = (await store.summary_states([story]))[(story, "vi")]
    assert (state.attempts, state.input_hash, state.article_ids) == (1, "h2", (1, 2, 3))


async def test_a_failed_attempt_keeps_the_summary_already_shown(store: Store) -> None:
    (story,) = await new_stories(store, 1)
    await store.save_summary(ready(story))
    await store.save_summary(failed(story, input_hash="h2", reason="wrong_language"))
    state = (await store.summary_states([story]))[(story, "vi")]
    assert (state.status, state.input_hash) == ("failed", "h2")
    gloss = (await store.glosses([story]))[(story, "vi")]
    assert (gloss.summary, gloss.title, gloss.translated) == (
        f"Tóm tắt {story}.",
        f"Tiêu đề {story}",
        True,
    )
    row = await store._fetchone(
        "SELECT reason, model, prompt_tokens FROM story_summaries WHERE story_id = ?", (story,)
    )
    assert row is not None and tuple(row) == ("wrong_language", "m", 100)
    # A later success replaces it, and clears the reason.
    await store.save_summary(ready(story, input_hash="h2", summary="Mới.", title=None))
    assert (await store.glosses([story]))[(story, "vi")] == Gloss(story, "vi", "Mới.", None, True)


async def test_a_failure_with_nothing_shown_is_no_gloss(store: Store) -> None:
    (story,) = await new_stories(store, 1)
    await store.save_summary(failed(story, summary="not to be shown"))
    assert await store.glosses([story]) == {}
    assert (await store.summary_states([story]))[(story, "vi")].status == "failed"


async def test_a_record_for_a_deleted_story_is_ignored(store: Store) -> None:
    (story,) = await new_stories(store, 1)
    async with store._transaction() as db:
        await db.execute("DELETE FROM stories WHERE id = ?", (story,))
    await store.save_summary(ready(story))
    await store.save_summary(ready(story + 1000))
    assert await store.summary_states([story, story + 1000]) == {}


async def test_deleting_a_story_deletes_its_summaries(store: Store) -> None:
    (story,) = await new_stories(store, 1)
    await store.save_summary(ready(story))
    async with store._transaction() as db:
        await db.execute("DELETE FROM stories WHERE id = ?", (story,))
    assert await store.glosses([story]) == {}


async def test_hostile_model_text_is_stored_without_failing(store: Store) -> None:
    (story,) = await new_stories(store, 1)
    await store.save_summary(ready(story, summary="a\x00b \ud800 c\u202e", title="t\x00"))
    gloss = (await store.glosses([story]))[(story, "vi")]
    assert (gloss.summary, gloss.title) == ("ab \ufffd c\u202e", "t")


async def test_malformed_records_are_refused(store: Store) -> None:
    (story,) = await new_stories(store, 1)
    with pytest.raises(ValueError, match="status"):
        await store.save_summary(ready(story, status="done"))
    with pytest.raises(ValueError, match="needs its summary"):
        await store.save_summary(ready(story, summary=None))


async def test_glosses_filter_by_language_and_read_in_chunks(store: Store) -> None:
    stories = await new_stories(store, 1_203)
    for story in stories[:3] + stories[-3:]:
        await store.save_summary(ready(story, "vi"))
        await store.save_summary(ready(story, "en", translated=False, title=None))
    await store.save_summary(failed(stories[10]))
    wanted = [*stories, stories[0]]  # a repeated id is read once
    everything = await store.glosses(wanted)
    assert len(everything) == 12
    only_vi = await store.glosses(iter(wanted), ["vi"])
    assert set(only_vi) == {(s, "vi") for s in stories[:3] + stories[-3:]}
    assert await store.glosses(wanted, []) == {}
    assert await store.glosses(wanted, ["fr"]) == {}
    assert await store.glosses([]) == {}
    states = await store.summary_states(stories)
    assert len(states) == 13 and states[(stories[10], "vi")].status == "failed"
    assert await store.summary_states([]) == {}


async def test_story_articles_are_the_story_s_articles(store: Store) -> None:
    await store.upsert_category(Category("climate", "Climate"))
    article = NewArticle(
        url="https://n.example/a",
        title="Floods",
        summary="Rivers rose.",
        source="N",
        published_at=NOW,
        language="en",
    )
    await store_and_group(
        store, "import:n", [article], ["climate"], now=NOW, window=timedelta(hours=48)
    )
    (story,) = [r[0] for r in await store._fetchall("SELECT id FROM stories")]
    (found,) = await store.story_articles(story)
    assert (found.title, found.story_id, found.categories, found.language) == (
        "Floods",
        story,
        ("climate",),
        "en",
    )
    assert await store.story_articles(story + 1) == []


async def reader(store: Store, chat: str, language: str, *categories: str) -> int:
    sub = await store.upsert_subscriber("telegram", chat, now=NOW, language=language)
    await store.subscribe(sub.id, list(categories), now=NOW, by="test")
    return sub.id


async def test_languages_per_category_count_active_unpaused_readers(store: Store) -> None:
    for category in CATEGORIES:
        await store.upsert_category(category)
    await reader(store, "1", "en", "ai-frontier", "climate")
    await reader(store, "2", "vi", "climate")
    paused = await reader(store, "3", "fr", "climate", "markets")
    await store.update_subscriber(paused, now=NOW, paused=True)
    gone = await reader(store, "4", "de", "ai-frontier")
    await store.deactivate(gone, reason="blocked", now=NOW)
    assert await store.summary_languages() == {
        "ai-frontier": frozenset({"en"}),
        "climate": frozenset({"en", "vi"}),
    }
    await store.retire_categories_except(["ai-frontier", "markets"], now=NOW)
    assert await store.summary_languages() == {"ai-frontier": frozenset({"en"})}


async def test_languages_do_not_depend_on_the_common_language(store: Store) -> None:
    # Most readers read Vietnamese; English only in one category, and a reader of a
    # third language among the oldest: every pair is found whichever is most common.
    for category in CATEGORIES:
        await store.upsert_category(category)
    await reader(store, "old", "fr", "markets")
    await reader(store, "en", "en", "ai-frontier")
    for n in range(5):
        await reader(store, f"vi{n}", "vi", "climate", "markets")
    assert await store.summary_languages() == {
        "ai-frontier": frozenset({"en"}),
        "climate": frozenset({"vi"}),
        "markets": frozenset({"fr", "vi"}),
    }


async def test_no_readers_no_languages(store: Store) -> None:
    for category in CATEGORIES:
        await store.upsert_category(category)
    assert await store.summary_languages() == {}


async def test_usage_counters_add_up_per_day(store: Store) -> None:
    assert await store.llm_usage(DAY) == {}
    await store.add_llm_usage(DAY, {"calls": 2, "prompt_tokens": 300, "cache_hits": 0})
    await store.add_llm_usage(DAY, {"calls": 1, "fallback:budget": 4})
    await store.add_llm_usage(DAY + timedelta(days=1), {"calls": 7})
    await store.add_llm_usage(DAY, {})
    assert await store.llm_usage(DAY) == {"calls": 3, "prompt_tokens": 300, "fallback:budget": 4}
    assert await store.llm_usage(DAY + timedelta(days=1)) == {"calls": 7}


async def test_usage_names_are_cut_and_bad_counts_refused(store: Store) -> None:
    long = "fallback:" + "x" * 200
    await store.add_llm_usage(DAY, {long: 1, "a\x00b": 1})
    assert await store.llm_usage(DAY) == {long[:USAGE_NAME_LENGTH]: 1, "ab": 1}
    for bad in (-1, 10**5000, True, 1.5):
        with pytest.raises(ValueError, match="llm usage count"):
            await store.add_llm_usage(DAY, {"calls": bad})  # type: ignore[dict-item]
    assert await store.llm_usage(DAY) == {long[:USAGE_NAME_LENGTH]: 1, "ab": 1}


async def test_concurrent_adds_lose_nothing(store: Store) -> None:
    async def add(times: int) -> None:
        for _ in range(times):
            await store.add_llm_usage(DAY, {"calls": 1, "prompt_tokens": 10})

    await asyncio.gather(add(25), add(25))
    assert await store.llm_usage(DAY) == {"calls": 50, "prompt_tokens": 500}


@pytest.fixture(params=ENGINES)
def shared_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | PostgresUrl:
    return target_for(request, tmp_path)


async def test_two_processes_adding_at_once_lose_nothing(
    shared_target: Path | PostgresUrl,
) -> None:
    async with two_stores(shared_target) as (first, second):

        async def add(store: Store) -> None:
            for _ in range(20):
                await store.add_llm_usage(DAY, {"calls": 1, "completion_tokens": 3})

        await asyncio.gather(add(first), add(second))
        assert await first.llm_usage(DAY) == {"calls": 40, "completion_tokens": 120}
