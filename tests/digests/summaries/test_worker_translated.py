"""When readers are told a summary was translated: a story whose language nobody could
tell (a short English title such as "Apple iPhone 17 review", no declared language) is
sent to be "translated" for every reader language; English readers who get their own
title back must not see a "translated" note."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.store import Store
from tests.builders import add_article
from tests.conftest import CATEGORIES
from tests.digests.summaries.test_worker import ScriptedModel, settings_for, worker

NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
TITLE = "Apple iPhone 17 review"
SUMMARY = "Reviewers praise the new phone for its camera and its battery."


def answering_title(title: str) -> Callable[[object], str]:
    def answer(request: object) -> str:
        return f'{{"summary": "{SUMMARY}", "title": "{title}"}}'

    return answer


@pytest.mark.parametrize(
    ("answered_title", "translated"),
    [
        (TITLE, False),  # its own title back: no translation
        (TITLE.upper(), False),
        ("Apple iPhone 17 put to the test", True),  # a changed title: told it was
    ],
)
async def test_an_undetermined_story_is_translated_only_when_its_title_changed(
    categorised_store: Store, tmp_path: Path, answered_title: str, translated: bool
) -> None:
    store = categorised_store
    for category in CATEGORIES:
        await store.upsert_category(category)
    reader = await store.upsert_subscriber("telegram", "en0", now=NOW, language="en")
    await store.subscribe(reader.id, ["climate"], now=NOW)
    await add_article(store, url="https://desk.example/phone", title=TITLE, now=NOW)
    model = ScriptedModel(always=answering_title(answered_title))
    await worker(store, model, settings_for(tmp_path)).run_once(NOW)
    glosses = await store.glosses(range(1, 10))
    assert len(glosses) == 1, "no summary was made"
    gloss = next(iter(glosses.values()))
    assert gloss.title == answered_title
    assert gloss.translated is translated
