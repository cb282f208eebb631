"""When readers are told a summary was translated: a story whose language nobody could
tell (a short English title such as "Apple iPhone 17 review", no declared language) is not
a translation for anyone: its summary comes in the reader's language, its title stays the
source's, and no "translated" note is shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from digests.store import Store
from tests.builders import add_article
from tests.conftest import CATEGORIES
from tests.digests.summaries.test_worker import ScriptedModel, settings_for, worker

NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
TITLE = "Apple iPhone 17 review"
SUMMARY = "Reviewers praise the new phone for its camera and its battery."


async def test_an_undetermined_story_is_not_translated(
    categorised_store: Store, tmp_path: Path
) -> None:
    store = categorised_store
    for category in CATEGORIES:
        await store.upsert_category(category)
    reader = await store.upsert_subscriber("telegram", "en0", now=NOW, language="en")
    await store.subscribe(reader.id, ["climate"], now=NOW)
    await add_article(store, url="https://desk.example/phone", title=TITLE, now=NOW)
    model = ScriptedModel(always=lambda request: f'{{"summary": "{SUMMARY}"}}')
    await worker(store, model, settings_for(tmp_path)).run_once(NOW)
    glosses = await store.glosses(range(1, 10))
    assert len(glosses) == 1, "no summary was made"
    gloss = next(iter(glosses.values()))
    assert (gloss.summary, gloss.title, gloss.translated) == (SUMMARY, None, False)
